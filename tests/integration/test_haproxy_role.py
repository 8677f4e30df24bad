"""roles/haproxy: hostile or malformed variables fail before anything changes, naming the variable,
and the configuration it renders routes by Patroni's REST checks.

One ansible-playbook run per test, on localhost, running only the role's validate tasks (they run
before the role touches the host) and its template. The real HAProxy runs in the site scenario (on the repository host).
"""
import json
import os
import tempfile

import pytest
from runner import _unsafe, run_play

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TEMPLATE = os.path.join(ROOT, 'roles', 'haproxy', 'templates', 'haproxy.cfg.j2')
VALID = {'haproxy_members': ['db1', 'db2.example.org', '10.0.0.3'], 'haproxy_stats_password': 'Stats-pw-2026'}

CASES = [
    ('member-newline-section', {'haproxy_members': ['db1\nlisten evil\n    bind *:22']}, 'haproxy_members'),
    ('member-trailing-newline', {'haproxy_members': ['db1\n']}, 'haproxy_members'),
    ('member-blank-option', {'haproxy_members': ['db1 backup']}, 'haproxy_members'),
    ('member-comment', {'haproxy_members': ['db1#']}, 'haproxy_members'),
    ('no-members', {'haproxy_members': []}, 'haproxy_members'),
    ('bind-newline', {'haproxy_bind_address': '0.0.0.0\n    mode http'}, 'haproxy_bind_address'),
    ('stats-bind-space', {'haproxy_stats_bind_address': '127.0.0.1 ssl'}, 'haproxy_stats_bind_address'),
    ('lag-url-injection', {'haproxy_replica_max_lag': '1MB&x=1'}, 'haproxy_replica_max_lag'),
    ('lag-newline', {'haproxy_replica_max_lag': '1MB\n    server x 1.2.3.4:5432'}, 'haproxy_replica_max_lag'),
    ('interval-option', {'haproxy_check_interval': '1s fall 100'}, 'haproxy_check_interval'),
    ('timeout-newline', {'haproxy_timeout_client': '30m\nlisten x'}, 'haproxy_timeout_'),
    ('ca-relative', {'haproxy_ca_file': 'ca.crt'}, 'haproxy_ca_file'),
    ('ca-option', {'haproxy_ca_file': '/etc/ca.crt verify none'}, 'haproxy_ca_file'),
    ('stats-user-colon', {'haproxy_stats_username': 'a:b'}, 'haproxy_stats_username'),
    ('stats-password-space', {'haproxy_stats_password': 'pw\n    stats admin if TRUE'}, 'haproxy_stats_password'),
    ('stats-password-hash', {'haproxy_stats_password': 'pw#x'}, 'haproxy_stats_password'),
    ('same-ports', {'haproxy_ro_port': 5000}, 'haproxy_rw_port, haproxy_ro_port'),
    ('zero-fall', {'haproxy_check_fall': 0}, 'haproxy_check_fall'),
]


def _play(tasks):
    rc, out, _stdout, _stderr = run_play(tasks)
    return rc, out


def _validate_task(variables):
    return {'ansible.builtin.include_role': {'name': 'pgwarden.postgresql.haproxy', 'tasks_from': 'validate', 'public': True},
            'vars': _unsafe(variables)}


@pytest.mark.parametrize('case, override, named', CASES, ids=[c[0] for c in CASES])
def test_bad_variable_fails_naming_it(case, override, named):
    rc, out = _play([_validate_task(dict(VALID, **override))])
    assert rc != 0
    messages = [r.get('msg', '') for t in out['plays'][0]['tasks'] for h in t['hosts'].values()
                for r in h.get('results', [h]) if r.get('failed')]
    assert messages and all(named in m for m in messages), messages
    assert 'pgwarden.postgresql.haproxy' in messages[0]


def test_rendered_configuration_routes_by_patroni_checks():
    out_dir = tempfile.mkdtemp()
    dest = os.path.join(out_dir, 'haproxy.cfg')
    rc, out = _play([_validate_task(VALID),
                     {'ansible.builtin.template': {'src': TEMPLATE, 'dest': dest}, 'vars': _unsafe(VALID)}])
    assert rc == 0, json.dumps(out)[-2000:]
    cfg = open(dest).read()
    rw = cfg.split('listen postgresql_rw')[1].split('listen ')[0]
    ro = cfg.split('listen postgresql_ro\n')[1].split('listen ')[0]
    assert 'http-check send meth GET uri /primary' in rw
    assert 'http-check send meth GET uri /replica?lag=16MB' in ro
    for member in VALID['haproxy_members']:
        line = 'server %s %s:5432 check port 8008 check-ssl verify required ca-file ' \
               '/etc/postgresql/pgwarden-tls/ca.crt check-sni %s' % (member, member, member)
        assert line in rw and line in ro
    assert 'server leader-fallback 127.0.0.1:5002 backup' in ro
    assert 'on-marked-down shutdown-sessions' in cfg
    assert 'bind 127.0.0.1:7000' in cfg and 'stats auth stats:Stats-pw-2026' in cfg
