"""The Patroni modules against a hostile or broken REST API: a fake Patroni on loopback (tests/integration/patronifake.py)
serves what a real Patroni never answers - malformed bodies, a /cluster that publishes members at other hosts or over
plain http, two leaders - and records every request it received. The real cluster is in test_patroni.py."""
import datetime
import json

import pytest

from patronifake import FakePatroni, member
from runner import run_module

PASSWORD = 'Fake-Api-Pa55word'
CONFIG = {'ttl': 20, 'loop_wait': 1, 'postgresql': {'parameters': {'work_mem': '4MB'}}}


@pytest.fixture
def fakes():
    started = []

    def start(host='127.0.0.1'):
        started.append(FakePatroni(host))
        return started[-1]
    yield start
    for f in started:
        f.stop()


def run(name, fake_urls, check=False, **args):
    params = dict(api_url=fake_urls, api_username='patroni', api_password=PASSWORD, timeout=5)
    params.update(args)
    return run_module('pgwarden.postgresql.patroni_' + name, params, check=check)


def assert_refused(r, *texts):
    assert r.get('failed') is True, r
    for text in texts:
        assert text in r['msg'], r['msg']
    for out in (r.get('_stdout', ''), r.get('module_stdout', ''), r.get('module_stderr', ''), r['msg']):
        assert 'Traceback' not in out
    assert r['msg'] != 'MODULE FAILURE'


def healthy(fake, **extra):
    """A cluster of leader a (served by `fake`) and replica b (published at `fake` too unless extra says)."""
    b_url = extra.pop('b_url', fake.url + '/patroni')
    cluster = dict(members=[member('a', 'leader', fake.url + '/patroni'),
                            member('b', 'replica', b_url, state='streaming', **extra)])
    fake.answer('GET', '/cluster', 200, cluster)
    fake.answer('GET', '/config', 200, CONFIG)
    return cluster


MALFORMED_CLUSTER = [
    ('not json <html>', 'not a JSON object'),
    ([], 'not a JSON object: []'),
    (None, 'not a JSON object: null'),
    ('"members"', 'not a JSON object: text members'),
    ({'members': {'a': {}}}, '"members" is {\'a\': {}}, not a list'),
    ({'members': None}, '"members" is None, not a list'),
    ({'nomembers': []}, 'not a list'),
    ({'members': [None]}, 'a member of "members" is None'),
    ({'members': [{'name': 'a', 'role': 'leader', 'state': 'running'}]}, 'member a has no api_url'),
    ({'members': [{'role': 'leader', 'api_url': 'http://x/patroni'}]}, 'a member has no name'),
    ({'members': [{'name': 'a', 'role': 'leader', 'api_url': 'http://x', 'tags': 'nofailover'}]}, 'tags that are not'),
]


@pytest.mark.parametrize('body,text', MALFORMED_CLUSTER, ids=[str(i) for i in range(len(MALFORMED_CLUSTER))])
def test_malformed_cluster_is_a_clear_error_and_nothing_is_written(fakes, body, text):
    fake = fakes()
    fake.answer('GET', '/cluster', 200, body)
    fake.answer('GET', '/config', 200, CONFIG)
    for name, args in [('info', {}), ('switchover', dict(candidate='b')), ('restart', dict(pending_only=False)),
                       ('restart', dict(reinit='b'))]:
        r = run(name, [fake.url], **args)
        assert_refused(r, 'GET %s/cluster' % fake.url, text)
        assert fake.writes() == [], (name, fake.writes())


@pytest.mark.parametrize('body,text', [('<p>oops</p>', 'not a JSON object: text oops'), ([1, 2], 'not a JSON object: [1, 2]'),
                                       (None, 'not a JSON object: null'), (42, 'not a JSON object: 42')])
def test_malformed_config_is_a_clear_error_and_nothing_is_patched(fakes, body, text):
    fake = fakes()
    healthy(fake)
    fake.answer('GET', '/config', 200, body)
    for name in ('config', 'info'):
        r = run(name, [fake.url], config=dict(ttl=30)) if name == 'config' else run(name, [fake.url])
        assert_refused(r, 'GET %s/config' % fake.url, text)
    assert fake.writes() == []


def test_malformed_member_status_before_restart_sends_no_restart(fakes):
    fake = fakes()
    healthy(fake, pending_restart=True)
    fake.answer('GET', '/patroni', 200, ['not', 'a', 'status'])
    r = run('restart', [fake.url])
    assert_refused(r, 'restart of b failed', 'GET %s/patroni' % fake.url, 'not a JSON object')
    assert fake.writes() == []
    info = run('info', [fake.url])  # info reports it as a member that did not answer
    assert info.get('failed') is not True and [m['status'] for m in info['members']] == [None, None]


