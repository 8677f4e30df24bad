# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit findings on operations: WAL archiving, backups, restore tests, replication, pooling (pure)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring.health_checks import PASSED_RESULTS, _epoch

FIX = dict(
    archiving='pgbackrest role: sets archive_mode = on and archive_command = pgbackrest archive-push for '
              'pgbackrest_stanza (continuous WAL archiving for point-in-time restore)',
    archiver='read the archiver error in the server log and `pgbackrest check --stanza=...`; the pgbackrest '
             'role configures archive_command, docs/backup.md',
    backup='pgbackrest role: pgbackrest_schedule_full / pgbackrest_schedule_diff with pgbackrest_timers_enabled; '
           'playbooks/backup.yml takes one now',
    cipher='pgbackrest role: pgbackrest_cipher_type aes-256-cbc with pgbackrest_cipher_pass (a new repository: '
           'encryption cannot be turned on for an existing one)',
    restore='pgbackrest role: pgbackrest_restore_test_enabled with pgbackrest_restore_test_schedule; '
            'playbooks/restore_drill.yml runs one now and measures the RTO',
    replica='add a streaming replica (playbooks/site.yml cluster groups), then prove failover with a drill '
            '(docs/runbooks/failover.md)',
    lag='docs/runbooks/replica-lag.md; the monitoring role alerts on monitoring_thresholds '
        'replication_lag_warning_seconds',
    slot='bring the slot\'s consumer back or drop the slot (SELECT pg_drop_replication_slot(...)); '
         'docs/runbooks/replica-lag.md',
    pooler='put PgBouncer in front (transaction pooling) and lower max_connections; '
           'docs/runbooks/connection-exhaustion.md',
)


def _f(fid, severity, subject, title, evidence, fix):
    return dict(id=fid, severity=severity, subject=subject, title=title, evidence=evidence, fix=fix)


def archiving_enabled(settings):
    if settings.get('archive_mode') not in ('on', 'always'):
        return False
    return bool(settings.get('archive_library')) or settings.get('archive_command') not in (None, '', '(disabled)')


def archive_findings(snap):
    s = snap['settings']
    if not archiving_enabled(s):
        return [_f('archiving_off', 'medium', 'archive_mode', 'no continuous WAL archiving (no point-in-time restore)',
                   "archive_mode = %s, archive_command = '%s'%s" % (
                       s.get('archive_mode'), s.get('archive_command', ''),
                       (", archive_library = '%s'" % s['archive_library']) if s.get('archive_library') else ''),
                   FIX['archiving'])]
    a = snap.get('archiver') or {}
    failed_at, archived_at = a.get('last_failed_time'), a.get('last_archived_time')
    if a.get('failed_count') and failed_at and (not archived_at or _epoch(failed_at) > _epoch(archived_at)):
        return [_f('archiver_failing', 'high', 'pg_stat_archiver', 'WAL archiving is failing',
                   'pg_stat_archiver: %s failures, last %s at %s; last success %s' % (
                       a['failed_count'], a.get('last_failed_wal'), failed_at, archived_at or 'never'), FIX['archiver'])]
    return []


def backup_findings(snap, o, now):
    out = []
    info = snap.get('pgbackrest') or {}
    stanzas = info.get('items') or []
    if not stanzas:
        return [_f('backup_not_found', 'medium', 'pgbackrest', 'no pgBackRest backup visible from this host',
                   info.get('error') or 'pgbackrest info lists no stanza', FIX['backup'])]
    for s in stanzas:
        name = s.get('stanza')
        stop = s.get('newest_stop')
        age = round((now - stop) / 3600.0, 1) if stop else None
        if age is None or age > o['rpo_hours']:
            out.append(_f('backup_older_than_rpo', 'high', 'stanza %s' % name, 'no backup newer than the RPO',
                          'stanza %s: newest successful backup %s (RPO %s hours)' % (
                              name, ('%s hours old (%s)' % (age, s.get('newest_label'))) if age is not None else 'none',
                              o['rpo_hours']), FIX['backup']))
        if s.get('cipher') in ('none', None) and s.get('cipher_known', True):
            out.append(_f('repository_unencrypted', 'medium', 'stanza %s' % name, 'backup repository is not encrypted',
                          'stanza %s: cipher %s' % (name, s.get('cipher') or 'none'), FIX['cipher']))
    return out


