import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_model import desired_grants
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_plan import plan_grants
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_read import snapshot_params
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

from sqltext import texts

PG15, PG17 = 150010, 170005


def current(objects=None, defaults=None, roles=('app', 'read', 'owner', 'other'), superuser=True, version=PG15):
    objects = objects or {}
    everything = {}
    for key in objects:
        if key[0] in ('table', 'sequence', 'function', 'procedure'):
            everything.setdefault((key[0], key[1]), []).append(key[2])
    return dict(current_user='postgres', superuser=superuser, version=version, roles=set(roles),
                schemas={'app', 'public'}, objects=objects, all=everything, defaults=defaults or {})


def table(owner='owner', acl=()):
    return dict(owner=owner, acl=list(acl))


def plan(cur, version=PG15, **params):
    return plan_grants(cur, desired_grants(params, version))


def test_groups_objects_into_one_statement_per_grantee_and_privileges():
    objs = dict((('table', 'app', 't%d' % i), table()) for i in range(50))
    p = plan(current(objs), grants=[dict(schema='app', all_in_schema=True, roles=['read', 'app'], privileges=['SELECT'])])
    out = texts(p.statements)
    assert len(out) == 2
    assert out[0].startswith('GRANT SELECT ON TABLE "app"."t0", "app"."t1", ') and out[0].endswith(' TO "read"')
    assert out[1].endswith(' TO "app"')


def test_noop_when_held():
    acl = [('read', 'owner', 'SELECT', False)]
    p = plan(current({('table', 'app', 't'): table(acl=acl)}), schema='app', objects=['t'], roles=['read'], privileges=['SELECT'])
    assert p.statements == [] and p.diff == ({}, {})


def test_exact_revokes_only_undeclared_privileges_of_the_grantee():
    acl = [('app', 'owner', 'SELECT', False), ('app', 'owner', 'DELETE', False), ('other', 'owner', 'DELETE', False)]
    p = plan(current({('table', 'app', 't'): table(acl=acl)}), schema='app', objects=['t'], roles=['app'],
             privileges=['SELECT', 'INSERT'], state='exact')
    assert texts(p.statements) == ['REVOKE DELETE ON TABLE "app"."t" FROM "app"',
                                   'GRANT INSERT ON TABLE "app"."t" TO "app"']
    before, after = p.diff
    assert before == {'table app.t': {'app': ['DELETE', 'SELECT']}}
    assert after == {'table app.t': {'app': ['INSERT', 'SELECT']}}


def test_exact_revokes_grants_of_another_grantor_as_that_grantor():
    acl = [('app', 'other', 'SELECT', False), ('app', 'owner', 'SELECT', False)]
    p = plan(current({('table', 'app', 't'): table(acl=acl)}), schema='app', objects=['t'], roles=['app'],
             privileges=[], state='exact')
    assert texts(p.statements) == ['SET ROLE "other"', 'REVOKE SELECT ON TABLE "app"."t" FROM "app"', 'RESET ROLE',
                                   'REVOKE SELECT ON TABLE "app"."t" FROM "app"']


def test_exact_removes_grant_option_by_default():
    acl = [('app', 'owner', 'SELECT', True)]
    p = plan(current({('table', 'app', 't'): table(acl=acl)}), schema='app', objects=['t'], roles=['app'],
             privileges=['SELECT'], state='exact')
    assert texts(p.statements) == ['REVOKE GRANT OPTION FOR SELECT ON TABLE "app"."t" FROM "app"']


def test_public_is_case_insensitive_and_absent_is_noop_once_revoked():
    db = ('database', None, 'appdb')
    held = current({db: dict(owner='owner', acl=[(None, 'owner', 'CONNECT', False), (None, 'owner', 'TEMPORARY', False)])})
    p = plan(held, type='database', objects=['appdb'], roles=['Public'], state='absent')
    assert texts(p.statements) == ['REVOKE CONNECT, TEMPORARY ON DATABASE "appdb" FROM PUBLIC']
    revoked = current({db: dict(owner='owner', acl=[('owner', 'owner', 'CONNECT', False)])})
    assert plan(revoked, type='database', objects=['appdb'], roles=['PUBLIC'], state='absent').statements == []


