"""roles/pgbouncer refuses hostile and malformed variables before anything changes, naming the variable.

One ansible-playbook run checks every case: each case includes the role's validate tasks in a
block and records the failure message (or that it passed). No PostgreSQL or PgBouncer is needed:
the checks run before the role touches the host.
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

from runner import _Dumper, _unsafe

VALID = {
    'pgbouncer_auth_password': 'Pgb-Lookup-pw-2026!x',
    'pgbouncer_databases': [{'name': 'app', 'pool_size': 10}, {'name': 'app_single', 'dbname': 'app', 'pool_size': 1}],
    'pgbouncer_allowed_networks': ['127.0.0.1/32', '10.89.0.0/24', 'fd00::/64'],
    'pgbouncer_settings': {'ignore_startup_parameters': 'extra_float_digits', 'server_reset_query': 'DISCARD ALL'},
}

# (case id, variables over VALID, text the failure must contain)
CASES = [
    ('db-name-newline-section', {'pgbouncer_databases': [{'name': 'app\n[pgbouncer]\nadmin_users = shop_app'}]},
     'pgbouncer_databases[0] name'),
    ('db-name-trailing-newline', {'pgbouncer_databases': [{'name': 'app\n'}]}, 'pgbouncer_databases[0] name'),
    ('db-name-value', {'pgbouncer_databases': [{'name': 'app = host=evil.example'}]}, 'pgbouncer_databases[0] name'),
    ('db-name-admin-console', {'pgbouncer_databases': [{'name': 'pgbouncer'}]}, 'admin console'),
    ('dbname-extra-keyword', {'pgbouncer_databases': [{'name': 'app', 'dbname': 'app host=evil.example'}]},
     'pgbouncer_databases[0] dbname'),
    ('dbname-quote', {'pgbouncer_databases': [{'name': 'app', 'dbname': "app' user='postgres"}]},
     'pgbouncer_databases[0] dbname'),
    ('host-keyword', {'pgbouncer_databases': [{'name': 'app', 'host': '127.0.0.1 user=postgres'}]},
     'pgbouncer_databases[0] host'),
    ('pool-size-keyword', {'pgbouncer_databases': [{'name': 'app', 'pool_size': '5 user=postgres'}]},
     'pgbouncer_databases[0] pool_size'),
    ('unknown-db-key', {'pgbouncer_databases': [{'name': 'app', 'user': 'postgres'}]}, 'unknown keys'),
    ('duplicate-db', {'pgbouncer_databases': [{'name': 'app'}, {'name': 'APP'}]}, 'unique'),
    ('no-databases', {'pgbouncer_databases': []}, 'pgbouncer_databases'),
    ('auth-user-newline', {'pgbouncer_auth_user': 'pgb\n"postgres" "x"'}, 'pgbouncer_auth_user'),
    ('auth-user-quote', {'pgbouncer_auth_user': 'pgb" "x'}, 'pgbouncer_auth_user'),
    ('password-newline', {'pgbouncer_auth_password': 'Long-enough-pw-2026\n"postgres" "x"'}, 'pgbouncer_auth_password'),
    ('password-short', {'pgbouncer_auth_password': 'short'}, 'pgbouncer_auth_password'),
    ('schema-injection', {'pgbouncer_auth_schema': 'pgbouncer".lookup($1); --'}, 'pgbouncer_auth_schema'),
    ('admin-user-list', {'pgbouncer_admin_users': ['postgres,shop_app']}, 'pgbouncer_admin_users'),
    ('admin-user-newline', {'pgbouncer_admin_users': ['postgres\nhost all all 0.0.0.0/0 trust']}, 'pgbouncer_admin_users'),
    ('stats-user-space', {'pgbouncer_stats_users': ['mon all 0.0.0.0/0 trust']}, 'pgbouncer_stats_users'),
    ('network-trust', {'pgbouncer_allowed_networks': ['0.0.0.0/0 trust']}, 'pgbouncer_allowed_networks'),
    ('network-newline', {'pgbouncer_allowed_networks': ['10.0.0.0/8\nhost all all 0.0.0.0/0 trust']},
     'pgbouncer_allowed_networks'),
    ('listen-newline', {'pgbouncer_listen_addresses': ['*\nlisten_port = 5432']}, 'pgbouncer_listen_addresses'),
    ('socket-dir', {'pgbouncer_unix_socket_dir': '/tmp\nuser = root'}, 'pgbouncer_unix_socket_dir'),
    ('port-text', {'pgbouncer_port': '6432\nlisten_addr = *'}, 'pgbouncer_port'),
    ('pool-mode', {'pgbouncer_pool_mode': 'transaction\nauth_type = trust'}, 'pgbouncer_pool_mode'),
    ('client-tls-off', {'pgbouncer_client_tls_sslmode': 'disable'}, 'pgbouncer_client_tls_sslmode'),
    ('setting-managed', {'pgbouncer_settings': {'auth_type': 'trust'}}, 'pgbouncer_settings["auth_type"]'),
    ('setting-key-newline', {'pgbouncer_settings': {'log_connections\nauth_type': '1'}}, 'pgbouncer_settings'),
    ('setting-value-newline', {'pgbouncer_settings': {'log_connections': '1\nauth_type = trust'}},
     'pgbouncer_settings["log_connections"]'),
    ('setting-value-include', {'pgbouncer_settings': {'server_reset_query': 'x %include /etc/shadow'}},
     'pgbouncer_settings["server_reset_query"]'),
    ('setting-value-comment', {'pgbouncer_settings': {'server_reset_query': 'DISCARD ALL; SELECT 1'}},
     'pgbouncer_settings["server_reset_query"]'),
]


def _run(cases):
    tasks = []
    for cid, over in cases:
        tasks.append({'block': [
            {'ansible.builtin.include_role': {'name': 'pgwarden.postgresql.pgbouncer', 'tasks_from': 'validate'},
             'vars': _unsafe(dict(VALID, **over))},
            {'ansible.builtin.set_fact': {'outcome': "{{ outcome | combine({'%s': 'passed'}) }}" % cid}},
        ], 'rescue': [
            {'ansible.builtin.set_fact': {'outcome': (
                "{{ outcome | combine({'%s': (ansible_failed_result.results | default([ansible_failed_result]))"
                " | selectattr('failed', 'defined') | selectattr('failed') | map(attribute='msg') | join(' | ')}) }}" % cid)}},
        ]})
    tasks.append({'ansible.builtin.copy': {'dest': '{{ out }}', 'content': '{{ outcome | to_json }}', 'mode': '0600'}})
    play = [{'hosts': 'localhost', 'gather_facts': False, 'vars': {'outcome': {}}, 'tasks': tasks}]
    with tempfile.TemporaryDirectory() as tmp:
        book, out = os.path.join(tmp, 'play.yml'), os.path.join(tmp, 'out.json')
        with open(book, 'w') as f:
            yaml.dump(play, f, Dumper=_Dumper, allow_unicode=True)
        env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING='false',
                   ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                               '-c', 'local', '-e', 'out=' + out, book],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        assert proc.returncode == 0, proc.stdout[-5000:]
        with open(out) as f:
            return json.load(f)


def test_hostile_and_malformed_variables_are_refused_naming_the_variable():
    outcome = _run([('valid', {})] + [(cid, over) for cid, over, _named in CASES])
    assert outcome['valid'] == 'passed'
    wrong = {}
    for cid, _over, needle in CASES:
        msg = outcome[cid]
        if msg == 'passed' or needle not in msg or 'pgwarden.postgresql.pgbouncer' not in msg:
            wrong[cid] = msg
    assert not wrong, json.dumps(wrong, indent=1)
    # The password is never echoed in a failure.
    assert 'Long-enough-pw-2026' not in json.dumps(outcome)
