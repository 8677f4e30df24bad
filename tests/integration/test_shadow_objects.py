"""Issue 20, section 1: a database owner's objects never run when the collection's modules run as the superuser.

A non-superuser owns the database and plants, in public, functions, aggregates and operators that shadow
the pg_catalog ones our SQL calls (derived from plugins/module_utils: tests/integration/shadows.py). Each
leaves a file when a superuser runs it. Every SQL module runs against that database as the superuser, in
check mode and for real: each succeeds, and no file appears. A control session with the database's own
search path shows that the planted objects do fire when a session is not pinned.
"""
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from pgserver import PgServer
from runner import run_module
from shadows import plant_statements

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAVE_PGAUDIT = bool(glob.glob('/usr/lib/postgresql/*/lib/pgaudit.so'))
DB = 'it_shadow'
OWNER = 'it_dbowner'


@pytest.fixture(scope='module')
def planted():
    server = PgServer().start()
    if HAVE_PGAUDIT:
        server.query("ALTER SYSTEM SET shared_preload_libraries = 'pgaudit'")
        server.restart()
    evidence = tempfile.mkdtemp(prefix='pgwarden-evidence-')
    pw = pwd.getpwnam('postgres') if os.geteuid() == 0 else None
    if pw:
        os.chown(evidence, pw.pw_uid, pw.pw_gid)
    os.chmod(evidence, 0o700)
    server.query('CREATE ROLE %s LOGIN CREATEROLE' % OWNER)
    server.query('CREATE DATABASE %s OWNER %s' % (DB, OWNER))
    server.query('ALTER SCHEMA public OWNER TO %s' % OWNER, dbname=DB)
    conn = server.connect(DB, user=OWNER)
    conn.autocommit = False
    with conn.cursor() as cur:
        ddl, count, functions, operators = plant_statements(cur, evidence)
        for stmt in ddl:
            cur.execute(stmt)
        cur.execute('CREATE TABLE public.orders (id int PRIMARY KEY, tenant_id int, item text)')
        cur.execute("CREATE FUNCTION public.current_tenant() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1'")
        cur.execute('CREATE TYPE public.money2 AS (amount numeric)')
        cur.execute('CREATE FUNCTION public.price(public.money2) RETURNS numeric LANGUAGE sql AS $$SELECT $1.amount$$')
    conn.commit()
    conn.close()
    server.planted = dict(count=count, functions=functions, operators=operators)
    server.evidence = evidence
    yield server
    server.stop()
    shutil.rmtree(evidence, ignore_errors=True)


def fired(server):
    return sorted(os.listdir(server.evidence))


def test_the_planted_objects_cover_our_sql_and_fire_on_an_unpinned_session(planted):
    """The shadows are real: the derived list holds what the attack used, and a session on the
    database's default search path (what every session of ours had before) runs them."""
    assert {'quote_ident', 'json_agg', 'format', 'json_build_object', 'pg_get_userbyid'} <= set(planted.planted['functions'])
    assert {'=', '<>', '||'} <= set(planted.planted['operators'])
    assert planted.planted['count'] > 1000
    conn = planted.connect(DB)
    try:
        with conn.cursor() as cur:
            cur.execute('SELECT count(*) FROM pg_class WHERE oid = 1259')  # oid = integer: an implicit cast
            cur.execute('SELECT json_agg(nspname) FROM pg_namespace')     # json_agg(anyelement) with a name
            cur.execute('SELECT quote_ident(nspname) FROM pg_namespace')  # quote_ident(text) with a name
    finally:
        conn.close()
    seen = fired(planted)
    assert 'op_oid_int4' in seen and 'fn_json_agg_name' in seen and 'fn_quote_ident_name' in seen, seen
    for name in seen:
        os.unlink(os.path.join(planted.evidence, name))


def _args(server, **kw):
    return dict(server.connection_args(), login_db=DB, **kw)


CASES = [
    ('role', dict(roles=[dict(name='it_shadow_app', login=False),
                         dict(name='it_shadow_rep', login=False, member_of=['it_shadow_app'])])),
    ('schema', dict(name='app', owner=OWNER)),
    ('extension', dict(name='pg_stat_statements')),
    ('database', dict(name='it_shadow_other', owner=OWNER)),
    ('grant', dict(grants=[
        dict(type='database', objects=[DB], roles=['PUBLIC'], privileges=['ALL'], state='absent'),
        dict(type='schema', objects=['public'], roles=['PUBLIC'], privileges=['CREATE'], state='absent'),
        dict(type='table', schema='public', all_in_schema=True, roles=['it_shadow_app'], privileges=['SELECT']),
        dict(type='function', schema='public', objects=['price(money2)', 'current_tenant()'],
             roles=['PUBLIC'], privileges=['EXECUTE'], state='absent'),
        dict(type='default_privileges', target_roles=[OWNER], schema='public', objects=['tables'],
             roles=['it_shadow_rep'], privileges=['SELECT'])])),
    ('rls_policy', dict(table='orders', enable=True, force=True, policies=[
        dict(name='tenant', roles=['it_shadow_app'], using='tenant_id = current_tenant()',
             with_check='tenant_id = current_tenant() AND item <> $$x$$')])),
    ('setting', dict(settings=dict(work_mem='8MB', log_connections='on'))),
    ('hba', dict(rules=[dict(type='local', database='all', user='all', method='trust'),
                        dict(type='host', database='all', user='all', address='127.0.0.1/32', method='scram-sha-256')])),
    ('pgaudit', dict(databases=[DB], audit_role='it_shadow_rep',
                     audit_grants=[dict(database=DB, table='public.orders', privileges=['SELECT'])])),
    ('health_info', dict(databases=[DB])),
    ('audit_info', dict(databases=[DB], rto_minutes=60)),
    ('server_info', dict()),
]


