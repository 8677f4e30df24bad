"""pgwarden.postgresql.rls_policy against a real PostgreSQL: tenant isolation."""
import psycopg2
import pytest

from runner import run_module

DB = 'it_rls'
EXPR = "tenant_id = current_setting('app.tenant_id', true)::integer"


@pytest.fixture
def rls(pg):
    pg.query('DROP DATABASE IF EXISTS %s' % DB)
    pg.query('CREATE DATABASE %s' % DB)
    pg.query("DROP ROLE IF EXISTS itr_app; CREATE ROLE itr_app LOGIN PASSWORD 'itr-pass-123'")
    pg.query("""CREATE TABLE orders (id int, tenant_id int, item text);
                INSERT INTO orders VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');
                GRANT SELECT, INSERT ON orders TO itr_app""", dbname=DB)

    def run(check=False, **args):
        return run_module('pgwarden.postgresql.rls_policy', dict(pg.connection_args(), login_db=DB, **args),
                          check=check, diff=True)
    yield run
    pg.query('DROP DATABASE %s WITH (FORCE)' % DB)
    pg.query('DROP ROLE itr_app')


def as_tenant(pg, tenant):
    conn = psycopg2.connect(host='127.0.0.1', port=pg.port, dbname=DB, user='itr_app', password='itr-pass-123')
    conn.autocommit = True
    cur = conn.cursor()
    if tenant is not None:
        cur.execute('SELECT set_config(%s, %s, false)', ('app.tenant_id', str(tenant)))
    return conn, cur


def policies(pg):
    return pg.query("SELECT policyname, cmd, roles::text, qual, with_check FROM pg_policies ORDER BY 1", dbname=DB)


POLICY = dict(table='orders', enable=True, force=True,
              policies=[dict(name='tenant isolation', roles=['itr_app'], using=EXPR, with_check=EXPR)])


def test_tenant_cannot_see_other_tenants_rows(pg, rls):
    before = policies(pg)
    predicted = rls(check=True, **POLICY)
    assert predicted['changed'] and policies(pg) == before
    res = rls(**POLICY)
    assert res['queries'] == predicted['queries']
    # the declared expressions resolve in the declared search path (default public), then pg_temp
    assert res['queries'][:2] == ['SET LOCAL search_path TO "public", pg_temp',
                                  'ALTER TABLE "public"."orders" ENABLE ROW LEVEL SECURITY']
    conn, cur = as_tenant(pg, 1)
    cur.execute('SELECT id FROM orders ORDER BY id')
    assert cur.fetchall() == [(1,), (2,)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("INSERT INTO orders VALUES (9, 2, 'sneaky')")
    cur.execute("INSERT INTO orders VALUES (4, 1, 'mine')")
    conn.close()
    conn, cur = as_tenant(pg, 2)
    cur.execute('SELECT id FROM orders ORDER BY id')
    assert cur.fetchall() == [(3,)]
    conn.close()
    conn, cur = as_tenant(pg, None)
    cur.execute('SELECT count(*) FROM orders')
    assert cur.fetchall() == [(0,)]
    conn.close()
    # The server stores the expression rewritten; it still compares equal.
    assert policies(pg)[0][3] != EXPR
    offset = pg.log_size()
    again = rls(**POLICY)
    assert again['changed'] is False and again['queries'] == []
    ran = pg.statements_since(offset)
    # The only DDL of a no-op run is the normalising probe on a temporary copy of the table,
    # rolled back within the read transaction: the real table is never altered nor locked for it.
    ddl = [q for q in ran if q.startswith(('CREATE', 'ALTER', 'DROP'))]
    assert ddl == ['CREATE TEMP TABLE "orders" (LIKE "public"."orders")'] + [
        q for q in ddl if q.startswith('CREATE POLICY "pgwarden_probe_0" ON "pg_temp"."orders"')]
    assert len(ddl) == 2
    assert ran.index('ROLLBACK TO SAVEPOINT pgwarden_probe') > ran.index(ddl[-1])
    assert policies(pg)[0][3] != EXPR


def test_alter_recreate_and_exclusive(pg, rls):
    rls(**POLICY)
    pg.query("CREATE POLICY stray ON orders USING (true)", dbname=DB)
    changed = dict(POLICY, exclusive=True, policies=[dict(POLICY['policies'][0], using='tenant_id = 1', with_check=None)])
    res = rls(**changed)
    assert res['queries'] == ['SET LOCAL search_path TO "public", pg_temp',
                              'DROP POLICY "tenant isolation" ON "public"."orders"',
                              'CREATE POLICY "tenant isolation" ON "public"."orders" AS PERMISSIVE FOR ALL TO "itr_app" '
                              'USING (tenant_id = 1)',
                              'DROP POLICY "stray" ON "public"."orders"']
    assert rls(**changed)['changed'] is False
    roles = dict(changed, policies=[dict(changed['policies'][0], roles=['PUBLIC'], using='(tenant_id = 2)')])
    assert rls(**roles)['queries'] == ['SET LOCAL search_path TO "public", pg_temp',
                                       'ALTER POLICY "tenant isolation" ON "public"."orders" TO PUBLIC USING ((tenant_id = 2))']
    assert rls(**roles)['changed'] is False


@pytest.mark.parametrize('expr,words', [
    ("true; DROP TABLE orders", 'semicolon'),
    ("true); DROP TABLE orders; --", 'unbalanced'),
    ("true) WITH CHECK (true", 'unbalanced'),
    ("true /* x */", 'comments'),
    ("'unterminated", 'unterminated'),
    ("no_such_column = 1", 'no_such_column'),
])
def test_bad_expressions_fail_before_anything_changes(pg, rls, expr, words):
    rls(**POLICY)
    before = policies(pg)
    res = rls(table='orders', policies=[dict(name='tenant isolation', roles=['itr_app'], using=expr, with_check=EXPR)])
    assert res['failed'] and words in res['msg'] and res['option'].startswith('policies[0]')
    assert policies(pg) == before
    assert pg.query('SELECT count(*) FROM orders', dbname=DB) == [(3,)]


def test_public_among_roles_is_stored_as_public_alone_and_idempotent(pg, rls):
    declared = dict(table='orders', policies=[dict(name='p', roles=['itr_app', 'public'], using='tenant_id = 1')])
    first = rls(**declared)
    assert first['changed'] and not first.get('failed')
    assert pg.query("SELECT roles::text FROM pg_policies WHERE policyname = 'p'", dbname=DB) == [('{public}',)]
    again = rls(**declared)
    assert again['changed'] is False and again['queries'] == []
    assert rls(check=True, **declared)['changed'] is False
