import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_model import desired_roles
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_plan import plan_roles
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.scram import scram_verifier
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

from sqltext import secrets, texts

PG15, PG17 = 150010, 170005


def role(name, **kw):
    base = dict(name=name, superuser=False, createdb=False, createrole=False, inherit=True, login=False,
                replication=False, bypassrls=False, connection_limit=-1, valid_until=None, password=None)
    base.update(kw)
    return base


def current(*roles, **kw):
    cur = dict(current_user='postgres', bootstrap='postgres', version=PG15, databases={'postgres', 'app'},
               roles=dict((r['name'], r) for r in (role('postgres', superuser=True, login=True),) + roles),
               members={}, settings={}, valid_until={}, password_readable=True)
    cur.update(kw)
    return cur


def plan(cur, version=PG15, exclusive=False, **params):
    params.setdefault('exclusive', exclusive)
    desired = desired_roles(params, version)
    return plan_roles(cur, desired, exclusive=exclusive, new_verifier=lambda p: 'SCRAM-SHA-256$new')


def test_create_with_attributes_password_and_membership():
    p = plan(current(role('grp')), roles=[dict(name='app', login=True, password='s3cret', connection_limit=5,
                                               member_of=['grp'], settings={'statement_timeout': '30s'})])
    assert texts(p.statements) == [
        'CREATE ROLE "app" WITH LOGIN CONNECTION LIMIT 5 PASSWORD \'********\'',
        'GRANT "grp" TO "app"',
        'ALTER ROLE "app" SET "statement_timeout" TO \'30s\'',
    ]
    assert p.created == ['app'] and p.altered == [] and p.dropped == []
    assert p.before['app'] == {} and p.after['app']['login'] is True
    assert 'password' not in p.after['app'] and p.after['app']['password_set'] is True


def test_noop_when_everything_matches():
    v = scram_verifier('s3cret')
    cur = current(role('grp'), role('app', login=True, connection_limit=5, password=v, valid_until='2030-01-01 00:00:00+00'),
                  members={'app': {'grp': dict(admin=False, inherit=False, set=False, grantors=['postgres'])}},
                  settings={'app': {'': {'statement_timeout': '30s', 'search_path': '"$user", public'}}},
                  valid_until={'2030-01-01': '2030-01-01 00:00:00+00'})
    p = plan(cur, roles=[dict(name='app', login=True, password='s3cret', connection_limit=5, member_of=['grp'],
                              valid_until='2030-01-01',
                              settings={'statement_timeout': '30s', 'search_path': '"$user",public'})])
    assert p.statements == [] and p.before == {} and p.after == {}


def test_changed_password_and_md5_upgrade():
    cur = current(role('a', password=scram_verifier('old')), role('b', password='md5' + '0' * 32))
    p = plan(cur, roles=[dict(name='a', password='new'), dict(name='b', password='x')])
    assert texts(p.statements) == ['ALTER ROLE "a" WITH PASSWORD \'********\'', 'ALTER ROLE "b" WITH PASSWORD \'********\'']
    assert secrets(p.statements[0].query) == ['SCRAM-SHA-256$new']


def test_update_password_on_create_leaves_existing_password():
    cur = current(role('a', password=scram_verifier('old')))
    assert plan(cur, name='a', password='new', update_password='on_create').statements == []


def test_precomputed_verifier_is_stored_as_is_and_idempotent():
    v = scram_verifier('pw')
    p = plan(current(role('a')), name='a', password=v)
    assert secrets(p.statements[0].query) == [v]
    assert plan(current(role('a', password=v)), name='a', password=v).statements == []


def test_empty_password_removes_it():
    assert texts(plan(current(role('a', password='md5' + '1' * 32)), name='a', password='').statements) == [
        'ALTER ROLE "a" WITH PASSWORD NULL']
    assert plan(current(role('a')), name='a', password='').statements == []


def test_valid_until_compared_after_server_normalisation():
    normalised = {'2030-01-01': '2030-01-01 00:00:00+00', 'infinity': 'infinity'}
    cur = current(role('a', valid_until='2030-01-01 00:00:00+00'), valid_until=normalised)
    assert plan(cur, name='a', valid_until='2030-01-01').statements == []
    assert texts(plan(cur, name='a', valid_until='infinity').statements) == ['ALTER ROLE "a" WITH VALID UNTIL \'infinity\'']


