"""Failover drill reports from the writer's client-side records (plugins/filter/drill.py)."""
from ansible_collections.pgwarden.postgresql.plugins.filter import drill

KILL = 100.0


def records(ok_until=99.9, back_at=119.0, end=125.0, step=0.5, in_doubt=()):
    """Acks every `step` s up to ok_until and again from back_at, failures in between."""
    acks, failures, i, ts = [], [], 1, 90.0
    while ts <= end:
        if ts <= ok_until or ts >= back_at:
            acks.append([i, ts])
            i += 1
        else:
            failures.append([ts, 'OperationalError: connection refused'])
        ts = round(ts + step, 3)
    return dict(acks=acks, failures=failures, in_doubt=list(in_doubt))


def ids(rec):
    return [a[0] for a in rec['acks']]


def test_host_kill_time_to_writable_and_gap():
    rec = records()
    r = drill.drill_report(rec, dict(ts=KILL, kind='host', leader='db1', new_leader='db2'),
                           dict(present=ids(rec)), target_seconds=27, synchronous=True)
    assert r['time_to_writable_s'] == 19.0
    assert r['first_failure_after_s'] == 0.0
    assert r['unavailable_s'] == 19.5  # last ack 99.5 -> first ack 119.0
    assert r['lost'] == 0 and r['passed']
    assert r['target'] == dict(metric='time_to_writable_s', limit_s=27, value_s=19.0, met=True)
    assert r['errors'] == [['OperationalError: connection refused', r['attempts_failed']]]


def test_lost_commits_fail_only_in_synchronous_mode():
    rec = records()
    present = ids(rec)[:-30] + ids(rec)[-25:]  # five acknowledged rows missing on the new leader
    sync = drill.drill_report(rec, dict(ts=KILL, kind='host'), dict(present=present), 27, synchronous=True)
    assert sync['lost'] == 5 and not sync['passed'] and 'synchronous_mode' in sync['problems'][0]
    asyn = drill.drill_report(rec, dict(ts=KILL, kind='host'), dict(present=present), 27, synchronous=False)
    assert asyn['lost'] == 5 and asyn['passed'] and asyn['lost_ids'] == sorted(set(ids(rec)) - set(present))


def test_over_target_and_never_back():
    rec = records(back_at=130.0, end=135.0)
    r = drill.drill_report(rec, dict(ts=KILL, kind='host'), dict(present=ids(rec)), 27)
    assert r['time_to_writable_s'] == 30.0 and r['target']['met'] is False and not r['passed']
    never = records(back_at=999.0)
    r = drill.drill_report(never, dict(ts=KILL, kind='postgres'), dict(present=ids(never)), 15)
    assert r['time_to_writable_s'] is None and r['problems'] == ['writes never came back']


def test_switchover_is_judged_on_the_refusal_window():
    rec = records(ok_until=102.0, back_at=104.0)  # request at 100, refused 102.5..103.5
    r = drill.drill_report(rec, dict(ts=KILL, kind='switchover'), dict(present=ids(rec)), 5)
    assert r['target']['metric'] == 'unavailable_s' and r['unavailable_s'] == 2.0 and r['passed']
    assert r['time_to_writable_s'] == 4.0 and r['first_failure_after_s'] == 2.5


def test_failures_before_the_kill_do_not_count():
    rec = records()
    rec['failures'].insert(0, [95.2, 'OperationalError: earlier blip'])
    r = drill.drill_report(rec, dict(ts=KILL, kind='host'), dict(present=ids(rec)), 27)
    assert r['time_to_writable_s'] == 19.0 and all('blip' not in e[0] for e in r['errors'])


def test_no_failure_after_the_kill_means_first_ack_after_it():
    rec = records(ok_until=200, back_at=200)
    r = drill.drill_report(rec, dict(ts=KILL, kind='postgres'), dict(present=ids(rec)), 15)
    assert r['attempts_failed'] == 0 and r['time_to_writable_s'] == 0.0 and r['unavailable_s'] == 0.5


def test_in_doubt_rows_are_not_lost_and_not_unexpected():
    rec = records(in_doubt=[500, 501])
    present = ids(rec) + [500]
    r = drill.drill_report(rec, dict(ts=KILL, kind='host'), dict(present=present), 27, True)
    assert r['in_doubt'] == 2 and r['in_doubt_committed'] == 1 and r['unexpected_rows'] == 0 and r['passed']
    r = drill.drill_report(rec, dict(ts=KILL, kind='host'), dict(present=present + [999]), 27, True)
    assert r['unexpected_rows'] == 1 and not r['passed']


def test_text_report():
    rec = records()
    r = drill.drill_report(rec, dict(ts=KILL, kind='host', leader='db1', new_leader='db2',
                                     rejoin=dict(method='rewind', seconds=12.5)), dict(present=ids(rec)), 27, True)
    text = drill.drill_report_text(r)
    assert 'leader db1 killed, new leader db2' in text and 'writable again after: 19.0 s' in text
    assert 'lost: 0' in text and 'synchronous_mode: on' in text and 'method=rewind' in text
    assert text.endswith('result: PASSED')
    assert set(drill.FilterModule().filters()) == {'drill_report', 'drill_report_text'}