@pytest.mark.parametrize('module,args', CASES, ids=[c[0] for c in CASES])
def test_no_module_runs_a_planted_object(planted, module, args):
    if module == 'pgaudit' and not HAVE_PGAUDIT:
        pytest.skip('Debian package postgresql-NN-pgaudit is not installed')
    planted_before = fired(planted)
    assert planted_before == []
    checked = run_module('pgwarden.postgresql.' + module, _args(planted, **args), check=True, diff=True)
    assert not checked.get('failed'), checked.get('msg')
    assert fired(planted) == [], 'check mode ran planted objects: %s' % fired(planted)
    real = run_module('pgwarden.postgresql.' + module, _args(planted, **args))
    assert not real.get('failed'), real.get('msg')
    assert fired(planted) == [], 'a real run ran planted objects: %s' % fired(planted)
    if module in ('role', 'schema', 'grant', 'rls_policy', 'database', 'extension', 'hba', 'pgaudit'):
        assert real['changed'] is True and checked['queries'] == real['queries']
        again = run_module('pgwarden.postgresql.' + module, _args(planted, **args))
        assert again['changed'] is False, again.get('queries')
        assert fired(planted) == []


def test_declared_names_resolve_in_the_declared_search_path(planted):
    """The module's own SQL is pinned; what the user declares resolves where the user says."""
    pol = dict(table='orders', policies=[dict(name='p2', using='tenant_id = current_tenant()')])
    refused = run_module('pgwarden.postgresql.rls_policy', _args(planted, search_path=['pg_catalog'], **pol), check=True)
    assert refused['failed'] and refused['option'] == 'policies[0].using' and 'current_tenant' in refused['msg']
    ok = run_module('pgwarden.postgresql.rls_policy', _args(planted, search_path=['public'], **pol), check=True)
    assert not ok.get('failed'), ok.get('msg')
    fn = dict(grants=[dict(type='function', schema='public', objects=['price(money2)'], roles=['it_shadow_app'],
                           privileges=['EXECUTE'])])
    refused = run_module('pgwarden.postgresql.grant', _args(planted, search_path=['pg_catalog'], **fn), check=True)
    assert refused['failed'] and 'money2' in refused['msg']
    bad = run_module('pgwarden.postgresql.grant', _args(planted, search_path=[''], **fn), check=True)
    assert bad['failed'] and bad['option'] == 'search_path[0]'
    assert fired(planted) == []


def test_a_pinned_session_outranks_role_and_database_settings(planted):
    """ALTER ROLE/DATABASE ... SET search_path (something a database owner can do) does not reach our sessions."""
    planted.query('ALTER DATABASE %s SET search_path = public, pg_catalog' % DB)
    planted.query('ALTER ROLE postgres IN DATABASE %s SET search_path = public, pg_catalog' % DB)
    try:
        res = run_module('pgwarden.postgresql.audit_info', _args(planted, databases=[DB], rto_minutes=60), check=True)
        assert not res.get('failed'), res.get('msg')
        assert fired(planted) == []
    finally:
        planted.query('ALTER ROLE postgres IN DATABASE %s RESET search_path' % DB)
        planted.query('ALTER DATABASE %s RESET search_path' % DB)


def test_the_on_host_checker_runs_no_planted_object(planted, tmp_path):
    """The monitoring role's checker (its own connection code, not the modules') is pinned too."""
    lib = tmp_path / 'lib'
    lib.mkdir()
    for f in ('plugins/module_utils/monitoring/health_checks.py', 'plugins/module_utils/monitoring/health_collect.py',
              'roles/monitoring/files/pgwarden_healthcheck.py'):
        shutil.copy(os.path.join(ROOT, f), str(lib))
    conf = tmp_path / 'monitoring.json'
    conf.write_text(json.dumps(dict(
        connection=dict(host=planted.socket_dir, port=planted.port, user='postgres'), hostname='it-host',
        textfile=str(tmp_path / 'pgwarden.prom'), thresholds={}, checks=[], databases=[DB],
        pgbackrest_command='/nonexistent/pgbackrest', restore_test_status_file=str(tmp_path / 'none.json'),
        alerts=dict(state_file=str(tmp_path / 'state.json')))))
    proc = subprocess.run([sys.executable, str(lib / 'pgwarden_healthcheck.py'), '--config', str(conf), '--format', 'json',
                           '--no-alerts'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report['server_reachable']['status'] == 'ok' and report['connections']['status'] in ('ok', 'warning')
    assert fired(planted) == []
