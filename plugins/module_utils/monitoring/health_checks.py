# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health checks: thresholds and the pure evaluation of collected facts.

One definition for the health_info module and the on-host checker installed by the
monitoring role (which copies this file and health_collect.py next to it). Standard
library only: no Ansible import here, so the checker runs it as is.

evaluate_all(raw, thresholds, now) turns what health_collect gathered into one result
per check: {name, status, value, unit, threshold, message, items}.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import math
import re

OK, WARNING, CRITICAL, UNKNOWN = 'ok', 'warning', 'critical', 'unknown'
SEVERITY = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}

DEFAULT_THRESHOLDS = dict(
    connections_warning_percent=80.0, connections_critical_percent=95.0,
    disk_warning_percent=80.0, disk_critical_percent=90.0,
    long_query_warning_seconds=300.0, long_query_critical_seconds=1800.0,
    idle_in_transaction_warning_seconds=60.0, idle_in_transaction_critical_seconds=600.0,
    replication_lag_warning_seconds=30.0, replication_lag_critical_seconds=300.0,
    replication_lag_warning_bytes=67108864.0, replication_lag_critical_bytes=1073741824.0,
    slot_retained_warning_bytes=1073741824.0, slot_retained_critical_bytes=10737418240.0,
    # On a primary: fewer replicas streaming than this is critical (a stopped replica). 0: not checked.
    replication_min_replicas=0.0,
    wraparound_warning_age=1000000000.0, wraparound_critical_age=1500000000.0,
    bloat_min_bytes=10485760.0,
    table_bloat_warning_percent=40.0, table_bloat_critical_percent=70.0,
    index_bloat_warning_percent=50.0, index_bloat_critical_percent=80.0,
    unused_index_min_bytes=1048576.0,
    dead_tuples_min=10000.0, dead_tuples_warning_percent=20.0, dead_tuples_critical_percent=50.0,
    backup_age_warning_hours=26.0, backup_age_critical_hours=50.0,
    # Age of the oldest WAL segment waiting for archive_command: the RPO (pgbackrest_rpo_seconds), 3 x RPO.
    archive_lag_warning_seconds=300.0, archive_lag_critical_seconds=900.0,
    # restore_test_*_days: derived from the restore test's schedule, see restore_test_thresholds().
)

# The restore test's default schedule (the pgbackrest role's pgbackrest_restore_test_schedule): monthly.
RESTORE_TEST_SCHEDULE = '*-*-01 04:00:00'
_SHORTHAND_DAYS = dict(minutely=1, hourly=1, daily=1, weekly=7, monthly=31, quarterly=92, semiannually=184,
                       yearly=366, annually=366)


def schedule_interval_days(spec):
    """Longest gap in days between two runs of a systemd OnCalendar expression (an upper bound).

    Understands the shorthands (daily, weekly, monthly...) and `[weekdays] [[Y-]M-D] [time]`;
    sub-daily schedules count as one day. Anything else raises ValueError naming the option.
    """
    text = str(spec or '').strip().lower()
    if text in _SHORTHAND_DAYS:
        return _SHORTHAND_DAYS[text]
    parts = text.split()
    weekdays = parts.pop(0) if parts and re.match(r'^[a-z]{3}', parts[0]) else None
    date = parts.pop(0) if parts and '-' in parts[0] else '*-*-*'
    time_of_day = [x for x in parts if ':' in x]
    if len(time_of_day) > 1 or len(parts) - len(time_of_day) > 1:
        raise ValueError('restore_test_schedule: cannot read %r as a systemd OnCalendar expression' % spec)
    fields = date.split('-')
    if len(fields) == 2:
        fields.insert(0, '*')
    if len(fields) != 3 or not all(re.match(r'^[0-9*,./~]+$', f) for f in fields):
        raise ValueError('restore_test_schedule: cannot read the date of %r (want [Y-]M-D)' % spec)
    year, month, day = fields
    if day == '*':
        return 7 if weekdays else 1
    if month == '*':
        days = 31
    elif '/' in month:
        days = 31 * int(month.split('/')[1] or 1)
    elif ',' in month:
        days = int(math.ceil(366.0 / len(month.split(','))))
    else:
        days = 366
    if '/' in year:
        days = max(days, 366 * int(year.split('/')[1] or 1))
    return days


