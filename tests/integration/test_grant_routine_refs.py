"""grant: functions and procedures given as {schema, name, args}, found in pg_proc by names and type OIDs.

Names with parentheses, quotes and semicolons cannot be written in the string form name(args);
the structured form reaches the server only as a bound parameter.
"""
import pytest

from runner import run_module

DB = 'it_grant_refs'
ROLES = ('itgr_app', 'itgr_owner')
F_X = 'f(x)"'
A_B = "a'b"
HOSTILE = "x'); DROP TABLE app.victim; --"


@pytest.fixture
def grant(pg):
    pg.query('DROP DATABASE IF EXISTS %s' % DB)
    pg.query('CREATE DATABASE %s' % DB)
    for r in ROLES:
        pg.query('DROP ROLE IF EXISTS %s' % r)
        pg.query('CREATE ROLE %s' % r)
    pg.query('''CREATE SCHEMA app AUTHORIZATION itgr_owner; CREATE SCHEMA "s;x" AUTHORIZATION itgr_owner;
                SET ROLE itgr_owner;
                CREATE TABLE app.victim (id int);
                CREATE TYPE app."amount(eur)" AS (v numeric);
                CREATE FUNCTION app."f(x)"""(integer, text) RETURNS int LANGUAGE sql AS 'SELECT 1';
                CREATE FUNCTION app."f(x)"""(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
                CREATE FUNCTION app."a'b"(app."amount(eur)") RETURNS int LANGUAGE sql AS 'SELECT 1';
                CREATE FUNCTION app."a'b"(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
                CREATE FUNCTION app.g() RETURNS int LANGUAGE sql AS 'SELECT 1';
                CREATE FUNCTION app."x'); DROP TABLE app.victim; --"(text[], character varying) RETURNS int
                  LANGUAGE sql AS 'SELECT 1';
                CREATE FUNCTION "s;x".h(text[]) RETURNS int LANGUAGE sql AS 'SELECT 1';
                CREATE PROCEDURE app."p(1)"(integer) LANGUAGE sql AS 'SELECT 1';
                RESET ROLE;''', dbname=DB)

    def run(check=False, **args):
        return run_module('pgwarden.postgresql.grant', dict(pg.connection_args(), login_db=DB, **args), check=check, diff=True)
    yield run
    pg.query('DROP DATABASE %s WITH (FORCE)' % DB)
    for r in ROLES:
        pg.query('DROP ROLE IF EXISTS %s' % r)


def acls(pg):
    """{signature: ACL text} of every routine of the test schemas."""
    return dict(pg.query("""SELECT p.oid::regprocedure::text, coalesce(p.proacl::text, '') FROM pg_proc p
                            WHERE p.pronamespace IN ('app'::regnamespace, '"s;x"'::regnamespace)""", dbname=DB))


REFS = [dict(name=F_X, args=['integer', 'text']),
        dict(name=A_B, args=[dict(schema='app', name='amount(eur)')]),
        dict(name='g', args=[]),
        dict(name=HOSTILE, args=['text[]', 'varchar']),
        dict(schema='s;x', name='h', args=['pg_catalog.text[]'])]
GRANTED = ['app."f(x)"""(integer,text)', 'app."a\'b"(app."amount(eur)")', 'app.g()',
           'app."x\'); DROP TABLE app.victim; --"(text[],character varying)', '"s;x".h(text[])']


