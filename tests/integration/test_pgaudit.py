"""pgwarden.postgresql.pgaudit (and setting for pgaudit.*) against a real PostgreSQL with pgaudit loaded."""
import glob
import os
import time

import pytest

from pgserver import PgServer
from runner import run_module

HAVE_PGAUDIT = bool(glob.glob('/usr/lib/postgresql/*/lib/pgaudit.so'))
needs_pgaudit = pytest.mark.skipif(not HAVE_PGAUDIT, reason='Debian package postgresql-NN-pgaudit is not installed')


@pytest.fixture(scope='module')
def apg():
    """A server of its own with pgaudit in shared_preload_libraries (loaded by a restart)."""
    server = PgServer().start()
    try:
        server.query("ALTER SYSTEM SET shared_preload_libraries = 'pgaudit'")
        server._run('pg_ctl', '-D', server.data, '-l', server.log, '-w', 'restart')
        yield server
    finally:
        server.stop()


def run(server, module, check=False, **args):
    return run_module('pgwarden.postgresql.' + module, dict(server.connection_args(), **args), check=check)


def extension_in(server):
    dbs = [r[0] for r in server.query('SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1')]
    return dict((db, bool(server.query("SELECT 1 FROM pg_extension WHERE extname = 'pgaudit'", dbname=db)))
                for db in dbs)


@needs_pgaudit
def test_extension_everywhere_settings_and_object_audit(apg):
    apg.query('CREATE DATABASE it_app')
    apg.query('CREATE TABLE payments (id int, amount numeric)', dbname='it_app')
    assert run(apg, 'role', name='it_auditor')['changed'] is True
    args = dict(audit_role='it_auditor', audit_grants=[dict(database='it_app', table='public.payments',
                                                            privileges=['SELECT', 'UPDATE'])])
    predicted = run(apg, 'pgaudit', check=True, **args)
    assert predicted['changed'] is True and predicted['lacking'] == ['it_app', 'postgres', 'template1']
    assert not any(extension_in(apg).values()), 'check mode changed nothing'
    applied = run(apg, 'pgaudit', **args)
    assert applied['queries'] == predicted['queries']
    assert 'it_app: GRANT SELECT, UPDATE ON TABLE "public"."payments" TO "it_auditor"' in applied['queries']
    assert all(extension_in(apg).values())
    again = run(apg, 'pgaudit', **args)
    assert again['changed'] is False and again['lacking'] == []
    apg.query('CREATE DATABASE it_later')
    assert extension_in(apg)['it_later'] is True, 'template1 passes the extension on'

    settings = {'pgaudit.log': ['ddl', 'role'], 'pgaudit.log_relation': True, 'pgaudit.role': 'it_auditor',
                'pgaudit.log_catalog': 'off'}
    res = run(apg, 'setting', settings=settings)
    assert res['changed'] is True and res['restart_required'] is False
    assert run(apg, 'setting', settings=dict(settings, **{'pgaudit.log': 'ddl,role'}))['changed'] is False
    time.sleep(0.3)
    offset = apg.log_size()
    apg.query('SELECT * FROM payments', dbname='it_app')
    apg.query('CREATE TABLE it_probe (id int)', dbname='it_app')
    apg.query('CREATE ROLE it_probe_role')
    time.sleep(0.3)
    with open(apg.log, 'rb') as f:
        f.seek(offset)
        log = f.read().decode('utf-8', 'replace')
    assert 'AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.payments' in log
    assert 'DDL,CREATE TABLE,TABLE,public.it_probe' in log
    assert 'ROLE,CREATE ROLE,,,CREATE ROLE it_probe_role' in log


@needs_pgaudit
def test_bad_grant_changes_nothing(apg):
    before = extension_in(apg)
    apg.query('CREATE DATABASE it_other TEMPLATE template0')  # without the extension
    res = run(apg, 'pgaudit', audit_role='it_auditor',
              audit_grants=[dict(database='it_other', table='no_such_table')])
    assert res.get('failed') is True and 'does not exist' in res['msg'] and res['option'] == 'audit_grants'
    assert extension_in(apg)['it_other'] is False
    assert dict((k, v) for k, v in extension_in(apg).items() if k in before) == before


def test_library_not_loaded_fails_clearly(pg):
    res = run(pg, 'pgaudit', databases=['postgres'])
    assert res.get('failed') is True and 'shared_preload_libraries' in res['msg'] and res['lacking'] == ['postgres']
    assert pg.query("SELECT count(*) FROM pg_extension WHERE extname = 'pgaudit'") == [(0,)]
    checked = run(pg, 'pgaudit', check=True, databases=['postgres'])
    assert checked['changed'] is True and checked['lacking'] == ['postgres']


def test_unloaded_custom_parameter_rejected_by_setting(pg):
    res = run(pg, 'setting', settings={'work_mem': '8MB', 'pgaudit.log': 'ddl'})
    assert res.get('failed') is True and 'settings.pgaudit.log' in res['msg'] and 'loaded first' in res['msg']
    assert os.path.exists(pg.data)
