"""Planners of the Patroni modules, with plain dicts shaped like Patroni 3.0's GET /cluster and /config."""
import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import (
    base_url, mask_secrets, secret_values, url_origin)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import (
    MalformedAnswer, apply_patch, leader, members, plan_config_patch, plan_reinit, plan_restart, plan_switchover)
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
        {'name': 'b', 'role': 'replica', 'state': 'streaming', 'lag': 'unknown', 'timeline': 2, 'api_url': 'https://b:8008/patroni'},
        {'name': 'a', 'role': 'master', 'state': 'running', 'timeline': 2, 'pending_restart': True,
         'api_url': 'https://a:8008/patroni'}]})
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


@pytest.mark.parametrize('answer,text', [
    (None, 'not a JSON object'), ([], 'not a JSON object'), ('text', 'not a JSON object'),
    ({}, '"members" is None, not a list'), ({'members': {'a': 1}}, 'not a list'), ({'members': 'ab'}, 'not a list'),
    ({'members': [None]}, 'not a JSON object'), ({'members': [{'role': 'master'}]}, 'has no name'),
    ({'members': [{'name': 7, 'api_url': 'https://a:8008'}]}, 'has no name'),
    ({'members': [{'name': 'a'}]}, 'member a has no api_url'), ({'members': [{'name': 'a', 'api_url': None}]}, 'no api_url'),
    ({'members': [{'name': 'a', 'api_url': 'https://a:8008', 'tags': ['x']}]}, 'tags that are not'),
    ({'members': [{'name': 'a', 'api_url': 'https://a:8008', 'role': ['master']}]}, 'role that is not text'),
    ({'members': [{'name': 'a', 'api_url': 'https://a:8008'}] * 2}, 'listed twice'),
    ({'members': [], 'scheduled_switchover': 'soon'}, 'scheduled_switchover'),
])
def test_members_refuses_malformed_answers(answer, text):
    with pytest.raises(MalformedAnswer) as e:
        members(answer)
    assert text in str(e.value)


def test_two_leaders_refused_before_any_plan():
    ms = cluster(('a', 'leader', 'running', 0, True), ('b', 'leader', 'running', 0, True),
                 ('c', 'replica', 'streaming', 0, True))
    assert leader(ms) is None
    for plan in (lambda: plan_switchover(ms), lambda: plan_switchover(ms, candidate='c'), lambda: plan_restart(ms),
                 lambda: plan_restart(ms, names=['c']), lambda: plan_reinit(ms, 'c')):
        with pytest.raises(PlanError) as e:
            plan()
        assert e.value.option == 'api_url' and '2 leaders (a, b)' in e.value.problem


def test_empty_candidate_refused():
    ms = cluster(('a', 'leader', 'running', 0, False), ('b', 'replica', 'streaming', 0, False))
    for empty in ('', '  '):
        with pytest.raises(PlanError) as e:
            plan_switchover(ms, candidate=empty)
        assert e.value.option == 'candidate' and 'is empty' in e.value.problem


def test_secrets_inside_text_are_masked_and_listed():
    cfg = {'standby_cluster': {'primary_conninfo': "host=x password='s3 cr3t' user=r",
                               'restore_command': 'pgbackrest --repo1-s3-key-secret=K3Y archive-get %f "%p"'},
           'url': 'postgresql://rep:pa55word@db1/x', 'auth': {'password': 12345678, 'on': True}}
    masked = mask_secrets(cfg)
    text = repr(masked)
    for secret in ('s3 cr3t', 'K3Y', 'pa55word', '12345678'):
        assert secret not in text
    assert masked['standby_cluster']['primary_conninfo'] == 'host=x password=******** user=r'
    assert masked['url'] == 'postgresql://rep:********@db1/x' and masked['auth'] == {'password': '********', 'on': True}
    assert set(secret_values(cfg)) == {'s3 cr3t', 'K3Y', 'pa55word', '12345678'}


@pytest.mark.parametrize('url,origin', [
    ('https://DB1:8008/patroni', ('https', 'db1', 8008)), ('http://127.0.0.1:8008', ('http', '127.0.0.1', 8008)),
    ('https://db1', ('https', 'db1', 443)), ('https://[::1]:8008/patroni/', ('https', '::1', 8008)),
    ('file:///etc/shadow', None), ('https://db1:8008@evil:8008/patroni', None), ('https://u:p@db1:8008', None),
    ('https://db1:8008/other', None), ('https://db1:8008/patroni?x=1', None), ('https://db1:99999', None),
    ('gopher://db1:70', None), ('', None),
])
def test_url_origin(url, origin):
    assert url_origin(url) == origin


class _Args(object):
    """The module's parsed options, as PatroniApi reads them (no network is touched here)."""

    def __init__(self, urls, trust=False):
        self.check_mode = False
        self.params = dict(api_url=urls, api_username='u', api_password='p', ca_file=None, client_cert=None,
                           client_key=None, validate_certs=True, timeout=5, trust_published_urls=trust)

    def fail_json(self, msg, **kwargs):
        raise AssertionError(msg)


def test_trusted_member_urls():
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import PatroniApi, UntrustedUrl
    api = PatroniApi(_Args(['https://db1:8008', 'http://db2:8008']))
    trusted = ['https://db1:8008/patroni', 'https://DB1:9000/patroni', 'https://db2:8009/patroni', 'http://db2:8008/patroni']
    refused = ['http://db1:8008/patroni', 'http://db2:8009/patroni', 'https://db3:8008/patroni', 'https://10.0.0.1:8008/patroni',
               'file:///etc/passwd', 'https://db1:8008@evil/patroni', 'https://db1:8008/patroni/../x']
    for url in trusted:
        assert api.trust_problem(url) is None, url
    for url in refused:
        assert api.trust_problem(url), url
        with pytest.raises(UntrustedUrl) as e:
            api.member_url(dict(name='m', api_url=url), 'POST')
        assert 'member m publishes its REST API at %s' % url in str(e.value) and 'trust_published_urls' in str(e.value)
    loose = PatroniApi(_Args(['https://db1:8008'], trust=True))
    assert loose.trust_problem('http://db3:8008/patroni') is None and loose.trust_problem('file:///etc/passwd')