def restore_test_thresholds(schedule=RESTORE_TEST_SCHEDULE):
    """Warning and critical age of the last passing restore test for a schedule, in days.

    Warning: the next run is overdue (the interval plus an eighth of it, at least a day, for
    a run that is late or slow); critical: two runs missed. Monthly gives 35 and 66 days,
    weekly 8 and 15, daily 2 and 3.
    """
    interval = schedule_interval_days(schedule)
    slack = max(1.0, interval / 8.0)
    return dict(restore_test_warning_days=float(math.ceil(interval + slack)),
                restore_test_critical_days=float(math.ceil(2 * interval + slack)))


DEFAULT_THRESHOLDS.update(restore_test_thresholds())

# Checks that run once per server, then those that run in every database.
SERVER_CHECKS = ('connections', 'disk', 'long_running_queries', 'idle_in_transaction', 'replication_lag',
                 'replication_slots', 'wraparound', 'wal_archiving', 'backup_age', 'restore_test', 'top_statements')
DATABASE_CHECKS = ('table_bloat', 'index_bloat', 'unused_indexes', 'invalid_indexes', 'duplicate_indexes',
                   'dead_tuples')
CHECKS = SERVER_CHECKS + DATABASE_CHECKS
PASSED_RESULTS = ('passed', 'pass', 'ok', 'success', 'succeeded')


def thresholds_with_defaults(given, restore_test_schedule=None):
    """DEFAULT_THRESHOLDS overridden by the given values; unknown keys and bad values raise ValueError.

    With restore_test_schedule, the restore test thresholds not given are derived from it.
    """
    merged = dict(DEFAULT_THRESHOLDS)
    if restore_test_schedule:
        merged.update(restore_test_thresholds(restore_test_schedule))
    for key, value in (given or {}).items():
        if value is None:
            continue
        if key not in DEFAULT_THRESHOLDS:
            raise ValueError('thresholds: unknown threshold %r (known: %s)' % (key, ', '.join(sorted(DEFAULT_THRESHOLDS))))
        try:
            merged[key] = float(value)
        except (TypeError, ValueError):
            raise ValueError('thresholds.%s: %r is not a number' % (key, value))
        if merged[key] < 0:
            raise ValueError('thresholds.%s: must not be negative, got %r' % (key, value))
    for key in sorted(merged):
        crit = key.replace('_warning_', '_critical_')
        if crit != key and crit in merged and merged[crit] < merged[key]:
            raise ValueError('thresholds.%s: %s is below the warning threshold %s (%s)'
                             % (crit, merged[crit], key, merged[key]))
    return merged


def grade(value, warning, critical):
    """ok/warning/critical of a value against two thresholds (reached means raised)."""
    if value is None:
        return UNKNOWN
    if critical is not None and value >= critical:
        return CRITICAL
    if warning is not None and value >= warning:
        return WARNING
    return OK


def worst(statuses):
    """The most severe status; unknown only when nothing else is known."""
    known = [s for s in statuses if s != UNKNOWN]
    if known:
        return max(known, key=SEVERITY.get)
    return UNKNOWN if statuses else OK


def _result(name, status, value, unit, threshold, message, items=None):
    return dict(name=name, status=status, value=value, unit=unit, threshold=threshold, message=message,
                items=items or [])


def _pair(t, prefix):
    return dict(warning=t[prefix.replace('%', 'warning')], critical=t[prefix.replace('%', 'critical')])


def _unknown(name, raw, unit=None):
    return _result(name, UNKNOWN, None, unit, None, raw.get('error') or 'not measured')


def _graded_list(name, raw, t, prefix, key, unit, what):
    """Items over the warning threshold of `key`; value = the largest, 0 when none."""
    thr = _pair(t, prefix)
    items = sorted(raw.get('items', []), key=lambda i: -(i.get(key) or 0))
    flagged = [i for i in items if grade(i.get(key), thr['warning'], thr['critical']) != OK]
    value = items[0][key] if items else 0
    status = grade(value, thr['warning'], thr['critical'])
    msg = '%d %s over %s %s' % (len(flagged), what, thr['warning'], unit) if flagged else 'no %s over %s %s' % (
        what, thr['warning'], unit)
    return _result(name, status, value, unit, thr, msg, flagged)


def eval_connections(raw, t):
    thr = _pair(t, 'connections_%_percent')
    available = raw['max_connections'] - raw['superuser_reserved'] - raw.get('reserved', 0)
    value = round(100.0 * raw['used'] / max(available, 1), 2)
    return _result('connections', grade(value, thr['warning'], thr['critical']), value, 'percent', thr,
                   '%d of %d connections available to ordinary roles in use' % (raw['used'], available),
                   [dict(used=raw['used'], available=available, max_connections=raw['max_connections'])])


