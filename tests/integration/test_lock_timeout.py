"""lock_timeout: no-op and check runs take no strong lock; a changing run that waits fails naming the blocker."""
import pytest

from runner import run_module

DB = 'it_locks'
EXPR = "tenant_id = current_setting('app.tenant_id', true)::integer"
POLICY = dict(table='orders', enable=True, policies=[dict(name='tenant', using=EXPR, with_check=EXPR)])


@pytest.fixture
def db(pg):
    pg.query('DROP DATABASE IF EXISTS %s' % DB)
    pg.query('CREATE DATABASE %s' % DB)
    pg.query("DROP ROLE IF EXISTS itl_app; CREATE ROLE itl_app")
    pg.query("CREATE TABLE orders (id int, tenant_id int, item text); INSERT INTO orders VALUES (1, 1, 'a')", dbname=DB)
    held = []

    def hold(*statements):
        conn = pg.connect(DB, application_name='blocker')
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute('SELECT pg_backend_pid()')
            pid = cur.fetchone()[0]
            for s in statements:
                cur.execute(s)
        held.append(conn)
        return pid
    yield hold
    for conn in held:
        conn.close()
    pg.query('DROP DATABASE %s WITH (FORCE)' % DB)
    pg.query('DROP ROLE itl_app')


def run(pg, module='rls_policy', check=False, **args):
    return run_module('pgwarden.postgresql.' + module, dict(pg.connection_args(), login_db=DB, **args), check=check, diff=True)


def policies(pg):
    return pg.query('SELECT policyname, qual, with_check FROM pg_policies ORDER BY 1', dbname=DB)


def test_noop_and_check_runs_succeed_while_a_conflicting_lock_is_held(pg, db):
    assert run(pg, **POLICY)['changed']
    # EXCLUSIVE conflicts with every lock but ACCESS SHARE: a run that needs more than reading waits.
    db('LOCK TABLE orders IN EXCLUSIVE MODE')
    before = policies(pg)
    again = run(pg, lock_timeout='1s', **POLICY)
    assert not again.get('failed'), again.get('msg')
    assert again['changed'] is False
    changed = dict(POLICY)
    changed['policies'] = [dict(name='tenant', using='tenant_id = 2', with_check=EXPR)]
    predicted = run(pg, check=True, lock_timeout='1s', **changed)
    assert not predicted.get('failed'), predicted.get('msg')
    assert predicted['changed'] and predicted['queries'][1].startswith('ALTER POLICY "tenant"')
    assert policies(pg) == before


def test_changing_run_fails_naming_the_blocker_and_changes_nothing(pg, db):
    pid = db('SELECT count(*) FROM orders')  # ACCESS SHARE, held by an idle transaction
    res = run(pg, lock_timeout='1s', **POLICY)
    assert res['failed'] and 'lock_timeout' in res['msg']
    assert 'pid %d' % pid in res['msg'] and 'blocker' in res['msg'] and 'SELECT count(*) FROM orders' in res['msg']
    assert policies(pg) == []
    assert pg.query("SELECT relrowsecurity FROM pg_class WHERE relname = 'orders'", dbname=DB) == [(False,)]


def test_long_failed_statement_is_shortened_and_names_the_blocker(pg, db):
    tables = ['t%03d' % i for i in range(200)]
    pg.query(''.join('CREATE TABLE %s (id int);' % t for t in tables), dbname=DB)
    # An uncommitted ALTER TABLE holds t150's catalog row: GRANT waits for that transaction.
    pid = db('ALTER TABLE t150 ADD COLUMN x int')
    res = run(pg, module='grant', lock_timeout='1s', type='table', schema='public', objects=tables,
              roles=['itl_app'], privileges=['SELECT'])
    assert res['failed'] and 'pid %d' % pid in res['msg']
    assert len(res['msg']) < 1500 and 'characters)' in res['msg']
    assert pg.query("SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'itl_app'", dbname=DB) == [(0,)]


@pytest.mark.parametrize('value', ['5 parsecs', '1.5s'])
def test_bad_lock_timeout_is_refused_before_connecting(pg, db, value):
    res = run(pg, lock_timeout=value, **POLICY)
    assert res['failed'] and res.get('option') == 'lock_timeout' and res['msg'].startswith('lock_timeout: ')
    assert policies(pg) == []