def restore_outcome(snap, o, now):
    """(passed, age_days, status doc, reason) of the last restore test."""
    got = snap.get('restore_test') or {}
    doc = got.get('status')
    if not isinstance(doc, dict):
        return None, None, None, got.get('error') or 'no restore test status'
    try:
        age = round((now - _epoch(doc['finished_at'])) / 86400.0, 1)
    except (KeyError, TypeError, ValueError):
        return False, None, doc, '%s has no valid finished_at' % got.get('path')
    passed = str(doc.get('result', '')).lower() in PASSED_RESULTS
    if not passed:
        return False, age, doc, 'the last restore test did not pass (result %r, %s days ago)' % (doc.get('result'), age)
    if age > o['restore_test_max_days']:
        return False, age, doc, 'the last passing restore test is %s days old (limit %s)' % (age, o['restore_test_max_days'])
    return True, age, doc, 'passed %s days ago' % age


def restore_findings(snap, o, now):
    passed, _age, _doc, reason = restore_outcome(snap, o, now)
    if passed is None:
        return [_f('restore_test_missing', 'low', 'restore test', 'no restore test status on this host',
                   reason, FIX['restore'])]
    if not passed:
        return [_f('restore_test_failing', 'high', 'restore test', 'no passing restore test in %s days'
                   % int(o['restore_test_max_days']), '%s: %s' % ((snap.get('restore_test') or {}).get('path'), reason),
                   FIX['restore'])]
    return []


def replication_findings(snap, o):
    rep = snap.get('replication') or {}
    items = rep.get('items') or []
    out = []
    if not rep.get('in_recovery') and not items:
        out.append(_f('replication_none', 'low', 'pg_stat_replication', 'no replica', 'primary with no streaming replica '
                      'connected', FIX['replica']))
    for i in items:
        lag = i.get('lag_seconds') or 0
        if lag > o['replication_lag_max_seconds']:
            out.append(_f('replication_lag', 'medium', i.get('name') or 'replay', 'replication lag over the limit',
                          '%s: %s s behind, %s bytes (limit %s s)' % (i.get('name'), round(lag, 1), i.get('lag_bytes'),
                                                                      o['replication_lag_max_seconds']), FIX['lag']))
    for s in snap.get('slots') or []:
        if s.get('active') or not s.get('retained_bytes'):
            continue
        big = s['retained_bytes'] > o['slot_retained_max_bytes']
        out.append(_f('slot_inactive_retaining_wal', 'medium' if big else 'low', s['slot_name'],
                      'inactive replication slot retaining WAL', 'slot %s (%s): inactive, retains %d bytes of WAL'
                      % (s['slot_name'], s.get('slot_type'), s['retained_bytes']), FIX['slot']))
    return out


def connection_percent(c):
    usable = max(c['max_connections'] - c.get('superuser_reserved', 0) - c.get('reserved', 0), 1)
    return round(100.0 * c['used'] / usable, 1)


def pooling_findings(snap, o):
    c = snap.get('connections')
    if not c:
        return []
    pct = connection_percent(c)
    if pct >= o['connections_warning_percent'] and not snap.get('pooler'):
        return [_f('connections_near_max_no_pooler', 'medium', 'max_connections', 'connections near max_connections '
                   'and no pooler in front', '%d client connections of %d usable (%s%%), no pooler found' % (
                       c['used'], c['max_connections'] - c.get('superuser_reserved', 0) - c.get('reserved', 0), pct),
                   FIX['pooler'])]
    return []


def ops_findings(snap, o, now):
    return (archive_findings(snap) + backup_findings(snap, o, now) + restore_findings(snap, o, now)
            + replication_findings(snap, o) + pooling_findings(snap, o))
