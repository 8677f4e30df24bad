"""Planners of the Patroni modules, with plain dicts shaped like Patroni 3.0's GET /cluster and /config."""
import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import base_url, mask_secrets
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import (
    apply_patch, members, plan_config_patch, plan_reinit, plan_restart, plan_switchover)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError


def cluster(*specs):
    """specs: (name, role, state, lag, pending_restart[, tags])"""
    out = []
    for spec in specs:
        name, role, state, lag, pending = spec[:5]
        m = dict(name=name, role=role, state=state, host='127.0.0.1', port=5432, timeline=1,
                 api_url='http://%s:8008/patroni' % name)
        if role != 'leader':
            m['lag'] = lag
        if pending:
            m['pending_restart'] = True
        if len(spec) > 5:
            m['tags'] = spec[5]
        out.append(m)
    return members(dict(members=out))


CONFIG = {'ttl': 20, 'loop_wait': 2,
          'postgresql': {'use_pg_rewind': True, 'parameters': {'work_mem': '4MB', 'max_connections': 100}}}


def test_members_normalised():
    ms = members({'members': [
        {'name': 'b', 'role': 'replica', 'state': 'streaming', 'lag': 'unknown', 'timeline': 2},
        {'name': 'a', 'role': 'master', 'state': 'running', 'timeline': 2, 'pending_restart': True}]})
    assert [m['name'] for m in ms] == ['a', 'b']
    assert ms[0]['role'] == 'leader' and ms[0]['lag'] == 0 and ms[0]['pending_restart'] is True
    assert ms[1]['lag'] is None and ms[1]['pending_restart'] is False and ms[1]['tags'] == {}


def test_patch_only_the_difference():
    desired = {'ttl': 20, 'postgresql': {'parameters': {'work_mem': '8MB', 'max_connections': '100'}}}
    assert plan_config_patch(CONFIG, desired) == {'postgresql': {'parameters': {'work_mem': '8MB'}}}


def test_patch_idempotent_with_patroni_equality():
    desired = {'ttl': '20', 'postgresql': {'use_pg_rewind': 'on', 'parameters': {'max_connections': 100}}}
    assert plan_config_patch(CONFIG, desired) == {}


def test_patch_removes_with_null_and_adds_new_keys():
    desired = {'postgresql': {'parameters': {'work_mem': None, 'absent': None, 'shared_buffers': '256MB'}},
               'synchronous_mode': True, 'standby_cluster': {'host': 'x', 'port': None}}
    patch = plan_config_patch(CONFIG, desired)
    assert patch == {'postgresql': {'parameters': {'work_mem': None, 'shared_buffers': '256MB'}},
                     'synchronous_mode': True, 'standby_cluster': {'host': 'x'}}
    after = apply_patch(CONFIG, patch)
    assert after['postgresql']['parameters'] == {'max_connections': 100, 'shared_buffers': '256MB'}
    assert after['synchronous_mode'] is True and CONFIG['postgresql']['parameters']['work_mem'] == '4MB'


def test_patch_refuses_non_dict():
    with pytest.raises(PlanError) as e:
        plan_config_patch(CONFIG, ['ttl'])
    assert e.value.option == 'config'


def test_switchover_picks_least_lag_healthy_replica():
    ms = cluster(('a', 'leader', 'running', 0, False), ('b', 'replica', 'streaming', 500, False),
                 ('c', 'replica', 'streaming', 100, False), ('d', 'replica', 'stopped', 0, False),
                 ('e', 'replica', 'streaming', 0, False, {'nofailover': True}))
    assert plan_switchover(ms) == ('a', 'c')
    assert plan_switchover(ms, candidate='b') == ('a', 'b')
    assert plan_switchover(ms, scheduled=True) == ('a', None)


def test_switchover_refusals_name_the_reason():
    ms = cluster(('a', 'leader', 'running', 0, False), ('b', 'replica', 'streaming', 5000, False),
                 ('c', 'replica', 'stopped', 0, False))
    for kwargs, text in [(dict(candidate='zz'), "'zz' is not a member"),
                         (dict(candidate='c'), 'c is not healthy (state stopped)'),
                         (dict(candidate='b', maximum_lag=1024), 'lags 5000 bytes behind, more than maximum_lag'),
                         (dict(maximum_lag=1024), 'no healthy replica can take over')]:
        with pytest.raises(PlanError) as e:
            plan_switchover(ms, **kwargs)
        assert e.value.option == 'candidate' and text in e.value.problem
    with pytest.raises(PlanError):
        plan_switchover(cluster(('a', 'replica', 'running', 0, False)))


def test_switchover_to_current_leader_is_a_noop_plan():
    ms = cluster(('a', 'leader', 'running', 0, False), ('b', 'replica', 'streaming', 0, False))
    assert plan_switchover(ms, candidate='a') == ('a', 'a')


def test_restart_replicas_first_then_switchover_then_old_leader():
    ms = cluster(('a', 'leader', 'running', 0, True), ('b', 'replica', 'streaming', 0, True),
                 ('c', 'replica', 'streaming', 10, False))
    assert plan_restart(ms) == [dict(action='restart', member='b'), dict(action='restart', member='a')]
    assert plan_restart(ms, switchover=True) == [
        dict(action='restart', member='b'), dict(action='switchover', member='a', candidate='b'),
        dict(action='restart', member='a')]
    assert plan_restart(ms, pending_only=False)[:2] == [dict(action='restart', member='b'),
                                                        dict(action='restart', member='c')]
    assert plan_restart(ms, names=['a']) == [dict(action='restart', member='a')]


def test_restart_nothing_pending_is_empty():
    assert plan_restart(cluster(('a', 'leader', 'running', 0, False), ('b', 'replica', 'streaming', 0, False))) == []


def test_restart_and_reinit_refusals():
    ms = cluster(('a', 'leader', 'running', 0, True), ('b', 'replica', 'stopped', 0, False))
    with pytest.raises(PlanError) as e:
        plan_restart(ms, names=['x'])
    assert e.value.option == 'members'
    with pytest.raises(PlanError) as e:
        plan_restart(ms, switchover=True)
    assert 'no healthy replica' in e.value.problem
    with pytest.raises(PlanError) as e:
        plan_reinit(ms, 'a')
    assert 'is the leader' in e.value.problem
    assert plan_reinit(ms, 'b') == [dict(action='reinit', member='b')]


def test_mask_and_base_url():
    assert mask_secrets({'a': {'password': 'x', 'n': [{'token': 't'}]}, 'b': 1}) == \
        {'a': {'password': '********', 'n': [{'token': '********'}]}, 'b': 1}
    assert base_url('http://h:8008/patroni') == 'http://h:8008' and base_url('https://h:8008/') == 'https://h:8008'


def test_error_text_from_patroni_html_error_page():
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import error_text
    page = ('<!DOCTYPE HTML>\n<html lang="en">\n<head><title>Error response</title></head><body>\n'
            '<h1>Error response</h1>\n<p>Error code: 409</p>\n<p>Message: Conflict.</p>\n'
            '<p>Error code explanation: 409 - Request conflict.</p>\n</body></html>')
    assert error_text(page) == 'Error code: 409 Message: Conflict. Error code explanation: 409 - Request conflict.'
    assert error_text('no auth header received\n') == 'no auth header received'