def test_two_leaders_refused_before_anything_is_sent(fakes):
    fake = fakes()
    fake.answer('GET', '/cluster', 200, dict(members=[
        member('a', 'leader', fake.url + '/patroni', pending_restart=True),
        member('b', 'master', fake.url + '/patroni', pending_restart=True),
        member('c', 'replica', fake.url + '/patroni', state='streaming', pending_restart=True)]))
    fake.answer('GET', '/config', 200, CONFIG)
    for name, args in [('switchover', {}), ('switchover', dict(candidate='c')), ('restart', {}),
                       ('restart', dict(members=['c'])), ('restart', dict(reinit='c'))]:
        r = run(name, [fake.url], **args)
        assert_refused(r, '2 leaders (a, b)', 'nothing was changed')
        assert r['option'] == 'api_url'
    info = run('info', [fake.url])
    assert info.get('failed') is not True and info['leader'] is None
    assert [m['role'] for m in info['members']] == ['leader', 'leader', 'replica']
    assert fake.writes() == []


def test_switchover_input_refused_before_any_request(fakes):
    fake = fakes()
    healthy(fake)
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)).replace(microsecond=0)
    for args, text in [(dict(candidate=''), 'candidate: is empty'), (dict(candidate='  '), 'candidate: is empty'),
                       (dict(scheduled_at=past.isoformat()), 'is in the past'),
                       (dict(scheduled_at='2020-01-01T00:00:00Z'), 'is in the past'),
                       (dict(scheduled_at='2031-02-30T03:00:00+00:00'), 'is not a real time'),
                       (dict(scheduled_at='2031-01-01T25:00:00+00:00'), 'is not a real time'),
                       (dict(scheduled_at='2031-01-01T03:00:00'), 'not an ISO 8601 time with a time zone'),
                       (dict(scheduled_at='tomorrow'), 'not an ISO 8601 time'), (dict(scheduled_at=''), 'not an ISO 8601 time')]:
        r = run('switchover', [fake.url], **args)
        assert_refused(r, text)
        assert r['msg'].startswith(list(args)[0] + ':') and r['option'] == list(args)[0]
    r = run('restart', [fake.url], reinit='')
    assert_refused(r, 'reinit: is empty')
    assert fake.received == []  # refused before the first request


def test_future_schedule_is_sent(fakes):
    fake = fakes()
    healthy(fake)
    fake.answer('POST', '/switchover', 202, 'Switchover scheduled')
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).strftime('%Y-%m-%dT%H:%M:%SZ')
    r = run('switchover', [fake.url], candidate='b', scheduled_at=at)
    assert r.get('failed') is not True, r['msg']
    assert [(w['method'], json.loads(w['body'])) for w in fake.writes()] == [
        ('POST', dict(leader='a', candidate='b', scheduled_at=at))]


def _untrusted_cases(fakes):
    named = fakes()
    other_host = fakes('127.0.0.2')      # same port space, another host than api_url names
    other_port = fakes()                 # the named host, but plain http on a port api_url does not name
    return named, [(other_host, other_host.url + '/patroni', 'plain http://'),
                   (other_port, other_port.url + '/patroni', 'plain http://'),
                   (other_host, 'file:///etc/passwd', 'not an http(s) URL'),
                   (other_host, 'http://127.0.0.1:1@%s/patroni' % other_host.url[7:], 'not an http(s) URL'),
                   (other_host, other_host.url + '/patroni/../restart?x=1', 'not an http(s) URL')]


def test_member_published_elsewhere_is_refused_and_gets_no_password(fakes):
    named, cases = _untrusted_cases(fakes)
    for target, published, text in cases:
        healthy(named, b_url=published, pending_restart=True)
        for name, args in [('restart', {}), ('restart', dict(reinit='b')), ('switchover', dict(candidate='b')),
                           ('info', {})]:
            r = run(name, [named.url], **args)
            assert_refused(r, 'member b publishes its REST API at %s' % published, text, 'trust_published_urls')
            assert target.received == [], (name, published, target.received)
        assert named.writes() == []
    # the named member's own URL is trusted: info reads it without trust_published_urls
    healthy(named)
    named.answer('GET', '/patroni', 200, dict(state='running', postmaster_start_time='t0'))
    r = run('info', [named.url])
    assert r.get('failed') is not True and r['members'][1]['status'] == dict(state='running', postmaster_start_time='t0')


def test_trust_published_urls_sends_to_the_published_member_and_names_it(fakes):
    named, replica = fakes(), fakes('127.0.0.2')
    state = dict(restarted=False)

    def cluster(_fake):
        return 200, dict(members=[member('a', 'leader', named.url + '/patroni'),
                                  member('b', 'replica', replica.url + '/patroni', state='streaming',
                                         pending_restart=not state['restarted'])])

    def restart(_fake):
        state['restarted'] = True
        return 200, 'restarted successfully'
    named.routes[('GET', '/cluster')] = cluster
    replica.routes[('GET', '/patroni')] = lambda _f: (200, dict(postmaster_start_time='t1' if state['restarted'] else 't0'))
    replica.routes[('POST', '/restart')] = restart
    replica.answer('GET', '/health', 200, {})

    r = run('restart', [named.url])
    assert_refused(r, 'member b publishes its REST API at %s/patroni' % replica.url)
    assert replica.received == [] and not state['restarted']

    r = run('restart', [named.url], trust_published_urls=True, wait_timeout=20)
    assert r.get('failed') is not True, r['msg']
    assert [(a['action'], a['member'], a['url']) for a in r['actions']] == [('restart', 'b', replica.url)]
    assert [(w['method'], w['path'], w['auth'] is not None) for w in replica.writes()] == [('POST', '/restart', True)]
    assert named.writes() == [] and r['changed'] is True

    healthy(named, b_url='file:///etc/passwd', pending_restart=True)  # never, even when trusted
    r = run('restart', [named.url], trust_published_urls=True)
    assert_refused(r, 'not an http(s) URL')


