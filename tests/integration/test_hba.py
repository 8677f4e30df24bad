"""pgwarden.postgresql.hba through ansible-playbook against a real PostgreSQL."""
import os
import time

import psycopg2
import pytest

from runner import run_module

# The fixture's own access: the tests connect as root over the socket (trust) and as roles over TCP.
BASE = [dict(type='local', users=['postgres'], method='trust'),
        dict(type='host', address='127.0.0.1/32', method='scram-sha-256')]


@pytest.fixture
def hba(pg):
    path = os.path.join(pg.data, 'pg_hba.conf')
    with open(path) as f:
        original = f.read()
    pg.query("CREATE ROLE it_hba LOGIN PASSWORD 'hba-pw'")

    def run(check=False, diff=False, **args):
        return run_module('pgwarden.postgresql.hba', dict(pg.connection_args(), **args), check=check, diff=diff)
    run.path = path
    yield run
    with open(path, 'w') as f:
        f.write(original)
    pg._run('pg_ctl', '-D', pg.data, 'reload')
    time.sleep(0.3)
    pg.query('DROP ROLE it_hba')


def can_connect(pg, user='it_hba', password='hba-pw'):
    time.sleep(0.3)  # the postmaster reloads asynchronously
    try:
        psycopg2.connect(host='127.0.0.1', port=pg.port, dbname='postgres', user=user, password=password).close()
        return True
    except psycopg2.OperationalError:
        return False


def content(path):
    with open(path) as f:
        return f.read()


def test_check_apply_reload_idempotent(pg, hba):
    rules = [BASE[0], dict(type='host', users=['it_hba'], address='127.0.0.1', method='reject',
                           comment='it_hba may not connect over TCP')] + BASE[1:]
    before = content(hba.path)
    assert can_connect(pg)
    predicted = hba(check=True, diff=True, rules=rules)
    assert predicted['changed'] is True and predicted['queries'] == ['SELECT pg_reload_conf()']
    assert '\nhost  all  it_hba  127.0.0.1/32  reject\n' in predicted['diff']['after']
    assert predicted['diff']['before'] == before
    assert content(hba.path) == before and can_connect(pg), 'check mode changed nothing'
    applied = hba(rules=rules, backup=True)
    assert applied['changed'] is True and applied['queries'] == ['SELECT pg_reload_conf()']
    assert applied['rules'][1] == 'host  all  it_hba  127.0.0.1/32  reject'
    assert content(applied['backup_file']) == before
    assert not can_connect(pg), 'the new rule is active'
    assert oct(os.stat(hba.path).st_mode & 0o777) == '0o640'
    offset = pg.log_size()
    again = hba(rules=rules)
    assert again['changed'] is False and again['queries'] == []
    assert hba(check=True, rules=rules)['changed'] is False
    assert 'SELECT pg_reload_conf()' not in pg.statements_since(offset), 'no reload without a change'


def test_server_rejects_candidate_previous_file_stays_active(pg, hba):
    hba(rules=BASE)
    before = content(hba.path)
    assert can_connect(pg)
    offset = pg.log_size()
    res = hba(rules=[BASE[0], dict(type='host', users=['it_hba'], address='127.0.0.1/32', method='reject'),
                     dict(type='host', address='127.0.0.1/32', method='ldap')])
    assert res.get('failed') is True
    assert 'rejected' in res['msg'] and res['server_errors'][0].startswith('rules[2]: ') and 'ldap' in res['msg']
    assert content(hba.path) == before, 'the previous file is back'
    assert pg.query('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL') == [(0,)]
    assert can_connect(pg), 'the previous rules are still the active ones'
    assert 'SELECT pg_reload_conf()' not in pg.statements_since(offset)
    assert [n for n in os.listdir(pg.data) if n.startswith('.pg_hba')] == [], 'no temporary file left'


def test_lockout_guard_refuses_then_force(pg, hba):
    before = content(hba.path)
    locked = [dict(type='local', users=['postgres'], method='reject'), BASE[1]]
    res = hba(rules=locked)
    assert res.get('failed') is True and 'lockout guard' in res['msg'] and 'rules[0]' in res['msg']
    assert content(hba.path) == before
    res = hba(rules=BASE[1:])
    assert res.get('failed') is True and 'no local rule' in res['msg']
    forced = hba(rules=BASE[1:], force=True)
    assert forced['changed'] is True
    time.sleep(0.3)
    with pytest.raises(psycopg2.OperationalError, match='no pg_hba.conf entry'):
        pg.connect()


def test_invalid_rule_fails_before_anything(pg, hba):
    before = content(hba.path)
    res = hba(rules=BASE + [dict(type='hostssl', address='10.0.0.1/8', method='scram-sha-256')])
    assert res.get('failed') is True and 'rules[2].address' in res['msg'] and 'host bits' in res['msg']
    assert content(hba.path) == before


def test_local_validation_without_server(pg, hba, tmp_path):
    path = str(tmp_path / 'pg_hba.conf')
    with open(path, 'w') as f:
        f.write('local all all peer\ninclude_if_exists extra.conf\n')
    os.chmod(path, 0o644)
    args = dict(validate='local', path=path, port=1, login_unix_socket=str(tmp_path),
                rules=[dict(type='local', users=['postgres'], method='peer'),
                       dict(type='hostnossl', address='all', method='reject')])
    res = hba(**args)
    assert res['changed'] is True and res['queries'] == [] and res['preserved_includes'] == ['include_if_exists extra.conf']
    text = content(path)
    assert text.splitlines()[-4:] == ['hostnossl  all  all  all  reject', '',
                                      '# include lines found in the previous file, kept by pgwarden',
                                      'include_if_exists extra.conf']
    assert oct(os.stat(path).st_mode & 0o777) == '0o640'
    assert hba(**args)['changed'] is False
    res = hba(validate='local', rules=args['rules'])
    assert res.get('failed') is True and 'path' in res['msg']