def eval_disk(raw, t):
    thr = _pair(t, 'disk_%_percent')
    items = raw['items']
    for i in items:
        i['status'] = grade(i['used_percent'], thr['warning'], thr['critical'])
    value = max(i['used_percent'] for i in items)
    return _result('disk', worst([i['status'] for i in items]), value, 'percent', thr,
                   ', '.join('%s %s%% used' % (i['name'], i['used_percent']) for i in items), items)


def eval_replication_lag(raw, t):
    sec, byt = _pair(t, 'replication_lag_%_seconds'), _pair(t, 'replication_lag_%_bytes')
    items = raw['items']
    for i in items:
        i['status'] = worst([grade(i.get('lag_seconds'), sec['warning'], sec['critical']),
                             grade(i.get('lag_bytes'), byt['warning'], byt['critical'])])
    value = max([i.get('lag_seconds') or 0 for i in items] or [0])
    status = worst([i['status'] for i in items]) if items else OK
    where = 'standby' if raw.get('in_recovery') else 'primary'
    message = '%s, %d replica(s)' % (where, len(items)) if where == 'primary' else 'standby replay lag'
    expected = int(t.get('replication_min_replicas') or 0)
    if where == 'primary' and expected:
        streaming = len([i for i in items if i.get('state') == 'streaming'])
        if streaming < expected:
            status = CRITICAL
            message = 'primary, %d replica(s) streaming, %d expected' % (streaming, expected)
    return _result('replication_lag', status, value, 'seconds', dict(seconds=sec, bytes=byt, min_replicas=expected),
                   message, items)