def test_global_default_privileges_start_from_the_builtin_defaults():
    # No pg_default_acl row: PUBLIC has EXECUTE on future functions by default.
    p = plan(current(), type='default_privileges', target_roles=['owner'], objects=['functions'], roles=['PUBLIC'],
             privileges=['EXECUTE'], state='absent')
    assert texts(p.statements) == ['ALTER DEFAULT PRIVILEGES FOR ROLE "owner" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC']
    done = current(defaults={('owner', None, 'f'): [('owner', 'owner', 'EXECUTE', False)]})
    assert plan(done, type='default_privileges', target_roles=['owner'], objects=['functions'], roles=['PUBLIC'],
                privileges=['EXECUTE'], state='absent').statements == []


def test_schema_default_privileges_and_grant_option():
    p = plan(current(), type='default_privileges', schema='app', target_roles=['owner'], objects=['tables', 'sequences'],
             roles=['read'], privileges=['SELECT'], grant_option=True)
    assert texts(p.statements) == [
        'ALTER DEFAULT PRIVILEGES FOR ROLE "owner" IN SCHEMA "app" GRANT SELECT ON TABLES TO "read" WITH GRANT OPTION',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "owner" IN SCHEMA "app" GRANT SELECT ON SEQUENCES TO "read" WITH GRANT OPTION']


def test_all_expands_per_version():
    t = {('table', 'app', 't'): table()}
    assert texts(plan(current(t), schema='app', objects=['t'], roles=['app'], privileges=['ALL']).statements) == [
        'GRANT DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLE "app"."t" TO "app"']
    assert 'MAINTAIN' in texts(plan(current(t, version=PG17), version=PG17, schema='app', objects=['t'], roles=['app'],
                                    privileges=['all privileges']).statements)[0]


def test_columns_and_routines():
    objs = {('table', 'app', 't'): table(), ('column', 'app', 't', 'c'): table(),
            ('function', 'app', 'f(int)'): dict(owner='owner', acl=[], name='f', args='a integer')}
    p = plan(current(objs), grants=[
        dict(type='column', schema='app', objects=['t'], columns=['c'], roles=['app'], privileges=['UPDATE']),
        dict(type='function', schema='app', objects=['f(int)'], roles=['app'], privileges=['EXECUTE'])])
    assert texts(p.statements) == ['GRANT UPDATE ("c") ON TABLE "app"."t" TO "app"',
                                   'GRANT EXECUTE ON ROUTINE "app"."f"(a integer) TO "app"']


def test_later_entries_see_earlier_ones():
    t = {('table', 'app', 't'): table()}
    p = plan(current(t), grants=[dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT']),
                                 dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT'])])
    assert len(p.statements) == 1


def test_hostile_names_are_identifiers():
    name = 'x"; DROP TABLE t; --'
    cur = current({('table', name, name): table()}, roles=(name,))
    cur['schemas'].add(name)
    p = plan(cur, schema=name, objects=[name], roles=[name], privileges=['SELECT'])
    assert texts(p.statements) == ['GRANT SELECT ON TABLE "x""; DROP TABLE t; --"."x""; DROP TABLE t; --" '
                                   'TO "x""; DROP TABLE t; --"']


@pytest.mark.parametrize('params,option,words', [
    (dict(objects=['t'], privileges=['SELECT']), 'roles', 'grantee'),
    (dict(objects=['t'], roles=['app'], privileges=['EXECUTE']), 'privileges', 'does not apply'),
    (dict(objects=['t'], roles=['app']), 'privileges', 'required'),
    (dict(objects=['t'], roles=['app'], privileges=[]), 'privileges', 'state=exact'),
    (dict(roles=['app'], privileges=['SELECT']), 'objects', 'at least one'),
    (dict(type='database', schema='x', objects=['d'], roles=['app'], privileges=['CONNECT']), 'schema', 'not used'),
    (dict(type='function', objects=['f'], roles=['app'], privileges=['EXECUTE']), 'objects', 'name(argument types)'),
    (dict(type='default_privileges', schema='app', objects=['schemas'], roles=['app'], privileges=['USAGE']), 'schema', 'cannot'),
    (dict(type='default_privileges', objects=['views'], roles=['app'], privileges=['SELECT']), 'objects', 'unknown kind'),
    (dict(objects=['t'], roles=['app'], privileges=['SELECT'], target_roles=['x']), 'target_roles', 'only'),
    (dict(grants=[dict(objects=['t'], roles=['app'], privileges=['SELECT'])], roles=['x']), 'roles', 'inside each'),
    (dict(grants=[dict(objects=['t'], roles=['app'], privileges=['SELECT']), dict(objects=['t'], roles=[''], privileges=['SELECT'])]),
     'grants[1].roles', 'non-empty'),
])
def test_bad_input_names_the_option(params, option, words):
    with pytest.raises(PlanError) as e:
        plan(current({('table', 'public', 't'): table()}), **params)
    assert e.value.option == option and words in str(e.value)


@pytest.mark.parametrize('params,option', [
    (dict(schema='app', objects=['missing'], roles=['app'], privileges=['SELECT']), 'objects'),
    (dict(schema='nope', objects=['t'], roles=['app'], privileges=['SELECT']), 'schema'),
    (dict(schema='app', objects=['t'], roles=['ghost'], privileges=['SELECT']), 'roles'),
])
def test_missing_things_fail_but_absent_is_quiet(params, option):
    cur = current({('table', 'app', 't'): table()})
    with pytest.raises(PlanError) as e:
        plan(cur, **params)
    assert e.value.option == option
    assert plan(cur, state='absent', **dict((k, v) for k, v in params.items() if k != 'privileges')).statements == []


def test_snapshot_params_cover_every_kind():
    desired = desired_grants(dict(grants=[
        dict(type='database', objects=['d'], roles=['a'], privileges=['CONNECT']),
        dict(schema='s', objects=['t'], roles=['PUBLIC'], privileges=['SELECT']),
        dict(type='function', schema='s', objects=['f(int)'], roles=['a'], privileges=['EXECUTE']),
        dict(type='procedure', schema='s', all_in_schema=True, roles=['a'], privileges=['EXECUTE']),
        dict(type='default_privileges', target_roles=['o'], objects=['tables'], roles=['a'], privileges=['SELECT'])]), PG15)
    p = snapshot_params(desired)
    assert p['databases'] == ['d'] and p['roles'] == ['a', 'o'] and p['schemas'] == ['s']
    assert (p['rel_s'], p['rel_n']) == (['s'], ['t'])
    assert (p['fn_n'], p['fn_a'], p['fn_k']) == (['f'], ['int'], ['f(int)']) and p['proc_all'] == ['s']
    assert p['def_roles'] == ['o']


ALL7 = ['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']


def test_entries_apply_in_order_grant_all_then_revoke_one():
    t = {('table', 'app', 't'): table()}
    p = plan(current(t), grants=[dict(schema='app', objects=['t'], roles=['app'], privileges=['ALL']),
                                 dict(schema='app', objects=['t'], roles=['app'], privileges=['DELETE'], state='absent')])
    # the net effect of both entries, not all revokes first (which would leave DELETE granted)
    assert texts(p.statements) == ['GRANT INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLE "app"."t" TO "app"']
    before, after = p.diff
    assert after == {'table app.t': {'app': [x for x in ALL7 if x != 'DELETE']}}
    # the state the two statements leave: the same entries then plan nothing
    done = {('table', 'app', 't'): table(acl=[('app', 'owner', x, False) for x in ALL7 if x != 'DELETE'])}
    assert plan(current(done), grants=[dict(schema='app', objects=['t'], roles=['app'], privileges=['ALL']),
                                       dict(schema='app', objects=['t'], roles=['app'], privileges=['DELETE'],
                                            state='absent')]).statements == []


def test_grant_option_changes_in_order():
    t = {('table', 'app', 't'): table(acl=[('app', 'owner', 'SELECT', True)])}
    p = plan(current(t), grants=[dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT'], grant_option=False),
                                 dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT'], grant_option=True)])
    assert p.statements == []
    p = plan(current(t), grants=[dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT'], state='absent'),
                                 dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT', 'INSERT'])])
    assert texts(p.statements) == ['REVOKE GRANT OPTION FOR SELECT ON TABLE "app"."t" FROM "app"',
                                   'GRANT INSERT ON TABLE "app"."t" TO "app"']


def test_entries_apply_in_order_revoke_all_then_grant_one():
    t = {('table', 'app', 't'): table(acl=[('app', 'owner', 'SELECT', False), ('app', 'owner', 'DELETE', False)])}
    p = plan(current(t), grants=[dict(schema='app', objects=['t'], roles=['app'], state='absent'),
                                 dict(schema='app', objects=['t'], roles=['app'], privileges=['SELECT'])])
    assert texts(p.statements) == ['REVOKE DELETE ON TABLE "app"."t" FROM "app"']
    assert p.diff[1] == {'table app.t': {'app': ['SELECT']}}


def test_independent_entries_still_share_statements():
    objs = {('table', 'app', 't1'): table(acl=[('read', 'owner', 'INSERT', False)]), ('table', 'app', 't2'): table()}
    p = plan(current(objs), grants=[dict(schema='app', objects=['t1'], roles=['read'], privileges=['SELECT']),
                                    dict(schema='app', objects=['t2'], roles=['read'], privileges=['SELECT']),
                                    dict(schema='app', objects=['t1'], roles=['read'], privileges=['INSERT'],
                                         state='absent')])
    assert texts(p.statements) == ['REVOKE INSERT ON TABLE "app"."t1" FROM "read"',
                                   'GRANT SELECT ON TABLE "app"."t1", "app"."t2" TO "read"']


def test_declared_spellings_of_one_function_share_its_key():
    objs = {('function', 'app', 'h(integer, text)'): dict(owner='owner', acl=[], name='h', args='a integer, b text')}
    cur = current(objs)
    cur['routines'] = {('app', 'h(int4, text)'): 'h(integer, text)', ('app', 'h(a integer, b text)'): 'h(integer, text)'}
    p = plan(cur, grants=[dict(type='function', schema='app', objects=['h(int4, text)'], roles=['app'],
                               privileges=['EXECUTE']),
                          dict(type='function', schema='app', objects=['h(a integer, b text)'], roles=['app'],
                               privileges=['EXECUTE'])])
    assert texts(p.statements) == ['GRANT EXECUTE ON ROUTINE "app"."h"(a integer, b text) TO "app"']


@pytest.mark.parametrize('obj', ['f(integer); DROP TABLE t', "f(text')", 'f(int -- c)', 'f(int /* c */)',
                                 'f("open)', 'f(int))', 'f((int)', 'f(int\\)'])
def test_junk_argument_lists_refused(obj):
    with pytest.raises(PlanError) as e:
        desired_grants(dict(grants=[dict(type='function', objects=[obj], roles=['app'], privileges=['EXECUTE'])]), PG15)
    assert e.value.option == 'grants[0].objects'


@pytest.mark.parametrize('obj', ['f()', 'f(integer, text)', 'f(a integer, OUT b text)', 'f(numeric(10,2), int[])',
                                 'f("My Type", public."x;y")', u'f(typé)', 'f(character varying, double precision)'])
def test_argument_lists_of_type_names_accepted(obj):
    desired_grants(dict(type='function', objects=[obj], roles=['app'], privileges=['EXECUTE']), PG15)


@pytest.mark.parametrize('args,kind,types', [
    ('', 'function', ''), ('integer, text', 'function', 'integer, text'), ('a integer, b text', 'function', 'integer, text'),
    ('IN a integer, OUT b text', 'function', 'integer'), ('IN a integer, OUT b text', 'procedure', 'integer, text'),
    ('a IN int4, VARIADIC b int[]', 'function', 'int4, int[]'),
    ('double precision, x double precision', 'function', 'double precision, double precision'),
    ('c character varying(20), timestamp with time zone', 'function', 'character varying(20), timestamp with time zone'),
    ('n numeric(10, 2), "My Type"', 'function', 'numeric(10, 2), "My Type"'), ('"a b" "My Type"', 'function', '"My Type"'),
])
def test_argument_types_drop_names_and_modes(args, kind, types):
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_model import argument_types
    assert argument_types(args, kind) == types


def _ref_params(*objects, **kw):
    return dict(dict(type='function', schema='app', roles=['app'], privileges=['EXECUTE']), objects=list(objects), **kw)


def test_structured_function_is_planned_by_its_catalog_key():
    key = ('function', 'app', 'f(x)"(integer, text)')
    cur = current({key: dict(owner='owner', acl=[], name='f(x)"', args='integer, text')})
    desired = desired_grants(_ref_params(dict(name='f(x)"', args=['integer', 'text'])), PG15)
    ref = desired[0]['objects'][0]
    cur['routines'] = {('app', ref.declared): 'f(x)"(integer, text)'}
    assert texts(plan_grants(cur, desired).statements) == ['GRANT EXECUTE ON ROUTINE "app"."f(x)"""(integer, text) TO "app"']
    # Only the bound JSON parameter carries it: the schema, the exact name and the argument types.
    params = snapshot_params(desired)
    assert params['fn_refs'] == '[[%s, "app", "f(x)\\"", ["integer", "text"]]]' % __import__('json').dumps(ref.declared)
    assert params['fn_s'] == [] and 'app' in params['schemas']


def test_structured_function_missing_names_the_entry():
    desired = desired_grants(dict(grants=[_ref_params('f(integer)', state='absent'), _ref_params(dict(schema='public', name="a'b", args=[]))]), PG15)
    with pytest.raises(PlanError) as e:
        plan_grants(current(), desired)
    assert e.value.option == 'grants[1].objects[0]' and "{schema: public, name: a'b, args: []}" in e.value.problem


@pytest.mark.parametrize('obj,option', [
    (dict(name='f', args=['int); DROP TABLE t; --']), 'objects[0].args[0]'),
    (dict(name='f', args=['integer, text']), 'objects[0].args[0]'),
    (dict(name='f', args=['']), 'objects[0].args[0]'),
    (dict(name='f', args=[1]), 'objects[0].args[0]'),
    (dict(name='f', args=[dict(schema='s', name='t', x=1)]), 'objects[0].args[0]'),
    (dict(name='f', args=None), 'objects[0].args'),
    (dict(name='f'), 'objects[0].args'),
    (dict(name='', args=[]), 'objects[0].name'),
    (dict(name='f\x00', args=[]), 'objects[0].name'),
    (dict(schema='s' * 64, name='f', args=[]), 'objects[0].schema'),
    (dict(name='f', args=[], extra=1), 'objects[0]'),
])
def test_bad_structured_function_fails_naming_the_option(obj, option):
    with pytest.raises(PlanError) as e:
        desired_grants(_ref_params(obj), PG15)
    assert e.value.option == option


def test_structured_object_only_for_routines_and_numbers_stay_names():
    with pytest.raises(PlanError) as e:
        desired_grants(dict(type='table', schema='app', roles=['app'], privileges=['SELECT'], objects=[dict(name='t', args=[])]), PG15)
    assert e.value.option == 'objects' and 'only for type=function' in e.value.problem
    assert desired_grants(dict(type='table', schema='app', roles=['app'], privileges=['SELECT'], objects=[2024]), PG15)[0]['objects'] == ['2024']
