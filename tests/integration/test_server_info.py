"""pgwarden.postgresql.server_info against a real PostgreSQL: the facts report.yml judges, read-only."""
from runner import run_module


def test_facts_of_a_primary_in_one_read_only_connection(pg):
    offset = pg.log_size()
    r = run_module('pgwarden.postgresql.server_info', pg.connection_args(), check=True)
    assert not r.get('failed'), r.get('msg')
    assert r['changed'] is False
    assert r['in_recovery'] is False
    assert r['version'].split('.')[0] == pg.query('SHOW server_version')[0][0].split('.')[0]
    assert r['settings']['ssl'] in ('on', 'off')
    assert r['settings']['port'] == str(pg.port)
    assert 'shared_preload_libraries' in r['settings'] and 'password_encryption' in r['settings']
    # superuser: the pg_hba rules as the server reads them
    assert r['hba'] and all('auth_method' in rule and 'type' in rule for rule in r['hba'])
    assert r['replication'] == {'in_recovery': False, 'items': []}
    assert r['pgaudit_extension'] is None or isinstance(r['pgaudit_extension'], str)
    assert len(r['queries']) == 2
    ran = [s for s in pg.statements_since(offset) if 'pg_settings' in s or 'pg_hba_file_rules' in s]
    assert ran and not [s for s in ran if s.lstrip().upper().startswith(('INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER'))]


def test_an_unreachable_server_fails_with_the_reason(pg):
    args = dict(pg.connection_args(), port=1)
    r = run_module('pgwarden.postgresql.server_info', args)
    assert r.get('failed') and 'Unable to connect' in r['msg'] and 'port 1 ' in r['msg']
