import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_plan import parse_snapshot, plan_settings
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_values import (
    MERGE_DEFAULT, normalise, split_list)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

from sqltext import texts

# pg_settings rows as PostgreSQL 15 reports them.
ROWS = {
    'shared_buffers': dict(setting='16384', unit='8kB', vartype='integer', context='postmaster',
                           min_val='16', max_val='1073741823', source='configuration file', boot_val='1024'),
    'work_mem': dict(setting='4096', unit='kB', vartype='integer', context='user', min_val='64',
                     max_val='2147483647', source='default', boot_val='4096'),
    'idle_in_transaction_session_timeout': dict(setting='0', unit='ms', vartype='integer', context='user',
                                                min_val='0', max_val='2147483647', source='default', boot_val='0'),
    'checkpoint_timeout': dict(setting='300', unit='s', vartype='integer', context='sighup', min_val='30',
                               max_val='86400', source='default', boot_val='300'),
    'log_connections': dict(setting='off', unit=None, vartype='bool', context='superuser-backend',
                            source='default', boot_val='off'),
    'ssl_min_protocol_version': dict(setting='TLSv1.2', unit=None, vartype='enum', context='sighup',
                                     enumvals=['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], source='default',
                                     boot_val='TLSv1.2'),
    'shared_preload_libraries': dict(setting='pg_stat_statements', unit=None, vartype='string',
                                     context='postmaster', source='configuration file', boot_val=''),
    'vacuum_cost_delay': dict(setting='2', unit='ms', vartype='real', context='user', min_val='0',
                              max_val='100', source='default', boot_val='2'),
    'log_line_prefix': dict(setting='%m [%p] ', unit=None, vartype='string', context='sighup',
                            source='configuration file', boot_val='%m [%p] '),
    'server_version': dict(setting='15.10', unit=None, vartype='string', context='internal', source='default',
                           boot_val='15.10'),
    'port': dict(setting='5433', unit=None, vartype='integer', context='postmaster', min_val='1',
                 max_val='65535', source='command line', boot_val='5432'),
}
CONF = '/etc/postgresql/15/main/postgresql.conf'
AUTO = '/var/lib/postgresql/15/main/postgresql.auto.conf'


def snapshot(files=(), **overrides):
    settings = dict((k, dict(v)) for k, v in ROWS.items())
    for k, v in overrides.items():
        settings.setdefault(k, {}).update(v)
    rows = [dict(name='shared_buffers', setting='128MB', sourcefile=CONF, error=None),
            dict(name='shared_preload_libraries', setting='pg_stat_statements', sourcefile=CONF, error=None),
            dict(name='log_line_prefix', setting='%m [%p] ', sourcefile=CONF, error=None)]
    rows += [dict(name=n, setting=s, sourcefile=AUTO if auto else CONF, error=None) for n, s, auto in files]
    return parse_snapshot(dict(settings=settings, files=rows))


def plan(desired, cur=None, merge=None, reload=True):
    merge = MERGE_DEFAULT if merge is None else merge
    return plan_settings(cur if cur is not None else snapshot(), desired, merge_lists=merge, reload=reload)


@pytest.mark.parametrize('name,value,expected', [
    ('shared_buffers', '1GB', 131072.0), ('shared_buffers', '131072', 131072.0), ('shared_buffers', 131072, 131072.0),
    ('shared_buffers', '128MB', 16384.0), ('shared_buffers', '1 GB', 131072.0), ('work_mem', '1MB', 1024.0),
    ('work_mem', '1.5MB', 1536.0), ('checkpoint_timeout', '5min', 300.0), ('checkpoint_timeout', '300s', 300.0),
    ('checkpoint_timeout', '300000ms', 300.0), ('checkpoint_timeout', '1h', 3600.0),
    ('idle_in_transaction_session_timeout', '5min', 300000.0), ('vacuum_cost_delay', '500us', 0.5),
    ('log_connections', 'On', 'on'), ('log_connections', True, 'on'), ('log_connections', 'of', 'off'),
    ('log_connections', 'yes', 'on'), ('log_connections', 0, 'off'),
    ('ssl_min_protocol_version', 'tlsv1.3', 'tlsv1.3'),
    ('shared_preload_libraries', 'a, "b c",d', ('a', 'b c', 'd')), ('shared_preload_libraries', ['a', 'b'], ('a', 'b')),
    ('shared_preload_libraries', '', ()),
])
def test_normalise_units_and_types(name, value, expected):
    assert normalise(value, ROWS[name], name) == expected


@pytest.mark.parametrize('name,value,problem', [
    ('shared_buffers', '1Gb', "unit 'Gb'"), ('shared_buffers', '5min', "unit 'min'"),
    ('checkpoint_timeout', '1GB', "unit 'GB'"), ('shared_buffers', '8', 'below the minimum'),
    ('checkpoint_timeout', '2d', 'above the maximum'), ('work_mem', 'lots', 'is not a number'),
    ('log_connections', 'maybe', 'not a boolean'), ('ssl_min_protocol_version', 'SSLv3', 'is not one of'),
    ('work_mem', ['1MB'], 'a list was given'),
])
def test_normalise_rejects(name, value, problem):
    with pytest.raises(ValueError, match=problem.replace('(', r'\(')):
        normalise(value, ROWS[name], name)


def test_split_list_quoting():
    assert split_list('"$user", public') == ['$user', 'public']
    assert split_list('"a""b",c') == ['a"b', 'c']
    assert split_list('') == []


def test_equal_values_in_other_units_plan_nothing():
    cur = snapshot(files=[('work_mem', '16384', True), ('checkpoint_timeout', '300', True)])
    p = plan({'shared_buffers': '131072', 'work_mem': '16MB', 'checkpoint_timeout': '5min',
              'log_line_prefix': '%m [%p] ', 'ssl_min_protocol_version': 'tlsv1.2'},
             cur=snapshot(files=[('shared_buffers', '1GB', True), ('work_mem', '16384', True)],
                          work_mem=dict(setting='16384', source='configuration file')))
    assert p.statements == [] and p.changed == []
    assert cur['work_mem']['auto'] == '16384'


def test_set_reloadable_and_postmaster_parameters():
    p = plan({'work_mem': '16MB', 'shared_buffers': '1GB', 'log_connections': True})
    assert texts(p.statements) == [
        'ALTER SYSTEM SET "log_connections" TO \'on\'',
        'ALTER SYSTEM SET "shared_buffers" TO \'1GB\'',
        'ALTER SYSTEM SET "work_mem" TO \'16MB\'',
        'SELECT pg_reload_conf()',
    ]
    assert all(not s.transactional for s in p.statements[:3])
    assert p.restart_required == ['shared_buffers']
    assert p.before == {'log_connections': 'off', 'shared_buffers': '128MB', 'work_mem': '4096'}
    assert p.after == {'log_connections': 'on', 'shared_buffers': '1GB', 'work_mem': '16MB'}


def test_postmaster_only_change_does_not_reload():
    p = plan({'shared_buffers': '256MB'})
    assert texts(p.statements) == ['ALTER SYSTEM SET "shared_buffers" TO \'256MB\'']
    assert p.restart_required == ['shared_buffers']
    assert texts(plan({'work_mem': '8MB'}, reload=False).statements) == ['ALTER SYSTEM SET "work_mem" TO \'8MB\'']


def test_pending_restart_is_reported_without_change():
    # ALTER SYSTEM already ran, the server still runs with 128MB: no statement, but restart needed.
    p = plan({'shared_buffers': '1GB'}, cur=snapshot(files=[('shared_buffers', '131072', True)]))
    assert p.statements == [] and p.restart_required == ['shared_buffers']
    # After the restart the running value matches: nothing at all.
    p = plan({'shared_buffers': '1GB'}, cur=snapshot(files=[('shared_buffers', '1GB', True)],
                                                     shared_buffers=dict(setting='131072')))
    assert p.statements == [] and p.restart_required == []


def test_list_merge_keeps_existing_libraries_and_order():
    p = plan({'shared_preload_libraries': ['pgaudit']})
    assert texts(p.statements) == ['ALTER SYSTEM SET "shared_preload_libraries" TO \'pg_stat_statements\', \'pgaudit\'']
    assert p.restart_required == ['shared_preload_libraries']
    cur = snapshot(files=[('shared_preload_libraries', 'pg_stat_statements, pgaudit', True)])
    assert plan({'shared_preload_libraries': 'pgaudit'}, cur=cur).statements == []
    assert plan({'shared_preload_libraries': ['pgaudit', 'pg_stat_statements']}, cur=cur).statements == []


def test_list_replace_when_not_merged():
    cur = snapshot(files=[('shared_preload_libraries', 'pg_stat_statements, pgaudit', True)])
    p = plan({'shared_preload_libraries': ['pgaudit']}, cur=cur, merge=[])
    assert texts(p.statements) == ['ALTER SYSTEM SET "shared_preload_libraries" TO \'pgaudit\'']
    p = plan({'shared_preload_libraries': []}, merge=[])
    assert texts(p.statements) == ['ALTER SYSTEM SET "shared_preload_libraries" TO \'\'']


def test_reset_only_when_in_auto_conf():
    assert plan({'work_mem': None}).statements == []
    p = plan({'work_mem': None, 'shared_buffers': None},
             cur=snapshot(files=[('work_mem', '64MB', True), ('shared_buffers', '1GB', True)],
                          shared_buffers=dict(setting='131072')))
    assert texts(p.statements) == ['ALTER SYSTEM RESET "shared_buffers"', 'ALTER SYSTEM RESET "work_mem"',
                                   'SELECT pg_reload_conf()']
    # shared_buffers falls back to postgresql.conf's 128MB while 1GB runs: restart.
    assert p.restart_required == ['shared_buffers']
    assert p.after == {'shared_buffers': None, 'work_mem': None}


def test_custom_parameters():
    with pytest.raises(PlanError, match='must be loaded first') as e:
        plan({'pgaudit.log': 'ddl, role'})
    assert e.value.option == 'settings.pgaudit.log'
    cur = snapshot()
    cur['pgaudit.log'] = dict(info=dict(setting='none', unit=None, vartype='string', context='superuser',
                                        source='default', boot_val='none'), file=None, auto=None, below=None)
    p = plan({'pgaudit.log': 'ddl, role'}, cur=cur)
    assert texts(p.statements) == ['ALTER SYSTEM SET "pgaudit"."log" TO \'ddl\', \'role\'', 'SELECT pg_reload_conf()']
    cur['pgaudit.log']['file'] = 'ddl, role'
    cur['pgaudit.log']['info'].update(setting='ddl, role', source='configuration file')
    assert plan({'pgaudit.log': ['ddl', 'role']}, cur=cur).statements == []


def test_entry_waiting_for_restart_still_counts():
    cur = parse_snapshot(dict(settings=dict(shared_buffers=ROWS['shared_buffers']), files=[
        dict(name='shared_buffers', setting='128MB', sourcefile=CONF, error=None),
        dict(name='shared_buffers', setting='1GB', sourcefile=AUTO, error='setting could not be applied'),
        dict(name='shared_buffers', setting='x', sourcefile=AUTO, error='syntax error')]))
    assert cur['shared_buffers']['file'] == '1GB'


def test_command_line_source_warns():
    p = plan({'port': 5432})
    assert texts(p.statements) == ['ALTER SYSTEM SET "port" TO \'5432\'']
    assert 'command line' in p.warnings[0]


@pytest.mark.parametrize('desired,option', [
    ({'no_such_param': '1'}, 'settings.no_such_param'),
    ({'server_version': '16'}, 'settings.server_version'),
    ({'work_mem': '1GB', 'shared_buffers': '1 parsec'}, 'settings.shared_buffers'),
    ({'Bad Name': 1}, 'settings'),
    ({'work_mem': {'a': 1}}, 'settings.work_mem'),
])
def test_bad_input_names_the_option(desired, option):
    with pytest.raises(PlanError) as e:
        plan(desired)
    assert e.value.option == option


def test_configured_but_not_reloaded_plans_a_reload():
    """The file holds the value, the server still runs with the old one: reload, and say so."""
    cur = snapshot(files=[('work_mem', '16MB', True)])  # running 4096 (source default)
    p = plan({'work_mem': '16MB'}, cur=cur)
    assert texts(p.statements) == ['SELECT pg_reload_conf()'] and p.changed == []
    assert p.reload_pending == ['work_mem'] and p.settings['work_mem']['reload_required'] is True
    assert plan({'work_mem': '16MB'}, cur=cur, reload=False).statements == []
    loaded = snapshot(files=[('work_mem', '16MB', True)], work_mem=dict(setting='16384', source='configuration file'))
    assert plan({'work_mem': '16MB'}, cur=loaded).statements == []
    # a value set for the role or the database is not the configuration file's business
    other = snapshot(files=[('work_mem', '16MB', True)], work_mem=dict(setting='1024', source='user'))
    assert plan({'work_mem': '16MB'}, cur=other).statements == []


def test_reset_in_file_but_running_old_value_plans_a_reload():
    cur = snapshot(work_mem=dict(setting='16384', source='configuration file'))  # no entry left in any file
    p = plan({'work_mem': None}, cur=cur)
    assert texts(p.statements) == ['SELECT pg_reload_conf()']


def test_server_probe_wins_over_pure_normalisation():
    cur = snapshot(files=[('work_mem', '16MB', True)], work_mem=dict(setting='16384', source='configuration file'))
    p = plan_settings(cur, {'work_mem': '16MB'}, probed=dict(declared={'work_mem': '16384'},
                                                             configured={'work_mem': '16384'}))
    assert p.statements == []
    p = plan_settings(cur, {'work_mem': '16MB'}, probed=dict(declared={'work_mem': '8192'},
                                                             configured={'work_mem': '16384'}))
    assert texts(p.statements) == ['ALTER SYSTEM SET "work_mem" TO \'16MB\'', 'SELECT pg_reload_conf()']


ONOFF_ENUM = dict(setting='on', unit=None, vartype='enum', context='postmaster', source='default', boot_val='try',
                  enumvals=['off', 'on', 'try'])


@pytest.mark.parametrize('value,label', [('yes', 'on'), ('TRUE', 'on'), ('1', 'on'), (True, 'on'), ('no', 'off'),
                                         ('False', 'off'), ('0', 'off'), (False, 'off'), ('Try', 'try')])
def test_enum_synonyms_the_server_accepts(value, label):
    assert normalise(value, ONOFF_ENUM, 'huge_pages') == label


@pytest.mark.parametrize('value', ['y', 'of', 'maybe', 'tr', ''])
def test_enum_takes_no_prefixes(value):
    with pytest.raises(ValueError):
        normalise(value, ONOFF_ENUM, 'huge_pages')


def test_wal_level_old_names_and_synonym_in_the_file():
    info = dict(setting='replica', unit=None, vartype='enum', context='postmaster', source='configuration file',
                boot_val='replica', enumvals=['minimal', 'replica', 'logical'])
    assert normalise('hot_standby', info, 'wal_level') == normalise('archive', info, 'wal_level') == 'replica'
    with pytest.raises(ValueError):
        normalise('yes', info, 'wal_level')
    cur = snapshot(files=[('huge_pages', 'yes', False)], huge_pages=dict(ONOFF_ENUM))
    assert plan({'huge_pages': 'on'}, cur=cur).statements == []
    assert texts(plan({'huge_pages': 'off'}, cur=cur).statements) == ['ALTER SYSTEM SET "huge_pages" TO \'off\'']
