import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.dbobject_plan import (
    plan_database, plan_extension, plan_schema)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

from sqltext import texts


def db(**kw):
    p = dict(name='app', owner=None, template=None, encoding=None, lc_collate=None, lc_ctype=None, state='present')
    p.update(kw)
    return p


def test_create_database_runs_outside_the_transaction():
    s, before, after = plan_database(dict(database=None, roles=['own'], templates=['template0']),
                                     db(owner='own', template='template0', encoding='UTF8'))
    assert texts(s) == ['CREATE DATABASE "app" WITH OWNER "own" TEMPLATE "template0" ENCODING \'UTF8\'']
    assert s[0].transactional is False and before == {} and after['owner'] == 'own'


def test_existing_database_owner_change_and_encoding_guard():
    have = dict(owner='postgres', encoding='UTF8', lc_collate='C.UTF-8', lc_ctype='C.UTF-8')
    desired = db(owner='own', encoding='utf-8', lc_collate='C.utf8')
    s, _b, _a = plan_database(dict(database=have, roles=['own'], templates=[]), desired)
    assert texts(s) == ['ALTER DATABASE "app" OWNER TO "own"'] and s[0].transactional
    with pytest.raises(PlanError) as e:
        plan_database(dict(database=have, roles=[], templates=[]), db(encoding='LATIN1'))
    assert e.value.option == 'encoding'
    assert plan_database(dict(database=have, roles=[], templates=[]), db(state='absent'))[0][0].transactional is False


def test_schema():
    snap = dict(schema=None, roles=['own'])
    assert texts(plan_schema(snap, dict(name='s"x', owner='own', state='present', cascade=False))[0]) == [
        'CREATE SCHEMA "s""x" AUTHORIZATION "own"']
    with pytest.raises(PlanError) as e:
        plan_schema(dict(schema=None, roles=[]), dict(name='s', owner='ghost', state='present', cascade=False))
    assert e.value.option == 'owner'
    dropped = plan_schema(dict(schema=dict(owner='x'), roles=[]), dict(name='s', owner=None, state='absent', cascade=True))
    assert texts(dropped[0]) == ['DROP SCHEMA "s" CASCADE']


def test_extension():
    snap = dict(extension=None, default_version='1.3', versions=['1.2', '1.3'], schemas=['ext'])
    p = dict(name='pgcrypto', schema='ext', version='latest', cascade=False, state='present')
    assert texts(plan_extension(snap, p)[0]) == ['CREATE EXTENSION "pgcrypto" WITH SCHEMA "ext" VERSION \'1.3\'']
    installed = dict(snap, extension=dict(version='1.2', schema='public'))
    assert texts(plan_extension(installed, p)[0]) == ['ALTER EXTENSION "pgcrypto" SET SCHEMA "ext"',
                                                      'ALTER EXTENSION "pgcrypto" UPDATE TO \'1.3\'']
    for bad, option in ((dict(p, version='9'), 'version'), (dict(p, schema='nope'), 'schema')):
        with pytest.raises(PlanError) as e:
            plan_extension(snap, bad)
        assert e.value.option == option
    with pytest.raises(PlanError) as e:
        plan_extension(dict(snap, default_version=None), p)
    assert e.value.option == 'name'