def test_structured_functions_are_found_by_names_and_argument_types(pg, grant):
    before = acls(pg)
    entries = [dict(type='function', schema='app', objects=REFS, roles=['itgr_app'], privileges=['EXECUTE']),
               dict(type='procedure', schema='app', objects=[dict(name='p(1)', args=['int4'])], roles=['itgr_app'],
                    privileges=['EXECUTE'])]
    check = grant(check=True, grants=entries)
    assert check['changed'] and not check.get('failed') and acls(pg) == before, check
    offset = pg.log_size()
    res = grant(grants=entries)
    assert res['changed'] and not res.get('failed'), res
    ran = pg.statements_since(offset)
    assert [q for q in ran if q.startswith('GRANT')] == res['queries']  # what the log shows is what the module reports
    assert res['queries'] == check['queries']
    assert any('"f(x)"""' in q and "\"a'b\"" in q for q in res['queries'])
    after = acls(pg)
    for sig in GRANTED + ['app."p(1)"(integer)']:
        assert 'itgr_app=X/itgr_owner' in after[sig], (sig, after[sig])
    # The overloads with other argument types are untouched.
    for sig in ('app."f(x)"""(integer)', 'app."a\'b"(integer)'):
        assert after[sig] == before[sig]
    assert pg.query('SELECT count(*) FROM app.victim', dbname=DB) == [(0,)]
    again = grant(grants=entries)
    assert not again['changed'] and again['queries'] == []
    # Authoritative for PUBLIC through the same references, then idempotent.
    lock = dict(type='function', schema='app', objects=REFS[:2], roles=['PUBLIC'], privileges=[], state='exact')
    res = grant(**lock)
    assert res['changed'] and len(res['queries']) == 1 and res['queries'][0].startswith('REVOKE EXECUTE ON ROUTINE')
    assert grant(**lock)['changed'] is False
    assert pg.query("SELECT has_function_privilege('itgr_owner', %s, 'EXECUTE'), has_function_privilege('public', %s, 'EXECUTE')",
                    (GRANTED[0], 'app."f(x)"""(integer)'), dbname=DB) == [(True, True)]


@pytest.mark.parametrize('objects,option,problem', [
    ([dict(name=F_X, args=['text', 'integer'])], 'objects[0]', 'does not exist'),
    ([REFS[0], dict(name='g', args=['integer'])], 'objects[1]', "name: g, args: [integer]"),
    ([dict(schema='nosuch', name=F_X, args=['integer'])], 'objects[0]', 'does not exist'),
    ([dict(name='p(1)', args=['integer'])], 'objects[0]', 'it is a procedure'),
    ([dict(name=A_B, args=['nosuch_type'])], 'objects[0].args[0]', 'type nosuch_type does not exist'),
    ([dict(name=A_B, args=[dict(schema='app', name='amount(usd)')])], 'objects[0].args[0]', 'app.amount(usd) does not exist'),
    ([dict(name=A_B, args=['integer integer'])], 'objects[0].args[0]', 'cannot read the type name'),
])
def test_missing_structured_function_fails_naming_the_entry(pg, grant, objects, option, problem):
    before = acls(pg)
    res = grant(type='function', schema='app', objects=objects, roles=['itgr_app'], privileges=['EXECUTE'])
    assert res.get('failed') and res['option'] == option and problem in res['msg'], res
    assert acls(pg) == before
    # Nothing to revoke from a function that does not exist: state=absent is a no-op.
    if 'type' not in problem and 'procedure' not in problem and 'cannot read' not in problem:
        res = grant(type='function', schema='app', objects=objects, roles=['itgr_app'], state='absent')
        assert not res.get('failed') and res['changed'] is False, res


@pytest.mark.parametrize('args,option', [
    (dict(type='function', objects=[dict(name=F_X, args=['int; DROP TABLE app.victim'])]), 'objects[0].args[0]'),
    (dict(type='function', objects=[dict(name=F_X, args=['integer, text'])]), 'objects[0].args[0]'),
    (dict(type='function', objects=[dict(name=F_X, args='integer')]), 'objects[0].args'),
    (dict(type='function', objects=[dict(name=F_X, argz=[])]), 'objects[0]'),
    (dict(type='function', objects=[dict(args=[])]), 'objects[0].name'),
    (dict(type='function', objects=[dict(name='n' * 64, args=[])]), 'objects[0].name'),
    (dict(type='function', objects=[dict(name=F_X, args=[dict(name='amount(eur)')])]), 'objects[0].args[0]'),
    (dict(type='table', objects=[dict(name='victim', args=[])]), 'objects'),
])
def test_bad_structured_input_is_refused_before_any_statement(pg, grant, args, option):
    before = acls(pg)
    offset = pg.log_size()
    res = grant(schema='app', roles=['itgr_app'], privileges=['EXECUTE'] if args['type'] == 'function' else ['SELECT'],
                **args)
    assert res.get('failed') and res['option'] == option, res
    assert pg.statements_since(offset) == []
    assert acls(pg) == before
