"""The Patroni REST API modules against a real throwaway Patroni cluster (one etcd, two members).

All tests share one session cluster (fixture patroni_cluster) and leave it healthy: one leader,
one streaming replica. Outside checks use the REST API directly and psycopg2 on the members.
"""
import datetime
import json
import os
import signal
import time

import pytest

from patroniserver import API_PASSWORD, API_USER, SUPERUSER_PASSWORD
from runner import run_module

pytestmark = pytest.mark.patroni  # one file: --dist loadfile keeps it in one worker, one cluster


@pytest.fixture
def pc(patroni_cluster):
    patroni_cluster.wait_healthy()
    yield patroni_cluster
    patroni_cluster.wait_healthy()


def run(pc, name, check=False, diff=False, **args):
    return run_module('pgwarden.postgresql.patroni_' + name, pc.module_args(**args), check=check, diff=diff)


def writes(result):
    return [r for r in result['requests'] if r['method'] != 'GET']


def setting(pc, member, name):
    return pc.query(member, 'SELECT current_setting(%s)', (name,))[0][0]


def eventually(predicate, timeout=30):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, 'condition not met within %ds' % timeout
        time.sleep(0.5)


def test_info_one_leader_one_streaming_replica(pc):
    for check in (False, True):
        r = run(pc, 'info', check=check)
        assert r.get('failed') is not True, r['msg']
        assert r['changed'] is False and r['leader'] == pc.leader()
        assert r['replicas'] == pc.replicas() and len(r['replicas']) == 1
        by_name = dict((m['name'], m) for m in r['members'])
        replica = by_name[r['replicas'][0]]
        assert by_name[r['leader']]['role'] == 'leader' and replica['role'] == 'replica'
        assert replica['state'] in ('running', 'streaming') and replica['lag'] == 0 and replica['timeline'] >= 1
        assert replica['pending_restart'] is False and replica['host'] == '127.0.0.1'
        assert replica['port'] == pc.member(replica['name']).pg_port
        streaming = by_name[r['leader']]['status']['replication']
        assert [(s['application_name'], s['state']) for s in streaming] == [(replica['name'], 'streaming')]
        assert r['config'] == pc.config() and r['config']['ttl'] == 20
        assert writes(r) == [] and all(q['status'] == 200 for q in r['requests'])
        assert API_PASSWORD not in r['_stdout']


def test_config_reload_then_restart_parameter(pc):
    before = pc.config()
    want = '6MB' if before['postgresql']['parameters']['work_mem'] != '6MB' else '7MB'
    secret = 'sekrit-%s' % want  # a secret-looking key: sent to Patroni, masked in everything returned
    desired = dict(postgresql=dict(parameters=dict(work_mem=want)), pgwarden_probe=dict(token=secret))
    masked = dict(desired, pgwarden_probe=dict(token='********'))

    r = run(pc, 'config', check=True, diff=True, config=desired)
    assert r['changed'] is True and r['patch'] == masked
    assert writes(r) == [dict(method='PATCH', url=pc.members[0].api_url + '/config', body=masked,
                              status=None, sent=False)]
    assert pc.config() == before  # check mode sent nothing

    r = run(pc, 'config', diff=True, config=desired)
    assert r['changed'] is True and r['patch'] == masked
    assert secret not in json.dumps(dict((k, v) for k, v in r.items() if k not in ('invocation', '_stdout')))
    assert pc.config()['pgwarden_probe'] == dict(token=secret)
    assert r['diff']['before'] == before and r['diff']['after'] == dict(pc.config(), pgwarden_probe=dict(token='********'))
    assert r['restart_required'] == dict((m.name, False) for m in pc.members)
    assert [w['status'] for w in writes(r)] == [200]
    for m in pc.members:
        eventually(lambda: setting(pc, m.name, 'work_mem') == want)

    again = run(pc, 'config', config=dict(ttl='20', postgresql=dict(parameters=dict(work_mem=want)), pgwarden_probe=None))
    assert again['changed'] is True and again['patch'] == dict(pgwarden_probe=None) and 'pgwarden_probe' not in pc.config()
    again = run(pc, 'config', config=dict(ttl='20', postgresql=dict(parameters=dict(work_mem=want)), pgwarden_probe=None))
    assert again['changed'] is False and again['patch'] == {} and writes(again) == []

    connections = int(pc.config()['postgresql']['parameters']['max_connections']) + 10
    r = run(pc, 'config', config=dict(postgresql=dict(parameters=dict(max_connections=connections))),
            settle_timeout=30)  # returns as soon as every member reports pending_restart
    assert r['changed'] is True
    assert r['restart_required'] == dict((m.name, True) for m in pc.members)
    assert all(m.get('pending_restart') for m in pc.cluster()['members'])
    assert setting(pc, pc.leader(), 'max_connections') == str(connections - 10)  # not applied without a restart


