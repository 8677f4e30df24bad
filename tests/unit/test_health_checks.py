"""The pure half of the health checks: thresholds and evaluation, from plain dicts."""
import pytest
import yaml

from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring import health_checks as hc
from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring.health_collect import parse_pgbackrest_info
from ansible_collections.pgwarden.postgresql.plugins.modules import health_info

T = hc.thresholds_with_defaults({})
NOW = 1800000000.0


def test_grade_and_worst():
    assert [hc.grade(v, 80, 95) for v in (None, 0, 79.9, 80, 94, 95, 100)] == [
        'unknown', 'ok', 'ok', 'warning', 'warning', 'critical', 'critical']
    assert hc.worst(['ok', 'unknown', 'warning']) == 'warning'
    assert hc.worst(['unknown']) == 'unknown' and hc.worst([]) == 'ok'


def test_thresholds_validation():
    assert hc.thresholds_with_defaults({'disk_warning_percent': 70, 'disk_critical_percent': None})[
        'disk_critical_percent'] == 90.0
    with pytest.raises(ValueError, match=r'^thresholds: unknown threshold'):
        hc.thresholds_with_defaults({'nope': 1})
    with pytest.raises(ValueError, match=r'^thresholds.disk_critical_percent: .* below'):
        hc.thresholds_with_defaults({'disk_warning_percent': 95})
    with pytest.raises(ValueError, match=r'^thresholds.dead_tuples_min: must not be negative'):
        hc.thresholds_with_defaults({'dead_tuples_min': -1})


def test_connections_count_reserved_slots():
    raw = dict(used=80, max_connections=100, superuser_reserved=3, reserved=2)
    res = hc.evaluate('connections', raw, T, NOW)
    assert res['value'] == round(8000 / 95.0, 2) and res['status'] == 'warning'
    assert hc.evaluate('connections', dict(raw, used=91), T, NOW)['status'] == 'critical'


def test_long_queries_lists_only_the_flagged_ones():
    raw = dict(items=[dict(pid=1, seconds=10), dict(pid=2, seconds=400), dict(pid=3, seconds=2000)])
    res = hc.evaluate('long_running_queries', raw, T, NOW)
    assert res['status'] == 'critical' and res['value'] == 2000 and [i['pid'] for i in res['items']] == [3, 2]
    assert hc.evaluate('long_running_queries', dict(items=[]), T, NOW)['status'] == 'ok'


def test_replication_lag_worst_of_bytes_and_seconds():
    raw = dict(in_recovery=False, items=[dict(name='r1', lag_seconds=1, lag_bytes=2 * 1024 ** 3),
                                         dict(name='r2', lag_seconds=40, lag_bytes=0)])
    res = hc.evaluate('replication_lag', raw, T, NOW)
    assert res['status'] == 'critical' and [i['status'] for i in res['items']] == ['critical', 'warning']


def test_dead_tuples_need_a_minimum_count():
    raw = dict(items=[dict(table='small', n_dead_tup=50, dead_percent=90.0),
                      dict(table='big', n_dead_tup=50000, dead_percent=30.0)])
    res = hc.evaluate('dead_tuples', raw, T, NOW)
    assert res['status'] == 'warning' and res['value'] == 30.0


def test_errors_make_unknown_not_a_crash():
    res = hc.evaluate('backup_age', dict(error='pgbackrest is not installed'), T, NOW)
    assert res['status'] == 'unknown' and res['value'] is None and 'not installed' in res['message']
    results, status = hc.evaluate_all({'backup_age': dict(error='x'), 'disk': dict(
        items=[dict(name='data', used_percent=50.0)])}, {}, NOW)
    assert status == 'ok' and results['backup_age']['status'] == 'unknown'


