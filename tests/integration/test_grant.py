"""pgwarden.postgresql.grant through ansible-playbook against a real PostgreSQL."""
import psycopg2
import pytest

from runner import run_module

DB = 'it_grant'
HOSTILE = ["quote'd", 'dq"name', 'semi;colon', 'With Space', u'ünï-名前', "x'); DROP TABLE t; --", 'a' * 63]


@pytest.fixture
def db(pg):
    """A fresh database with roles and a few objects; dropped afterwards."""
    pg.query('DROP DATABASE IF EXISTS %s' % DB)
    pg.query('CREATE DATABASE %s' % DB)
    pg.query("""DO $$DECLARE r record; BEGIN
      FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'itg_%' LOOP EXECUTE format('DROP ROLE %I', r.rolname); END LOOP;
      END$$""")
    for r in ('itg_app', 'itg_read', 'itg_other', 'itg_owner'):
        pg.query('CREATE ROLE %s' % r)
    pg.query("""CREATE SCHEMA app AUTHORIZATION itg_owner;
                SET ROLE itg_owner;
                CREATE TABLE app.t1 (id int, secret text); CREATE TABLE app.t2 (id int);
                CREATE SEQUENCE app.s1;
                CREATE FUNCTION app.f(a integer) RETURNS int LANGUAGE sql AS 'SELECT a';
                RESET ROLE;""", dbname=DB)
    yield
    pg.query('DROP DATABASE %s WITH (FORCE)' % DB)
    for r in ('itg_app', 'itg_read', 'itg_other', 'itg_owner'):
        pg.query('DROP ROLE IF EXISTS %s' % r)


@pytest.fixture
def grant(pg, db):
    def run(check=False, diff=False, **args):
        args = dict(pg.connection_args(), login_db=DB, **args)
        return run_module('pgwarden.postgresql.grant', args, check=check, diff=diff)
    return run


def acls(pg):
    """Every ACL the tests touch, to prove what changed and what did not."""
    return pg.query("""SELECT 'rel ' || c.oid::regclass::text, c.relacl::text FROM pg_class c
                         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'
                       UNION ALL SELECT 'col ' || attrelid::regclass || '.' || attname, attacl::text FROM pg_attribute
                         WHERE attrelid = 'app.t1'::regclass AND attnum > 0
                       UNION ALL SELECT 'nsp ' || nspname, nspacl::text FROM pg_namespace WHERE nspname IN ('app', 'public')
                       UNION ALL SELECT 'db ' || datname, datacl::text FROM pg_database WHERE datname = %s
                       UNION ALL SELECT 'fn ' || oid::regprocedure::text, proacl::text FROM pg_proc WHERE proname = 'f'
                       UNION ALL SELECT 'def ' || defaclrole::regrole || ' ' || defaclobjtype::text || ' ' || defaclnamespace::regnamespace,
                                        defaclacl::text FROM pg_default_acl
                       ORDER BY 1""", (DB,), dbname=DB)


def privs(pg, role, table):
    return pg.query("""SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
                       WHERE has_table_privilege(%s, %s, p) ORDER BY 1""", (role, table), dbname=DB)


READ_MODEL = [
    dict(type='schema', objects=['app'], roles=['itg_read'], privileges=['USAGE']),
    dict(type='table', schema='app', all_in_schema=True, roles=['itg_read'], privileges=['SELECT']),
    dict(type='default_privileges', schema='app', target_roles=['itg_owner'], objects=['tables'],
         roles=['itg_read'], privileges=['SELECT']),
]


def test_check_mode_predicts_then_converges_then_noop(pg, grant):
    before = acls(pg)
    predicted = grant(check=True, diff=True, grants=READ_MODEL)
    assert predicted['changed'] is True
    assert acls(pg) == before, 'check mode must not change anything'
    offset = pg.log_size()
    applied = grant(diff=True, grants=READ_MODEL)
    assert applied['queries'] == predicted['queries']
    assert applied['diff'] == predicted['diff']
    ran = pg.statements_since(offset)
    assert [q for q in ran if q.startswith(('GRANT', 'ALTER DEFAULT'))] == applied['queries']
    assert applied['queries'] == [
        'GRANT USAGE ON SCHEMA "app" TO "itg_read"',
        'GRANT SELECT ON TABLE "app"."t1", "app"."t2" TO "itg_read"',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "itg_owner" IN SCHEMA "app" GRANT SELECT ON TABLES TO "itg_read"',
    ]
    assert applied['diff']['after']['table app.t1'] == {'itg_read': ['SELECT']}
    offset = pg.log_size()
    again = grant(grants=READ_MODEL)
    assert again['changed'] is False and again['queries'] == []
    # The no-op run reads once: one catalog query, whatever the number of objects.
    reads = [q for q in pg.statements_since(offset) if q.startswith('SELECT')]
    assert len(reads) == 1
    assert grant(check=True, grants=READ_MODEL)['changed'] is False