def test_config_refused_by_patroni_leaves_configuration(pc):
    before = pc.config()
    huge = dict(postgresql=dict(parameters=dict(application_name='x' * 2000000)))  # over etcd's request size
    r = run(pc, 'config', config=huge, settle_timeout=0)
    assert r['failed'] is True and r['changed'] is False
    assert 'Patroni refused the change' in r['msg'] and 'HTTP 409' in r['msg']
    assert 'the configuration is unchanged' in r['msg']
    assert pc.config() == before


def test_anonymous_and_wrong_credentials_refused(pc):
    before = pc.config()
    status, text = pc._http(pc.members[0].api_url + '/config', 'PATCH',
                            dict(postgresql=dict(parameters=dict(work_mem='9MB'))))
    assert status == 401
    r = run(pc, 'config', config=dict(postgresql=dict(parameters=dict(work_mem='9MB'))), api_password='wrong')
    assert r['failed'] is True and 'HTTP 401' in r['msg'] and 'api_username/api_password' in r['msg']
    assert pc.config() == before
    r = run(pc, 'switchover', api_username=None, api_password=None)
    assert r['failed'] is True and 'HTTP 401' in r['msg'] and pc.leader() == r['old_leader']


def test_switchover_to_replica_and_back(pc):
    old = pc.leader()
    replica = pc.replicas()[0]
    r = run(pc, 'switchover', check=True, candidate=replica)
    assert r['changed'] is True and writes(r)[0]['body'] == dict(leader=old, candidate=replica)
    assert writes(r)[0]['sent'] is False and pc.leader() == old

    r = run(pc, 'switchover', candidate=replica, maximum_lag=1048576)
    assert r.get('failed') is not True, r['msg']
    assert r['changed'] is True and r['old_leader'] == old and r['new_leader'] == replica
    assert r['elapsed_seconds'] > 0 and pc.leader() == replica
    pc.query(replica, 'CREATE TABLE IF NOT EXISTS switch_probe (n int)')
    pc.query(replica, 'INSERT INTO switch_probe VALUES (1)')  # the new leader accepts writes
    assert pc.query(replica, 'SELECT pg_is_in_recovery()') == [(False,)]
    pc.wait_healthy()  # the old leader follows the new one

    again = run(pc, 'switchover', candidate=replica)
    assert again['changed'] is False and writes(again) == []

    back = run(pc, 'switchover')  # any healthy replica: the only one is the old leader
    assert back['changed'] is True and back['new_leader'] == old and pc.leader() == old
    pc.query(old, 'INSERT INTO switch_probe VALUES (2)')


def test_switchover_refused_nothing_changes(pc):
    old = pc.leader()
    r = run(pc, 'switchover', candidate='nosuch')
    assert r['failed'] is True and r['option'] == 'candidate' and "'nosuch' is not a member" in r['msg']
    assert writes(r) == [] and pc.leader() == old
    r = run(pc, 'switchover', scheduled_at='tomorrow')
    assert r['failed'] is True and r['msg'].startswith('scheduled_at:') and pc.leader() == old


