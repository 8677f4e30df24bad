"""pgwarden.postgresql.role: guards against careless input, and per-role settings as the server stores them."""
import pytest

from test_role import catalog


def role_settings(pg, name, db=None):
    rows = pg.query("""SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                       WHERE r.rolname = %s AND s.setdatabase = coalesce((SELECT oid FROM pg_database
                       WHERE datname = %s), 0) ORDER BY 1""", (name, db))
    return [r[0] for r in rows]


@pytest.mark.parametrize('args', [dict(roles=[], exclusive=True), dict(exclusive=True),
                                  dict(roles=[dict(name='it_gone', state='absent')], exclusive=True)])
def test_exclusive_with_nothing_declared_refused(pg, role, args):
    role(roles=[dict(name='it_keep1'), dict(name='it_keep2', login=True)])
    before = catalog(pg)
    for check in (True, False):
        res = role(check=check, **args)
        assert res.get('failed') is True, res
        assert 'allow_empty_exclusive' in res['msg'] and res.get('option') == 'roles'
    assert catalog(pg) == before
    assert pg.query("SELECT count(*) FROM pg_roles WHERE rolname IN ('it_keep1', 'it_keep2')") == [(2,)]


def test_exclusive_empty_allowed_explicitly(pg, role):
    role(roles=[dict(name='it_stray1'), dict(name='it_stray2')])
    res = role(roles=[], exclusive=True, allow_empty_exclusive=True)
    assert res['changed'] is True and sorted(res['dropped']) == ['it_stray1', 'it_stray2']
    assert pg.query("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'") == [(1,)]
    assert role(roles=[], exclusive=True, allow_empty_exclusive=True)['changed'] is False


@pytest.mark.parametrize('args,option', [
    (dict(name='it_v', valid_until='2030-02-30'), 'valid_until'),
    (dict(roles=[dict(name='it_ok', valid_until='2030-01-01'), dict(name='it_v', valid_until='2030-02-30')]),
     'roles[1].valid_until'),
    (dict(roles=[dict(name='it_v', valid_until='yesterday-ish')]), 'roles[0].valid_until'),
])
def test_invalid_valid_until_names_the_option(pg, role, args, option):
    before = catalog(pg)
    res = role(**args)
    assert res.get('failed') is True and res.get('option') == option, res
    assert 'Reading the roles failed' not in res['msg'] and 'nothing was changed' in res['msg']
    assert catalog(pg) == before


def test_mixed_case_setting_names_idempotent_and_reset(pg, role):
    args = dict(name='it_tz', settings={'TimeZone': 'UTC', 'DateStyle': 'ISO, DMY', 'Work_Mem': '8MB'})
    assert role(**args)['changed'] is True
    assert role_settings(pg, 'it_tz') == ['DateStyle=ISO, DMY', 'TimeZone=UTC', 'work_mem=8MB']
    again = role(**args)
    assert again['changed'] is False and again['queries'] == []
    res = role(name='it_tz', settings={'TimeZone': None, 'datestyle': None})
    assert res['changed'] is True
    assert role_settings(pg, 'it_tz') == ['work_mem=8MB']
    assert role(name='it_tz', settings={'TimeZone': None})['changed'] is False


def test_list_values_round_trip(pg, role):
    pg.query('CREATE SCHEMA IF NOT EXISTS "my,schema"')
    try:
        args = dict(name='it_sp', settings={'search_path': ['my,schema', 'public']},
                    database_settings={'postgres': {'search_path': ['$user', 'Mixed Case', 'public']}})
        assert role(**args)['changed'] is True
        assert role_settings(pg, 'it_sp') == ['search_path="my,schema", public']
        assert role_settings(pg, 'it_sp', 'postgres') == ['search_path="$user", "Mixed Case", public']
        again = role(**args)
        assert again['changed'] is False and again['queries'] == []
        # the same list written as the server's text is the same value
        assert role(name='it_sp', settings={'search_path': '"my,schema", public'})['changed'] is False
    finally:
        pg.query('DROP SCHEMA "my,schema"')


@pytest.mark.parametrize('args,option', [
    (dict(name='it_d', settings={'work_mem': {'a': 1}}), 'settings'),
    (dict(roles=[dict(name='it_d', database_settings={'postgres': {'search_path': {'x': 'y'}}})]),
     'roles[0].database_settings'),
])
def test_dict_values_refused(pg, role, args, option):
    before = catalog(pg)
    res = role(**args)
    assert res.get('failed') is True and res.get('option') == option, res
    assert catalog(pg) == before