def test_table_created_later_is_readable_not_writable(pg, grant):
    grant(grants=READ_MODEL)
    pg.query('SET ROLE itg_owner; CREATE TABLE app.later (id int); INSERT INTO app.later VALUES (1); RESET ROLE', dbname=DB)
    assert privs(pg, 'itg_read', 'app.later') == [('SELECT',)]
    conn = pg.connect(DB)
    with conn.cursor() as cur:
        cur.execute('SET ROLE itg_read')
        cur.execute('SELECT count(*) FROM app.later')
        assert cur.fetchone() == (1,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute('INSERT INTO app.later VALUES (2)')
    conn.close()


def test_exact_revokes_undeclared_and_nothing_else(pg, grant):
    pg.query("""GRANT SELECT, INSERT, DELETE ON app.t1 TO itg_app; GRANT SELECT ON app.t2 TO itg_app;
                GRANT UPDATE ON app.t1 TO itg_other; GRANT SELECT (secret) ON app.t1 TO itg_app;
                GRANT USAGE ON SCHEMA app TO itg_other""", dbname=DB)
    before = dict(acls(pg))
    res = grant(type='table', schema='app', objects=['t1'], roles=['itg_app'],
                privileges=['SELECT', 'INSERT', 'UPDATE'], state='exact')
    assert res['queries'] == ['REVOKE DELETE ON TABLE "app"."t1" FROM "itg_app"',
                              'GRANT UPDATE ON TABLE "app"."t1" TO "itg_app"']
    assert privs(pg, 'itg_app', 'app.t1') == [('INSERT',), ('SELECT',), ('UPDATE',)]
    after = dict(acls(pg))
    changed = sorted(k for k in after if after[k] != before.get(k))
    assert changed == ['rel app.t1']
    # other grantees, other tables and column privileges are untouched
    assert 'itg_other=w/itg_owner' in after['rel app.t1']
    assert privs(pg, 'itg_app', 'app.t2') == [('SELECT',)]
    assert grant(type='table', schema='app', objects=['t1'], roles=['itg_app'],
                 privileges=['SELECT', 'INSERT', 'UPDATE'], state='exact')['changed'] is False


def test_exact_empty_revokes_grants_of_other_grantors(pg, grant):
    pg.query("""GRANT SELECT ON app.t2 TO itg_other WITH GRANT OPTION; GRANT USAGE ON SCHEMA app TO itg_other;
                SET ROLE itg_other; GRANT SELECT ON app.t2 TO itg_app; RESET ROLE;
                GRANT INSERT ON app.t2 TO itg_app""", dbname=DB)
    res = grant(type='table', schema='app', objects=['t2'], roles=['itg_app'], privileges=[], state='exact')
    assert res['changed'] is True
    assert privs(pg, 'itg_app', 'app.t2') == []
    assert privs(pg, 'itg_other', 'app.t2') == [('SELECT',)]
    assert grant(type='table', schema='app', objects=['t2'], roles=['itg_app'], privileges=[], state='exact')['changed'] is False


def test_public_revokes_are_idempotent(pg, grant):
    lock = [dict(type='database', objects=[DB], roles=['PUBLIC'], privileges=['ALL'], state='absent'),
            dict(type='schema', objects=['public'], roles=['public'], privileges=['CREATE', 'USAGE'], state='absent'),
            dict(type='function', schema='app', objects=['f(integer)'], roles=['PUBLIC'], privileges=['EXECUTE'], state='absent'),
            dict(type='default_privileges', target_roles=['itg_owner'], objects=['functions'], roles=['PUBLIC'],
                 privileges=['EXECUTE'], state='absent')]
    first = grant(grants=lock)
    assert first['changed'] is True
    assert 'REVOKE CONNECT, TEMPORARY ON DATABASE "%s" FROM PUBLIC' % DB in first['queries']
    assert pg.query("SELECT has_database_privilege('itg_app', %s, 'CONNECT'), "
                    "has_function_privilege('itg_app', 'app.f(integer)', 'EXECUTE')", (DB,), dbname=DB) == [(False, False)]
    pg.query('SET ROLE itg_owner; CREATE FUNCTION app.g() RETURNS int LANGUAGE sql AS $$SELECT 1$$; RESET ROLE', dbname=DB)
    assert pg.query("SELECT has_function_privilege('itg_app', 'app.g()', 'EXECUTE')", dbname=DB) == [(False,)]
    second = grant(grants=lock)
    assert second['changed'] is False and second['queries'] == []


def test_grant_option_columns_sequences(pg, grant):
    entries = [dict(type='column', schema='app', objects=['t1'], columns=['secret'], roles=['itg_app'],
                    privileges=['SELECT', 'UPDATE']),
               dict(type='sequence', schema='app', objects=['s1'], roles=['itg_app'], privileges=['USAGE'],
                    grant_option=True)]
    res = grant(grants=entries)
    assert res['queries'] == ['GRANT SELECT ("secret"), UPDATE ("secret") ON TABLE "app"."t1" TO "itg_app"',
                              'GRANT USAGE ON SEQUENCE "app"."s1" TO "itg_app" WITH GRANT OPTION']
    assert pg.query("SELECT has_column_privilege('itg_app', 'app.t1', 'secret', 'UPDATE'), "
                    "has_column_privilege('itg_app', 'app.t1', 'id', 'SELECT'), "
                    "has_sequence_privilege('itg_app', 'app.s1', 'USAGE WITH GRANT OPTION')", dbname=DB) == [(True, False, True)]
    assert grant(grants=entries)['changed'] is False
    entries[1]['grant_option'] = False
    res = grant(grants=entries)
    assert res['queries'] == ['REVOKE GRANT OPTION FOR USAGE ON SEQUENCE "app"."s1" FROM "itg_app"']
    assert grant(grants=entries)['changed'] is False


@pytest.mark.parametrize('name', HOSTILE)
def test_hostile_identifiers_round_trip(pg, grant, name):
    pg.query('CREATE ROLE %s' % psycopg2.extensions.quote_ident(name, pg.connect(DB)))
    try:
        conn = pg.connect(DB)

        def q(n):
            return psycopg2.extensions.quote_ident(n, conn)

        pg.query('CREATE SCHEMA %s; CREATE TABLE %s.%s (%s int)' % (q(name), q(name), q(name), q(name)), dbname=DB)
        conn.close()
        entries = [dict(type='schema', objects=[name], roles=[name], privileges=['USAGE']),
                   dict(type='table', schema=name, objects=[name], roles=[name], privileges=['SELECT']),
                   dict(type='column', schema=name, objects=[name], columns=[name], roles=[name], privileges=['UPDATE']),
                   dict(type='default_privileges', schema=name, objects=['tables'], roles=[name], privileges=['SELECT'])]
        assert grant(grants=entries)['changed'] is True
        assert pg.query('SELECT has_table_privilege(%s, format(%s, %s, %s), %s), has_schema_privilege(%s, %s, %s)',
                        (name, '%I.%I', name, name, 'SELECT', name, name, 'USAGE'), dbname=DB) == [(True, True)]
        assert grant(grants=entries)['changed'] is False
    finally:
        pg.query('DROP DATABASE IF EXISTS %s WITH (FORCE)' % DB)
        pg.query('CREATE DATABASE %s' % DB)
        pg.query('DROP ROLE %s' % psycopg2.extensions.quote_ident(name, pg.connect()))


@pytest.mark.parametrize('args,option', [
    (dict(type='table', schema='app', objects=['nosuch'], roles=['itg_app'], privileges=['SELECT']), 'objects'),
    (dict(type='table', schema='app', objects=['s1'], roles=['itg_app'], privileges=['SELECT']), 'objects'),
    (dict(type='table', schema='nosuch', objects=['t1'], roles=['itg_app'], privileges=['SELECT']), 'schema'),
    (dict(type='table', schema='app', objects=['t1'], roles=['itg_nosuch'], privileges=['SELECT']), 'roles'),
    (dict(type='table', schema='app', objects=['t1'], roles=['itg_app'], privileges=['EXECUTE']), 'privileges'),
    (dict(grants=[dict(type='table', schema='app', objects=['t1'], roles=['itg_app'], privileges=['SELECT']),
                  dict(type='column', schema='app', objects=['t1'], columns=['nosuch'], roles=['itg_app'],
                       privileges=['SELECT'])]), 'grants[1].columns'),
])
def test_invalid_input_fails_clearly_and_changes_nothing(pg, grant, args, option):
    before = acls(pg)
    res = grant(**args)
    assert res.get('failed') is True
    assert res['option'] == option and option.split('.')[-1] in res['msg']
    assert acls(pg) == before