def test_scheduled_switchover(pc):
    old = pc.leader()
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).replace(microsecond=0)
    try:
        r = run(pc, 'switchover', candidate=pc.replicas()[0], scheduled_at=at.isoformat())
        assert r['changed'] is True and r['elapsed_seconds'] is None
        scheduled = pc.cluster()['scheduled_switchover']
        assert scheduled['from'] == old and scheduled['to'] == pc.replicas()[0]
        again = run(pc, 'switchover', candidate=pc.replicas()[0], scheduled_at=at.isoformat())
        assert again['changed'] is False, (scheduled, at.isoformat())
    finally:
        pc._http(pc.members[0].api_url + '/switchover', 'DELETE', auth=(API_USER, API_PASSWORD))
    assert 'scheduled_switchover' not in pc.cluster() and pc.leader() == old


def _start_times(pc):
    return dict((m.name, pc.query(m.name, 'SELECT pg_postmaster_start_time()')[0][0]) for m in pc.members)


def test_restart_pending_members_replicas_first(pc):
    connections = int(pc.config()['postgresql']['parameters']['max_connections']) + 5
    r = run(pc, 'config', config=dict(postgresql=dict(parameters=dict(max_connections=connections))),
            settle_timeout=30)  # returns as soon as every member reports pending_restart
    assert all(r['restart_required'].values()), r['restart_required']
    leader, replica = pc.leader(), pc.replicas()[0]
    started = _start_times(pc)

    plan = run(pc, 'restart', check=True)
    assert plan['changed'] is True
    assert plan['actions'] == [dict(action='restart', member=replica, url=pc.member(replica).api_url),
                               dict(action='restart', member=leader, url=pc.member(leader).api_url)]
    assert [w['url'] for w in writes(plan)] == [pc.member(replica).api_url + '/restart',
                                                pc.member(leader).api_url + '/restart']
    assert not any(w['sent'] for w in writes(plan)) and _start_times(pc) == started

    r = run(pc, 'restart')
    assert r.get('failed') is not True, r['msg']
    assert [(a['action'], a['member']) for a in r['actions']] == [('restart', replica), ('restart', leader)]
    assert [w['status'] for w in writes(r)] == [200, 200]
    after = _start_times(pc)
    assert started[replica] < after[replica] < after[leader] and started[leader] < after[leader]
    for name in (leader, replica):
        assert setting(pc, name, 'max_connections') == str(connections)
    assert not any(m.get('pending_restart') for m in pc.cluster()['members'])
    assert run(pc, 'restart')['changed'] is False


def test_reinit_replica_and_refuse_leader(pc):
    leader, replica = pc.leader(), pc.replicas()[0]
    r = run(pc, 'restart', reinit=leader)
    assert r['failed'] is True and r['option'] == 'reinit' and 'is the leader' in r['msg']
    started = _start_times(pc)[replica]
    r = run(pc, 'restart', reinit=replica, force=True)
    assert r.get('failed') is not True, r['msg']
    assert r['actions'][0]['action'] == 'reinit' and writes(r)[0]['status'] == 200
    assert _start_times(pc)[replica] > started and pc.leader() == leader


# ---- the operational playbooks over these modules (tests/integration/drillrun.py runs them)

def test_failover_drill_postgres_kill_records_every_commit_and_the_leader_comes_back(pc, tmp_path):
    from drillrun import drill_vars, run_playbook
    leader = pc.leader()
    report_path = str(tmp_path / 'drill.json')
    rc, out = run_playbook(pc, 'failover_drill.yml', drill_vars(
        pc, drill_kind='postgres', drill_report_path=report_path, drill_assert_zero_loss=True))
    assert rc == 0, out[-4000:]
    with open(report_path) as f:
        report = json.load(f)
    assert report['kind'] == 'postgres' and report['old_leader'] == leader and report['passed'], report
    assert report['attempts_failed'] > 0 and report['time_to_writable_s'] is not None  # the kill was seen
    assert report['lost'] == 0 and report['unexpected_rows'] == 0 and report['acked'] >= 20
    assert 'result: PASSED' in out and report['rejoin']['method'] in ('restart in place', 'rejoin (pg_rewind or replay)')
    assert report['writer_host'] != leader
    pc.wait_healthy(60)


