"""pgwarden.postgresql.setting through ansible-playbook against a real PostgreSQL."""
import time

import pytest

from runner import run_module


@pytest.fixture
def setting(pg):
    def run(check=False, diff=False, **args):
        return run_module('pgwarden.postgresql.setting', dict(pg.connection_args(), **args), check=check, diff=diff)
    yield run
    pg.query('ALTER SYSTEM RESET ALL')
    pg.query('SELECT pg_reload_conf()')


def auto_conf(pg):
    """What postgresql.auto.conf holds, as the server reads it."""
    return pg.query("SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%%postgresql.auto.conf' "
                    "ORDER BY seqno")


def show(pg, name):
    time.sleep(0.3)  # the postmaster processes SIGHUP asynchronously
    return pg.query('SELECT setting FROM pg_settings WHERE name = %s', (name,))[0][0]


def test_units_check_mode_apply_idempotent(pg, setting):
    desired = {'work_mem': '16MB', 'checkpoint_timeout': '5min', 'idle_in_transaction_session_timeout': '1h',
               'log_connections': 'On', 'ssl_min_protocol_version': 'TLSv1.2'}
    before = auto_conf(pg)
    predicted = setting(check=True, diff=True, settings=desired)
    assert predicted['changed'] is True
    assert auto_conf(pg) == before, 'check mode must not change anything'
    offset = pg.log_size()
    applied = setting(diff=True, settings=desired)
    assert applied['queries'] == predicted['queries'] == [
        'ALTER SYSTEM SET "idle_in_transaction_session_timeout" TO \'1h\'',
        # the string 'On' goes in as written (a YAML boolean would be written 'on'); both compare equal below
        'ALTER SYSTEM SET "log_connections" TO \'On\'',
        'ALTER SYSTEM SET "work_mem" TO \'16MB\'',
        'SELECT pg_reload_conf()']
    # checkpoint_timeout is 5min by default and ssl_min_protocol_version TLSv1.2: nothing to do for them
    assert applied['changed_parameters'] == ['idle_in_transaction_session_timeout', 'log_connections', 'work_mem']
    assert applied['restart_required'] is False
    assert applied['diff']['after']['work_mem'] == '16MB'
    executed = pg.statements_since(offset)
    assert [s for s in executed if s.startswith(('ALTER', 'SELECT pg_reload'))] == applied['queries']
    first = executed.index(applied['queries'][0])
    assert executed[first - 1] != 'BEGIN' and 'BEGIN' not in executed[first:first + 3], 'ALTER SYSTEM runs alone'
    assert show(pg, 'work_mem') == '16384' and show(pg, 'idle_in_transaction_session_timeout') == '3600000'
    same_in_other_units = {'work_mem': '16384kB', 'checkpoint_timeout': '300s',
                           'idle_in_transaction_session_timeout': '60min', 'log_connections': True,
                           'ssl_min_protocol_version': 'tlsv1.2'}
    for values in (desired, same_in_other_units):
        again = setting(settings=values)
        assert again['changed'] is False and again['queries'] == []
        assert setting(check=True, settings=values)['changed'] is False


def test_restart_required_until_restart_and_reset(pg, setting):
    running = show(pg, 'shared_buffers')
    res = setting(settings={'shared_buffers': '1GB'})
    assert res['changed'] is True and res['restart_required'] is True
    assert res['queries'] == ['ALTER SYSTEM SET "shared_buffers" TO \'1GB\'']  # no reload for a postmaster parameter
    assert pg.query("SELECT pending_restart FROM pg_settings WHERE name = 'shared_buffers'") == [(False,)]
    pg.query('SELECT pg_reload_conf()')
    time.sleep(0.3)
    assert pg.query("SELECT pending_restart FROM pg_settings WHERE name = 'shared_buffers'") == [(True,)]
    again = setting(settings={'shared_buffers': '131072'})
    assert again['changed'] is False and again['restart_parameters'] == ['shared_buffers']
    back = setting(settings={'shared_buffers': None})
    assert back['changed'] is True and back['restart_required'] is False
    assert back['queries'] == ['ALTER SYSTEM RESET "shared_buffers"']
    assert show(pg, 'shared_buffers') == running


def test_preload_libraries_merged(pg, setting):
    assert setting(settings={'shared_preload_libraries': ['pg_stat_statements']})['changed'] is True
    res = setting(settings={'shared_preload_libraries': 'auto_explain'})
    assert res['changed'] is True and res['restart_required'] is True
    assert res['settings']['shared_preload_libraries']['after'] == 'pg_stat_statements, auto_explain'
    assert auto_conf(pg) == [('shared_preload_libraries', 'pg_stat_statements, auto_explain')]
    assert setting(settings={'shared_preload_libraries': ['auto_explain', 'pg_stat_statements']})['changed'] is False
    replaced = setting(settings={'shared_preload_libraries': ['auto_explain']}, merge_lists=[])
    assert replaced['changed'] is True
    assert auto_conf(pg) == [('shared_preload_libraries', 'auto_explain')]


@pytest.mark.parametrize('settings,option', [
    ({'work_mem': '64MB', 'shared_buffers': '1 parsec'}, 'settings.shared_buffers'),
    ({'work_mem': '64MB', 'no_such_parameter': 'x'}, 'settings.no_such_parameter'),
    ({'work_mem': '64MB', 'max_connections': '0'}, 'settings.max_connections'),
    ({'work_mem': '64MB', 'wal_level': 'verbose'}, 'settings.wal_level'),
])
def test_bad_values_change_nothing(pg, setting, settings, option):
    before = auto_conf(pg)
    res = setting(settings=settings)
    assert res.get('failed') is True and option in res['msg'] and 'nothing was changed' in res['msg']
    assert auto_conf(pg) == before