def test_hostile_names_are_identifiers():
    name = 'x"; DROP ROLE postgres; --'
    assert texts(plan(current(), name=name).statements) == ['CREATE ROLE "x""; DROP ROLE postgres; --"']


def test_membership_admin_option_pg15_and_options_pg17():
    cur = current(role('g'), role('m'), members={'m': {'g': dict(admin=False, inherit=False, set=False, grantors=['postgres'])}})
    assert texts(plan(cur, name='m', member_of=[dict(name='g', admin=True)]).statements) == [
        'GRANT "g" TO "m" WITH ADMIN OPTION']
    cur17 = current(role('g'), role('m'), version=PG17)
    assert texts(plan(cur17, version=PG17, name='m', member_of=[dict(name='g', inherit=False, set=True)]).statements) == [
        'GRANT "g" TO "m" WITH ADMIN FALSE, INHERIT FALSE, SET TRUE']
    cur17['members'] = {'m': {'g': dict(admin=True, inherit=True, set=True, grantors=['postgres'])}}
    assert texts(plan(cur17, version=PG17, name='m', member_of=[dict(name='g', inherit=False)]).statements) == [
        'REVOKE ADMIN OPTION FOR "g" FROM "m"', 'REVOKE INHERIT OPTION FOR "g" FROM "m"']


def test_inherit_option_refused_before_pg16():
    with pytest.raises(PlanError) as e:
        plan(current(role('g')), name='m', member_of=[dict(name='g', inherit=False)])
    assert e.value.option == 'member_of' and '16' in str(e.value)


def test_unknown_membership_target_fails_before_anything():
    with pytest.raises(PlanError) as e:
        plan(current(), roles=[dict(name='m', member_of=['nosuch'])])
    assert e.value.option == 'member_of' and 'nosuch' in str(e.value)


def test_membership_target_declared_in_same_batch():
    p = plan(current(), roles=[dict(name='m', member_of=['g']), dict(name='g')])
    assert texts(p.statements) == ['CREATE ROLE "m"', 'CREATE ROLE "g"', 'GRANT "g" TO "m"']


@pytest.mark.parametrize('params,option', [
    (dict(name='a' * 64), 'name'),
    (dict(name=u'\u00e9' * 32), 'name'),
    (dict(name='pg_mine'), 'name'),
    (dict(name='public'), 'name'),
    (dict(name='a', state='absent', login=True), 'login'),
    (dict(name='a', connection_limit=-2), 'connection_limit'),
    (dict(name='a', settings={'bad name': 1}), 'settings'),
    (dict(name='a', member_of=['a']), 'member_of'),
    (dict(name='a', member_of=[dict(name='b', bogus=1)]), 'member_of'),
    (dict(roles=[dict(name='a')], login=True), 'login'),
    (dict(roles=[dict(name='a'), dict(name='a')]), 'roles[1].name'),
    (dict(name='postgres', state='absent'), 'state'),
    (dict(name='postgres', superuser=False), 'superuser'),
    (dict(name='a', database_settings={'nodb': {'work_mem': '4MB'}}), 'database_settings'),
    (dict(), 'name'),
])
def test_invalid_input_names_the_option(params, option):
    with pytest.raises(PlanError) as e:
        plan(current(), **params)
    assert e.value.option == option


def test_63_byte_name_is_accepted():
    assert texts(plan(current(), name='a' * 63).statements) == ['CREATE ROLE "%s"' % ('a' * 63)]


def test_exclusive_drops_undeclared_and_revokes_undeclared_memberships():
    cur = current(role('keep'), role('old'), role('g'), role('h'), role('pg_monitor'), current_user='admin',
                  members={'keep': {'g': dict(admin=False, inherit=False, set=False, grantors=['postgres']),
                                    'h': dict(admin=False, inherit=False, set=False, grantors=['postgres'])}},
                  settings={'keep': {'': {'work_mem': '4MB'}}})
    cur['roles']['admin'] = role('admin', superuser=True, login=True)
    p = plan(cur, exclusive=True, roles=[dict(name='keep', member_of=['g']), dict(name='g')])
    assert texts(p.statements) == [
        'REVOKE "h" FROM "keep"',
        'ALTER ROLE "keep" RESET "work_mem"',
        'DROP ROLE "h"',
        'DROP ROLE "old"',
    ]
    assert p.dropped == ['h', 'old'] and p.altered == ['keep']


