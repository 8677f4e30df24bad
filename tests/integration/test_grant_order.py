"""pgwarden.postgresql.grant: entries applied in order, functions known by one key, junk argument lists refused."""
import pytest

# db and grant are fixtures, used by name
from test_grant import DB, acls, db, grant, privs  # noqa: F401 pylint: disable=unused-import

ALL_BUT_DELETE = [('INSERT',), ('REFERENCES',), ('SELECT',), ('TRIGGER',), ('TRUNCATE',), ('UPDATE',)]


def test_later_entry_revokes_what_an_earlier_one_granted(pg, grant):  # noqa: F811
    entries = [dict(schema='app', objects=['t1'], roles=['itg_app'], privileges=['ALL']),
               dict(schema='app', objects=['t1'], roles=['itg_app'], privileges=['DELETE'], state='absent')]
    predicted = grant(check=True, diff=True, grants=entries)
    res = grant(diff=True, grants=entries)
    assert res['changed'] is True and res['queries'] == predicted['queries']
    assert privs(pg, 'itg_app', 'app.t1') == ALL_BUT_DELETE
    after = res['diff']['after']['table app.t1']['itg_app']
    assert 'DELETE' not in after and sorted(p for (p,) in ALL_BUT_DELETE) == after
    again = grant(grants=entries)
    assert again['changed'] is False and again['queries'] == []
    assert privs(pg, 'itg_app', 'app.t1') == ALL_BUT_DELETE


def test_later_entry_grants_what_an_earlier_one_revoked(pg, grant):  # noqa: F811
    pg.query('GRANT SELECT, DELETE ON app.t1 TO itg_app', dbname=DB)
    entries = [dict(schema='app', objects=['t1'], roles=['itg_app'], privileges=['ALL'], state='absent'),
               dict(schema='app', objects=['t1'], roles=['itg_app'], privileges=['SELECT'])]
    res = grant(diff=True, grants=entries)
    assert res['changed'] is True and privs(pg, 'itg_app', 'app.t1') == [('SELECT',)]
    assert res['diff']['after']['table app.t1']['itg_app'] == ['SELECT']
    assert grant(grants=entries)['changed'] is False


@pytest.fixture
def routines(pg, db):  # noqa: F811
    pg.query("""SET ROLE itg_owner;
                CREATE FUNCTION app.h(a integer, b text) RETURNS int LANGUAGE sql AS 'SELECT a';
                CREATE FUNCTION app.k(a int4, b varchar) RETURNS int LANGUAGE sql AS 'SELECT a';
                RESET ROLE;""", dbname=DB)


def test_one_function_under_several_spellings_is_one_key(pg, grant, routines):
    entries = [dict(type='function', schema='app', objects=['h(integer, text)'], roles=['itg_app'],
                    privileges=['EXECUTE']),
               dict(type='function', schema='app', objects=['h(a integer, b text)', 'k(int4, varchar)'],
                    roles=['itg_app'], privileges=['EXECUTE']),
               dict(type='function', schema='app', objects=['k(integer, character varying)', 'h(int, text)'],
                    roles=['itg_read'], privileges=['EXECUTE'])]
    res = grant(grants=entries)
    assert res.get('changed') is True and len(res.get('queries', [])) == 2, res.get('msg')
    assert pg.query("SELECT has_function_privilege('itg_app', 'app.h(integer, text)', 'EXECUTE'), "
                    "has_function_privilege('itg_read', 'app.k(integer, varchar)', 'EXECUTE')", dbname=DB) == [(True, True)]
    for _run in range(2):
        again = grant(grants=entries)
        assert again['changed'] is False and again['queries'] == []
    everything = grant(type='function', schema='app', all_in_schema=True, roles=['itg_app'], privileges=['EXECUTE'])
    assert everything['queries'] == ['GRANT EXECUTE ON ROUTINE "app"."f"(a integer) TO "itg_app"']
    assert grant(grants=entries)['changed'] is False


@pytest.mark.parametrize('obj', ['f(integer); DROP TABLE app.t2; --', 'f(integer;)', 'f(integer) ; SELECT 1; f()',
                                 "f(integer, text')", 'f(integer /* x */)', 'f(integer -- x)', 'f(nosuchtype)',
                                 'f("unterminated)', 'f(integer))'])
def test_junk_argument_list_fails_naming_the_option(pg, grant, obj):  # noqa: F811
    before = acls(pg)
    res = grant(grants=[dict(schema='app', objects=['t1'], roles=['itg_app'], privileges=['SELECT']),
                        dict(type='function', schema='app', objects=[obj], roles=['itg_app'], privileges=['EXECUTE'])])
    assert res.get('failed') is True and res.get('option') == 'grants[1].objects', res
    assert 'SELECT NULL' not in res['msg'] and 'json_build_object' not in res['msg'], res['msg']
    assert acls(pg) == before
    assert pg.query("SELECT count(*) FROM pg_class WHERE relname = 't2'", dbname=DB) == [(1,)]