def test_switchover_wait_never_follows_a_member_that_moves_to_another_host(fakes):
    named, other = fakes(), fakes('127.0.0.2')

    def cluster(fake):
        if fake.writes():  # after the POST /switchover, /cluster publishes the new leader b on another host
            return 200, dict(members=[member('a', 'replica', named.url + '/patroni', state='streaming'),
                                      member('b', 'leader', other.url + '/patroni')])
        return 200, dict(members=[member('a', 'leader', named.url + '/patroni'),
                                  member('b', 'replica', named.url + '/patroni', state='streaming')])
    named.routes[('GET', '/cluster')] = cluster
    named.answer('POST', '/switchover', 200, 'Successfully switched over to "b"')
    r = run('switchover', [named.url], candidate='b', wait_timeout=5)
    assert_refused(r, 'the switchover was sent, but waiting for b failed',
                   'member b publishes its REST API at %s/patroni' % other.url, 'trust_published_urls')
    assert r['changed'] is True and other.received == []
    assert [(w['method'], w['path']) for w in named.writes()] == [('POST', '/switchover')]


def test_api_url_with_user_info_refused(fakes):
    fake = fakes()
    r = run('info', ['http://patroni:%s@%s' % (PASSWORD, fake.url[7:])])
    assert_refused(r, 'api_url: a URL holds user info')
    assert PASSWORD not in json.dumps(r) and fake.received == []


def _secret_config(fake):
    current = dict(CONFIG, standby_cluster=dict(primary_conninfo="host=db0 password='%s-conninfo' user=rep" % PASSWORD),
                   postgresql=dict(parameters=dict(work_mem='4MB'), authentication=dict(
                       replication=dict(username='rep', password=PASSWORD + '-replication'))))
    fake.answer('GET', '/config', 200, current)
    return current


def test_info_masks_secrets_of_the_configuration(fakes):
    fake = fakes()
    healthy(fake)
    _secret_config(fake)
    r = run('info', [fake.url])
    assert r.get('failed') is not True, r['msg']
    assert r['config']['postgresql']['authentication']['replication'] == dict(username='rep', password='********')
    assert r['config']['standby_cluster']['primary_conninfo'] == 'host=db0 password=******** user=rep'
    assert PASSWORD not in json.dumps(r)


@pytest.mark.parametrize('runner', ['direct', 'playbook'])
def test_config_password_appears_nowhere_in_the_result(fakes, runner):
    fake = fakes()
    healthy(fake)
    _secret_config(fake)
    fake.answer('PATCH', '/config', 200, CONFIG)
    desired = dict(postgresql=dict(authentication=dict(superuser=dict(password=PASSWORD + '-superuser'))),
                   standby_cluster=dict(primary_conninfo='host=db9 password=%s-new user=rep' % PASSWORD))
    params = dict(api_url=[fake.url], api_username='patroni', api_password=PASSWORD, timeout=5, config=desired,
                  settle_timeout=0)
    r = run_module('pgwarden.postgresql.patroni_config', params, diff=True,
                   extra_env=dict(ANSIBLE_NOCOLOR='1') if runner == 'playbook' else None)
    assert r.get('failed') is not True, r['msg']
    args = r['invocation']['module_args']
    assert args['config']['postgresql']['authentication']['superuser']['password'] == '********'
    assert args['config']['standby_cluster']['primary_conninfo'] == 'host=db9 password=******** user=rep'
    assert PASSWORD not in json.dumps(r)  # result, invocation, diff, requests and (playbook) the whole stdout
    patch = json.loads(fake.writes()[0]['body'])  # sent as given
    assert patch['postgresql']['authentication']['superuser']['password'] == PASSWORD + '-superuser'
    assert fake.writes()[0]['auth'] is not None


def test_config_refused_change_keeps_secrets_out_of_the_failure(fakes):
    fake = fakes()
    healthy(fake)
    fake.answer('PATCH', '/config', 409, 'Conflict')
    r = run('config', [fake.url], config=dict(pgwarden_probe=dict(token=PASSWORD + '-token')), settle_timeout=0)
    assert_refused(r, 'Patroni refused the change', 'HTTP 409', 'the configuration is unchanged')
    assert PASSWORD not in json.dumps(r)