def test_exclusive_refuses_target_that_would_be_dropped():
    with pytest.raises(PlanError):
        plan(current(role('g')), exclusive=True, roles=[dict(name='m', member_of=['g'])])


def test_settings_reset_and_per_database():
    cur = current(role('a'), settings={'a': {'': {'work_mem': '4MB'}}})
    p = plan(cur, name='a', settings={'work_mem': None}, database_settings={'app': {'search_path': 'app, public'}})
    assert texts(p.statements) == ['ALTER ROLE "a" RESET "work_mem"',
                                   'ALTER ROLE "a" IN DATABASE "app" SET "search_path" TO \'app\', \'public\'']


def test_drop_absent_role_and_noop_for_missing():
    assert texts(plan(current(role('a')), name='a', state='absent').statements) == ['DROP ROLE "a"']
    assert plan(current(), name='a', state='absent').statements == []


@pytest.mark.parametrize('params', [dict(roles=[]), dict(), dict(roles=[dict(name='old', state='absent')])])
def test_exclusive_with_nothing_present_refused_unless_allowed(params):
    cur = current(role('keep1'), role('keep2'))
    with pytest.raises(PlanError) as e:
        plan(cur, exclusive=True, **params)
    assert e.value.option == 'roles' and 'allow_empty_exclusive' in e.value.problem
    p = plan(cur, exclusive=True, allow_empty_exclusive=True, **params)
    assert sorted(p.dropped) == ['keep1', 'keep2']


def test_setting_names_fold_like_the_server_and_null_resets():
    # parse_snapshot folds stored names (the server stores TimeZone, DateStyle as it spells them)
    cur = current(role('app'), settings={'app': {'': {'timezone': 'UTC', 'datestyle': 'ISO, DMY'}}})
    assert plan(cur, name='app', settings={'TimeZone': 'UTC', 'DateStyle': 'ISO, DMY'}).statements == []
    p = plan(cur, name='app', settings={'TimeZone': None})
    assert texts(p.statements) == ['ALTER ROLE "app" RESET "timezone"']
    with pytest.raises(PlanError) as e:
        plan(cur, name='app', settings={'TimeZone': 'UTC', 'timezone': 'UTC'})
    assert e.value.option == 'settings'


def test_list_setting_items_are_literals_and_compare_with_server_text():
    cur = current(role('app'), settings={'app': {'': {'search_path': '"my,schema", public'}}})
    assert plan(cur, name='app', settings={'search_path': ['my,schema', 'public']}).statements == []
    p = plan(current(role('app')), name='app', settings={'search_path': ['my,schema', 'public'], 'work_mem': '4MB'})
    assert texts(p.statements) == ['ALTER ROLE "app" SET "search_path" TO \'my,schema\', \'public\'',
                                   'ALTER ROLE "app" SET "work_mem" TO \'4MB\'']


@pytest.mark.parametrize('value', [{'a': 1}, [{'a': 1}], [['x']]])
def test_dict_setting_values_refused(value):
    with pytest.raises(PlanError) as e:
        plan(current(role('app')), roles=[dict(name='app', settings={'work_mem': value})])
    assert e.value.option == 'roles[0].settings'


def test_membership_in_a_predefined_role_is_allowed_but_not_such_a_name():
    p = plan(current(role('pg_monitor')), roles=[dict(name='prometheus', login=True, member_of=['pg_monitor'])])
    assert texts(p.statements) == ['CREATE ROLE "prometheus" WITH LOGIN', 'GRANT "pg_monitor" TO "prometheus"']
    with pytest.raises(PlanError) as err:
        plan(current(), roles=[dict(name='pg_mine')])
    assert err.value.option.endswith('name')