def _epoch(value):
    """Seconds since the epoch from a number or an ISO 8601 string (Z or offset; naive = UTC)."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace('Z', '+00:00')
    dt = datetime.datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def eval_backup_age(raw, t, now):
    thr = _pair(t, 'backup_age_%_hours')
    stanzas = raw['items']
    if not stanzas:
        return _result('backup_age', UNKNOWN, None, 'hours', thr, 'pgBackRest reports no stanza')
    for s in stanzas:
        s['age_hours'] = round((now - s['newest_stop']) / 3600.0, 2) if s.get('newest_stop') else None
        s['status'] = grade(s['age_hours'], thr['warning'], thr['critical']) if s['age_hours'] is not None else CRITICAL
    value = max(s['age_hours'] if s['age_hours'] is not None else float('inf') for s in stanzas)
    value = None if value == float('inf') else value
    status = worst([s['status'] for s in stanzas])
    msg = ('newest successful backup %s hours old' % value) if value is not None else 'a stanza has no successful backup'
    return _result('backup_age', status, value, 'hours', thr, msg, stanzas)


def eval_restore_test(raw, t, now):
    thr = _pair(t, 'restore_test_%_days')
    doc = raw['status']
    try:
        finished = _epoch(doc['finished_at'])
    except (KeyError, TypeError, ValueError, IndexError):
        return _result('restore_test', UNKNOWN, None, 'days', thr,
                       '%s has no valid finished_at' % raw.get('path'), [doc])
    age = round((now - finished) / 86400.0, 3)
    item = dict(doc, age_days=age)
    if str(doc.get('result', '')).lower() not in PASSED_RESULTS:
        return _result('restore_test', CRITICAL, age, 'days', thr,
                       'the last restore test did not pass (result %r)' % doc.get('result'), [item])
    return _result('restore_test', grade(age, thr['warning'], thr['critical']), age, 'days', thr,
                   'last restore test passed %s days ago' % age, [item])


def eval_wal_archiving(raw, t):
    """pg_stat_archiver: failing now (last_failed newer than last_archived) is critical; the
    age of the oldest segment waiting to be archived is graded against the RPO thresholds."""
    thr = _pair(t, 'archive_lag_%_seconds')
    item = dict(raw)
    if raw.get('archive_mode') == 'off':
        return _result('wal_archiving', OK, 0, 'seconds', thr, 'archive_mode is off: no WAL archiving to watch', [item])
    if raw.get('in_recovery') and raw.get('archive_mode') != 'always':
        return _result('wal_archiving', OK, 0, 'seconds', thr, 'standby: the primary archives the WAL', [item])
    pending = raw.get('ready_count') or 0
    since = raw.get('last_archived_time') or raw.get('archiving_since')
    lag = round(max(raw['now'] - since, 0.0), 3) if pending and since else 0.0
    item.update(lag_seconds=lag)
    failed, archived = raw.get('last_failed_time'), raw.get('last_archived_time')
    failing = bool(failed) and (not archived or failed > archived)
    status = grade(lag, thr['warning'], thr['critical'])
    msg = '%d WAL segment(s) waiting to be archived, the oldest for %s seconds' % (pending, lag) if pending \
        else 'every completed WAL segment is archived'
    if failing:
        status = CRITICAL
        msg = 'archive_command is failing (%d failures since %s; last failed %s, last archived %s); %s' % (
            raw.get('failed_count') or 0, raw.get('stats_reset') or 'the last statistics reset',
            raw.get('last_failed_wal'), raw.get('last_archived_wal'), msg)
    return _result('wal_archiving', status, lag, 'seconds', thr, msg, [item])


def eval_top_statements(raw, t):
    return _result('top_statements', OK, len(raw['items']), 'statements', None,
                   'top statements by total execution time', raw['items'])


def eval_count(name, raw, what, status=WARNING):
    items = raw['items']
    return _result(name, status if items else OK, len(items), 'count', None,
                   '%d %s' % (len(items), what), items)


def eval_dead_tuples(raw, t):
    thr = _pair(t, 'dead_tuples_%_percent')
    for i in raw['items']:
        enough = (i.get('n_dead_tup') or 0) >= t['dead_tuples_min']
        i['status'] = grade(i['dead_percent'], thr['warning'], thr['critical']) if enough else OK
    flagged = [i for i in raw['items'] if i['status'] != OK]
    value = max([i['dead_percent'] for i in flagged] or [0])
    status = worst([i['status'] for i in flagged]) if flagged else OK
    thr['min_dead_tuples'] = t['dead_tuples_min']
    return _result('dead_tuples', status, value, 'percent', thr,
                   '%d table(s) with more than %d dead tuples and over %s%% dead'
                   % (len(flagged), t['dead_tuples_min'], thr['warning']), raw['items'])


def evaluate(name, raw, t, now):
    """The result of one check from its raw facts (a dict, or one holding `error`)."""
    if raw is None or raw.get('error'):
        return _unknown(name, raw or {})
    if name == 'connections':
        return eval_connections(raw, t)
    if name == 'disk':
        return eval_disk(raw, t)
    if name == 'long_running_queries':
        return _graded_list(name, raw, t, 'long_query_%_seconds', 'seconds', 'seconds', 'queries running')
    if name == 'idle_in_transaction':
        return _graded_list(name, raw, t, 'idle_in_transaction_%_seconds', 'seconds', 'seconds',
                            'sessions idle in transaction')
    if name == 'replication_lag':
        return eval_replication_lag(raw, t)
    if name == 'replication_slots':
        return _graded_list(name, raw, t, 'slot_retained_%_bytes', 'retained_bytes', 'bytes', 'slots retaining')
    if name == 'wraparound':
        return _graded_list(name, raw, t, 'wraparound_%_age', 'age', 'transactions', 'databases with xid age')
    if name in ('table_bloat', 'index_bloat'):
        res = _graded_list(name, raw, t, name + '_%_percent', 'bloat_percent', 'percent',
                           'relations bloated')
        res['threshold']['min_bytes'] = t['bloat_min_bytes']
        return res
    if name == 'unused_indexes':
        res = eval_count(name, raw, 'indexes never scanned since the statistics were reset')
        res['threshold'] = dict(min_bytes=t['unused_index_min_bytes'])
        return res
    if name == 'invalid_indexes':
        return eval_count(name, raw, 'invalid indexes (a failed CREATE INDEX CONCURRENTLY)')
    if name == 'duplicate_indexes':
        return eval_count(name, raw, 'sets of duplicate indexes')
    if name == 'dead_tuples':
        return eval_dead_tuples(raw, t)
    if name == 'wal_archiving':
        return eval_wal_archiving(raw, t)
    if name == 'backup_age':
        return eval_backup_age(raw, t, now)
    if name == 'restore_test':
        return eval_restore_test(raw, t, now)
    if name == 'top_statements':
        return eval_top_statements(raw, t)
    raise ValueError('unknown check %r' % name)


def evaluate_all(raw, thresholds, now):
    """{name: result} for every collected check, and the overall status."""
    t = thresholds_with_defaults(thresholds)
    results = dict((name, evaluate(name, raw[name], t, now)) for name in CHECKS if name in raw)
    return results, worst([r['status'] for r in results.values() if r['status'] != UNKNOWN] or [OK])