def test_backup_age_from_pgbackrest_info_json():
    info = [dict(name='main', status=dict(code=0, message='ok'), backup=[
        dict(label='F1', type='full', error=False, timestamp=dict(start=NOW - 90000, stop=NOW - 86400)),
        dict(label='D1', type='diff', error=True, timestamp=dict(start=NOW - 3700, stop=NOW - 3600))]),
        dict(name='empty', status=dict(code=2, message='no valid backups'), backup=[])]
    stanzas = parse_pgbackrest_info(info)
    assert stanzas[0]['newest_label'] == 'F1' and stanzas[1]['newest_stop'] is None
    res = hc.evaluate('backup_age', dict(items=stanzas[:1]), T, NOW)
    assert res['status'] == 'ok' and res['value'] == 24.0
    assert hc.evaluate('backup_age', dict(items=stanzas), T, NOW)['status'] == 'critical'


@pytest.mark.parametrize('doc,status', [
    (dict(result='passed', duration_seconds=30, finished_at='2027-01-15T08:00:00Z'), 'ok'),
    (dict(result='passed', duration_seconds=30, finished_at=NOW - 9 * 86400), 'ok'),
    (dict(result='passed', duration_seconds=30, finished_at=NOW - 36 * 86400), 'warning'),
    (dict(result='passed', duration_seconds=30, finished_at=NOW - 67 * 86400), 'critical'),
    (dict(result='failed', duration_seconds=30, finished_at=NOW), 'critical'),
    (dict(result='passed'), 'unknown'),
])
def test_restore_test_status(doc, status):
    assert hc.evaluate('restore_test', dict(status=doc, path='/x'), T, NOW)['status'] == status


def test_a_healthy_monthly_restore_test_never_alerts():
    # The default schedule runs on the 1st: just before the next run (31 days and a slow
    # hour after a 31-day month's run) the last one is still ok, one missed run warns.
    assert hc.schedule_interval_days(hc.RESTORE_TEST_SCHEDULE) == 31
    doc = dict(result='passed', duration_seconds=30, finished_at=NOW - 31 * 86400 - 3600)
    assert hc.evaluate('restore_test', dict(status=doc, path='/x'), T, NOW)['status'] == 'ok'
    missed = dict(doc, finished_at=NOW - 62 * 86400)
    assert hc.evaluate('restore_test', dict(status=missed, path='/x'), T, NOW)['status'] == 'warning'


@pytest.mark.parametrize('schedule,days,warning,critical', [
    ('*-*-01 04:00:00', 31, 35, 66), ('monthly', 31, 35, 66), ('weekly', 7, 8, 15),
    ('Sun *-*-* 03:00:00', 7, 8, 15), ('*-*-* 02:30', 1, 2, 3), ('*-01,04,07,10-01 04:00 UTC', 92, 104, 196),
    ('*-*/3-01 04:00', 93, 105, 198), ('yearly', 366, 412, 778)])
def test_restore_test_thresholds_follow_the_schedule(schedule, days, warning, critical):
    assert hc.schedule_interval_days(schedule) == days
    assert hc.restore_test_thresholds(schedule) == dict(restore_test_warning_days=warning,
                                                        restore_test_critical_days=critical)


def test_schedule_given_overrides_defaults_but_not_explicit_thresholds():
    t = hc.thresholds_with_defaults({}, 'weekly')
    assert (t['restore_test_warning_days'], t['restore_test_critical_days']) == (8, 15)
    t = hc.thresholds_with_defaults({'restore_test_warning_days': 10}, 'weekly')
    assert (t['restore_test_warning_days'], t['restore_test_critical_days']) == (10, 15)
    with pytest.raises(ValueError, match=r'^restore_test_schedule: '):
        hc.thresholds_with_defaults({}, 'every full moon')


def test_module_documents_every_threshold_with_its_default():
    doc = yaml.safe_load(health_info.DOCUMENTATION)['options']['thresholds']['suboptions']
    assert dict((k, v['default']) for k, v in doc.items()) == hc.DEFAULT_THRESHOLDS
    assert doc.keys() == health_info.ARGUMENT_SPEC['thresholds']['options'].keys()
    assert yaml.safe_load(health_info.DOCUMENTATION)['options']['checks']['choices'] == list(hc.CHECKS)


