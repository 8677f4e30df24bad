"""pgwarden.postgresql.setting: every value validated before any is written, running values compared, enum synonyms."""
import pytest

# setting is a fixture, used by name
from test_setting import auto_conf, setting, show  # noqa: F401 pylint: disable=unused-import


def running(pg, name):
    """The value a new session gets, as SHOW says."""
    return pg.query('SHOW %s' % name)[0][0]


def test_one_bad_value_writes_nothing(pg, setting):  # noqa: F811
    before = auto_conf(pg)
    res = setting(settings={'lock_timeout': '5s', 'timezone': 'Bogus/Zone'})
    assert res.get('failed') is True and 'settings.timezone' in res['msg'] and 'nothing was changed' in res['msg'], res
    assert res.get('option') == 'settings.timezone'
    assert auto_conf(pg) == before, 'lock_timeout was written although timezone is invalid'
    assert running(pg, 'lock_timeout') == '0'
    applied = setting(settings={'lock_timeout': '5s', 'timezone': 'UTC'})
    assert applied['changed'] is True and applied['queries'][-1] == 'SELECT pg_reload_conf()'
    assert show(pg, 'lock_timeout') == '5000' and running(pg, 'lock_timeout') == '5s'
    assert setting(settings={'lock_timeout': '5000ms', 'timezone': 'UTC'})['changed'] is False


def test_written_but_not_reloaded_is_reloaded(pg, setting):  # noqa: F811
    """The state a partial failure used to leave: the file says 5s, the server still runs with 0."""
    pg.query("ALTER SYSTEM SET lock_timeout = '5s'")
    assert running(pg, 'lock_timeout') == '0'
    predicted = setting(check=True, settings={'lock_timeout': '5s'})
    assert predicted['changed'] is True and predicted['queries'] == ['SELECT pg_reload_conf()']
    assert predicted['settings']['lock_timeout']['reload_required'] is True
    res = setting(settings={'lock_timeout': '5s'})
    assert res['changed'] is True and res['queries'] == ['SELECT pg_reload_conf()']
    assert show(pg, 'lock_timeout') == '5000' and running(pg, 'lock_timeout') == '5s'
    again = setting(settings={'lock_timeout': '5s'})
    assert again['changed'] is False and again['queries'] == []


@pytest.mark.parametrize('name,value,stored', [
    ('synchronous_commit', 'yes', 'on'), ('synchronous_commit', True, 'on'), ('synchronous_commit', '1', 'on'),
    ('synchronous_commit', 'FALSE', 'off'), ('synchronous_commit', 'no', 'off'),
    ('huge_pages', 'yes', 'on'), ('huge_pages', '0', 'off'), ('huge_pages', 'Try', 'try'),
    ('constraint_exclusion', 'true', 'on'), ('wal_level', 'hot_standby', 'replica'),
])
def test_enum_synonyms_idempotent(pg, setting, name, value, stored):  # noqa: F811
    canonical = setting(settings={name: stored})
    assert canonical.get('failed') is not True, canonical
    res = setting(settings={name: value})
    assert res.get('failed') is not True, res
    assert res['changed'] is False and res['queries'] == []


def test_synonym_already_in_the_file_can_be_managed(pg, setting):  # noqa: F811
    pg.query("ALTER SYSTEM SET synchronous_commit = 'yes'")
    pg.query("ALTER SYSTEM SET huge_pages = 'no'")
    pg.query('SELECT pg_reload_conf()')
    show(pg, 'synchronous_commit')
    res = setting(settings={'synchronous_commit': 'on', 'huge_pages': 'off'})
    assert res.get('failed') is not True, res
    assert res['changed'] is False
    res = setting(settings={'synchronous_commit': 'local'})
    assert res['changed'] is True and show(pg, 'synchronous_commit') == 'local'


@pytest.mark.parametrize('settings,option', [
    ({'work_mem': '64MB', 'synchronous_commit': 'maybe'}, 'settings.synchronous_commit'),
    ({'work_mem': '64MB', 'huge_pages': 'o'}, 'settings.huge_pages'),
    ({'work_mem': '64MB', 'DateStyle': 'ISO, nonsense'}, 'settings.DateStyle'),
])
def test_values_the_server_refuses_change_nothing(pg, setting, settings, option):  # noqa: F811
    before = auto_conf(pg)
    res = setting(settings=settings)
    assert res.get('failed') is True and option in res['msg'] and 'nothing was changed' in res['msg'], res
    assert auto_conf(pg) == before