def _api_vars(pc, **extra):
    v = dict(patroni_api_urls=[m.api_url for m in pc.members], patroni_restapi_username=API_USER,
             patroni_restapi_password=API_PASSWORD, patroni_api_ca_file='', patroni_api_validate_certs=False)
    v.update(extra)
    return v


def test_reinit_replica_playbook_names_the_missing_variable_then_rebuilds(pc):
    from drillrun import run_playbook
    rc, out = run_playbook(pc, 'reinit_replica.yml', _api_vars(pc))
    assert rc != 0 and 'reinit_member must name the replica' in out
    leader, replica = pc.leader(), pc.replicas()[0]
    started = _start_times(pc)[replica]
    rc, out = run_playbook(pc, 'reinit_replica.yml', _api_vars(pc, reinit_member=replica))
    assert rc == 0, out[-4000:]
    assert _start_times(pc)[replica] > started and pc.leader() == leader


def test_rolling_restart_playbook_with_nothing_pending(pc):
    from drillrun import run_playbook
    rc, out = run_playbook(pc, 'rolling_restart.yml', _api_vars(pc))
    assert rc == 0 and 'nothing waits for a restart' in out, out[-4000:]


def _health(pc, member, **thresholds):
    """health_info on one member, connected as the superuser over TCP like a monitoring host would."""
    r = run_module('pgwarden.postgresql.health_info', dict(
        login_host='127.0.0.1', login_port=pc.member(member).pg_port, login_user='postgres',
        login_password=SUPERUSER_PASSWORD, checks=['replication_lag', 'replication_slots'], thresholds=thresholds))
    assert r.get('failed') is not True, r.get('msg')
    return r['checks']


def test_health_checks_flag_a_lagging_then_a_stopped_replica(pc):
    leader, replica = pc.leader(), pc.replicas()[0]
    ok = _health(pc, leader, replication_min_replicas=1)
    assert ok['replication_lag']['status'] == 'ok', ok['replication_lag']
    assert [i['name'] for i in ok['replication_lag']['items']] == [replica]
    assert ok['replication_lag']['message'] == 'primary, 1 replica(s)'
    assert ok['replication_slots']['status'] == 'ok', ok['replication_slots']

    # Lagging: the replica's startup process (WAL replay) is frozen while the leader writes; its WAL
    # receiver keeps streaming and reporting, so the leader sees replay fall behind. (Patroni resumes a
    # replay paused with pg_wal_replay_pause(), so that cannot stand in for a slow replica.)
    startup = pc.query(replica, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'startup'")[0][0]
    thresholds = dict(replication_lag_warning_bytes=1024, replication_lag_critical_bytes=1073741824)
    os.kill(startup, signal.SIGSTOP)
    try:
        pc.query(leader, 'CREATE TABLE lag_probe AS SELECT g FROM generate_series(1, 20000) g')
        eventually(lambda: _health(pc, leader, **thresholds)['replication_lag']['status'] == 'warning')
        flagged = _health(pc, leader, **thresholds)['replication_lag']
        assert [(i['name'], i['status']) for i in flagged['items']] == [(replica, 'warning')]
        assert flagged['items'][0]['lag_bytes'] > 1024
        # The standby grades its own replay lag too.
        assert _health(pc, replica, **thresholds)['replication_lag']['status'] == 'warning'
    finally:
        os.kill(startup, signal.SIGCONT)
        pc.query(leader, 'DROP TABLE IF EXISTS lag_probe')
    eventually(lambda: _health(pc, leader, **thresholds)['replication_lag']['status'] == 'ok')

    # Stopped: the replica's Patroni stops (and stops its PostgreSQL); the leader sees no replica.
    pc.stop_member(replica)
    try:
        eventually(lambda: _health(pc, leader, replication_min_replicas=1)['replication_lag']['status'] == 'critical', 60)
        gone = _health(pc, leader, replication_min_replicas=1)['replication_lag']
        assert gone['message'] == 'primary, 0 replica(s) streaming, 1 expected'
        # Without the expectation the same state is not an alarm (a standalone server has no replica).
        assert _health(pc, leader)['replication_lag']['status'] == 'ok'
    finally:
        pc.start_member(replica)
        pc.wait_healthy(120)