ARCHIVER = dict(archive_mode='on', in_recovery=False, archived_count=10, last_archived_wal='00000001000000000000000A',
                last_archived_time=NOW - 30, failed_count=0, last_failed_wal=None, last_failed_time=None,
                stats_reset='2027-01-01T00:00:00+00:00', now=NOW, archiving_since=NOW - 86400, ready_count=0)


@pytest.mark.parametrize('change,status,value', [
    (dict(), 'ok', 0),
    (dict(archive_mode='off', ready_count=5, last_archived_time=None), 'ok', 0),
    (dict(in_recovery=True, ready_count=3), 'ok', 0),
    # a failure that was retried with success: archived after the failure
    (dict(failed_count=2, last_failed_time=NOW - 60, last_failed_wal='000000010000000000000009'), 'ok', 0),
    # failing now: the last failure is newer than the last archived segment
    (dict(failed_count=3, last_failed_time=NOW - 5, last_failed_wal='00000001000000000000000B', ready_count=1),
     'critical', 30),
    (dict(failed_count=1, last_archived_time=None, last_failed_time=NOW - 5, ready_count=1), 'critical', 86400),
    # nothing failed yet, but segments wait longer than the RPO (archive_command hangs, empty command)
    (dict(ready_count=4, last_archived_time=NOW - 400), 'warning', 400),
    (dict(ready_count=40, last_archived_time=NOW - 1000), 'critical', 1000),
])
def test_wal_archiving(change, status, value):
    res = hc.evaluate('wal_archiving', dict(ARCHIVER, **change), T, NOW)
    assert (res['status'], res['value']) == (status, value), res['message']
    if status == 'critical' and change.get('failed_count'):
        assert res['message'].startswith('archive_command is failing')


def test_replication_min_replicas_flags_a_primary_with_too_few_streaming():
    t = dict(hc.DEFAULT_THRESHOLDS, replication_min_replicas=2.0)
    raw = dict(in_recovery=False, items=[
        dict(name='m2', state='streaming', lag_bytes=0, lag_seconds=0),
        dict(name='m3', state='catchup', lag_bytes=0, lag_seconds=0)])
    r = hc.eval_replication_lag(raw, t)
    assert r['status'] == 'critical' and r['message'] == 'primary, 1 replica(s) streaming, 2 expected'
    raw['items'][1]['state'] = 'streaming'
    assert hc.eval_replication_lag(raw, t)['status'] == 'ok'
    # Not checked by default, and never on a standby.
    assert hc.eval_replication_lag(dict(in_recovery=False, items=[]), hc.DEFAULT_THRESHOLDS)['status'] == 'ok'
    standby = dict(in_recovery=True, items=[dict(name='replay', lag_bytes=0, lag_seconds=0)])
    assert hc.eval_replication_lag(standby, t)['status'] == 'ok'


def test_configured_stanzas_read_from_the_configuration_and_conf_d(tmp_path):
    """The backup check asks pgBackRest per stanza (a TLS repository host refuses an info over all stanzas)."""
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring.health_collect import configured_stanzas
    conf = tmp_path / 'pgbackrest.conf'
    conf.write_text('[global]\nrepo1-host=repo\n[global:archive-push]\nx=1\n[main]\npg1-path=/d\n# [commented]\n')
    (tmp_path / 'conf.d').mkdir()
    (tmp_path / 'conf.d' / 'extra.conf').write_text('[other]\npg1-path=/e\n[main]\n')
    (tmp_path / 'conf.d' / 'ignored.txt').write_text('[nope]\n')
    assert configured_stanzas(str(conf)) == ['main', 'other']
    assert configured_stanzas(str(tmp_path / 'elsewhere' / 'missing.conf')) == []
