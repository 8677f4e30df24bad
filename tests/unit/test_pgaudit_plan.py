import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.pgaudit_plan import (
    desired_grants, plan_pgaudit, split_table, target_databases)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

from sqltext import texts

CLUSTER = dict(databases=['app', 'postgres', 'template1'], preload='pgaudit', role_exists=True)


def test_extension_everywhere_and_grants():
    grants = desired_grants('auditor', [dict(database='app', table='payments', privileges=['insert', 'UPDATE']),
                                        dict(database='app', table='"Sales"."Q1"', privileges=['SELECT'])])
    per_db = {'app': dict(extension=None, tables={'"public"."payments"': ['INSERT'], '"Sales"."Q1"': []}),
              'postgres': dict(extension='1.7', tables=None), 'template1': dict(extension=None, tables=None)}
    plans, lacking = plan_pgaudit(CLUSTER, per_db, target_databases(CLUSTER, []), grants, 'auditor')
    assert lacking == ['app', 'template1']
    assert sorted(plans) == ['app', 'template1']
    assert texts(plans['app']) == ['CREATE EXTENSION IF NOT EXISTS pgaudit SCHEMA public',
                                   'GRANT SELECT ON TABLE "Sales"."Q1" TO "auditor"',
                                   'GRANT UPDATE ON TABLE "public"."payments" TO "auditor"']
    assert texts(plans['template1']) == ['CREATE EXTENSION IF NOT EXISTS pgaudit SCHEMA public']


def test_converged_is_empty_and_absent_drops():
    per_db = dict((d, dict(extension='17.1', tables={})) for d in CLUSTER['databases'])
    assert plan_pgaudit(CLUSTER, per_db, CLUSTER['databases'], {}, None) == ({}, [])
    plans, _unused = plan_pgaudit(CLUSTER, per_db, ['app'], {}, None, state='absent')
    assert texts(plans['app']) == ['DROP EXTENSION pgaudit']


@pytest.mark.parametrize('name,expected', [
    ('t', ('public', 't')), ('s.t', ('s', 't')), ('"a.b"."c""d"', ('a.b', 'c"d')),
])
def test_split_table(name, expected):
    assert split_table(name, 'x') == expected


@pytest.mark.parametrize('call,option', [
    (lambda: split_table('a.b.c', 'audit_grants[0].table'), 'audit_grants[0].table'),
    (lambda: desired_grants('auditor', [dict(database='app', table='t', privileges=['DROP'])]),
     'audit_grants[0].privileges'),
    (lambda: desired_grants(None, [dict(database='app', table='t')]), 'audit_role'),
    (lambda: target_databases(CLUSTER, ['nope']), 'databases'),
    (lambda: plan_pgaudit(dict(CLUSTER, role_exists=False), {}, [], {}, 'auditor'), 'audit_role'),
    (lambda: plan_pgaudit(CLUSTER, {'app': dict(extension='1', tables={'"public"."t"': None})}, ['app'],
                          desired_grants('auditor', [dict(database='app', table='t')]), 'auditor'), 'audit_grants'),
])
def test_bad_input(call, option):
    with pytest.raises(PlanError) as e:
        call()
    assert e.value.option == option
