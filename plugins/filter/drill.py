# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn a failover drill's client records into its report (playbooks/failover_drill.yml).

drill_report(records, kill, check, target_seconds, synchronous): the report as a dict, from
  records - what the writer (roles/drill/files/pgwarden_drill_writer.py) saw: acks [[id, ts]],
            failures [[ts, error]], in_doubt [id];
  kill    - dict(ts=<time of the kill or the switchover request>, kind=, leader=, new_leader=, ...);
  check   - what the writer's check mode read on the new leader afterwards: present [id];
  target_seconds - the issue's target for this kind; synchronous - synchronous_mode was on.
drill_report_text(report): the same as a few readable lines.

Pure functions of plain data: tests/unit/test_drill_report.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# What each kind is judged on: host and postgres by the time from the kill until the first
# acknowledged write; switchover by how long writes were not acknowledged.
METRIC = dict(host='time_to_writable_s', postgres='time_to_writable_s', switchover='unavailable_s')


def _r(value):
    return None if value is None else round(value, 3)


def outage(acks, failures, since):
    """(first failure, last failure, last ack before the outage, first ack after it) from `since` on.

    The outage is every failed attempt at or after `since`; writes are back at the first
    acknowledgement after the last of them. Without failures after `since`, the first ack
    after `since` is the recovery and nothing was refused."""
    ack_ts = sorted(a[1] for a in acks)
    failed = sorted(f[0] for f in failures if f[0] >= since)
    if failed:
        first_fail, last_fail = failed[0], failed[-1]
        before = [ts for ts in ack_ts if ts < first_fail]
        after = [ts for ts in ack_ts if ts > last_fail]
    else:
        first_fail = last_fail = None
        before = [ts for ts in ack_ts if ts < since]
        after = [ts for ts in ack_ts if ts >= since]
    return first_fail, last_fail, (before[-1] if before else None), (after[0] if after else None)


def drill_report(records, kill, check, target_seconds=None, synchronous=False):
    kill = dict(kill or {})
    kind = kill.get('kind', 'host')
    kill_ts = float(kill['ts'])
    acks = [(int(i), float(ts)) for i, ts in records.get('acks', [])]
    failures = [(float(ts), err) for ts, err in records.get('failures', [])]
    acked = set(a[0] for a in acks)
    in_doubt = set(int(i) for i in records.get('in_doubt', []))
    present = set(int(i) for i in (check or {}).get('present', []))
    first_fail, last_fail, last_ok_before, first_ok_after = outage(acks, failures, kill_ts)
    lost = sorted(acked - present)
    errors = {}
    for ts, err in failures:
        if ts >= kill_ts:
            errors[err] = errors.get(err, 0) + 1
    report = dict(
        kind=kind, old_leader=kill.get('leader'), new_leader=kill.get('new_leader'),
        kill_ts=kill_ts, synchronous_mode=bool(synchronous),
        acked=len(acked), attempts_failed=len([f for f in failures if f[0] >= kill_ts]),
        first_failure_after_s=_r(first_fail - kill_ts) if first_fail is not None else None,
        time_to_writable_s=_r(first_ok_after - kill_ts) if first_ok_after is not None else None,
        unavailable_s=(_r(first_ok_after - last_ok_before)
                       if first_ok_after is not None and last_ok_before is not None else None),
        lost=len(lost), lost_ids=lost[:20],
        in_doubt=len(in_doubt), in_doubt_committed=len(in_doubt & present),
        unexpected_rows=len(present - acked - in_doubt),
        errors=sorted(([e, n] for e, n in errors.items()), key=lambda x: -x[1])[:5],
        rejoin=kill.get('rejoin'))
    metric = METRIC.get(kind, 'time_to_writable_s')
    value = report[metric]
    met = None if target_seconds is None else (value is not None and value <= float(target_seconds))
    report['target'] = dict(metric=metric, limit_s=target_seconds, value_s=value, met=met)
    problems = []
    if value is None:
        problems.append('writes never came back')
    elif met is False:
        problems.append('%s %.1f s is over the target %s s' % (metric, value, target_seconds))
    if synchronous and lost:
        problems.append('%d acknowledged commits lost with synchronous_mode on' % len(lost))
    if report['unexpected_rows']:
        problems.append('%d rows the client never wrote' % report['unexpected_rows'])
    report['problems'] = problems
    report['passed'] = not problems
    return report


def drill_report_text(report):
    t = report['target']
    lines = [
        'Failover drill (%s): leader %s killed, new leader %s' % (
            report['kind'], report.get('old_leader'), report.get('new_leader')),
        '  writable again after: %s s (first refused write after %s s)' % (
            report['time_to_writable_s'], report['first_failure_after_s']),
        '  writes not acknowledged for: %s s; %d attempts failed' % (report['unavailable_s'], report['attempts_failed']),
        '  acknowledged commits: %d, lost: %d%s; in doubt: %d (%d committed)' % (
            report['acked'], report['lost'], ' %s' % report['lost_ids'] if report['lost'] else '',
            report['in_doubt'], report['in_doubt_committed']),
        '  synchronous_mode: %s' % ('on' if report['synchronous_mode'] else 'off'),
        '  target: %s <= %s s: %s' % (t['metric'], t['limit_s'], {True: 'met', False: 'MISSED', None: 'n/a'}[t['met']]),
    ]
    if report.get('rejoin'):
        lines.append('  old leader back: %s' % ', '.join('%s=%s' % kv for kv in sorted(report['rejoin'].items())))
    lines.append('  result: %s' % ('PASSED' if report['passed'] else 'FAILED: ' + '; '.join(report['problems'])))
    return '\n'.join(lines)


class FilterModule(object):
    def filters(self):
        return dict(drill_report=drill_report, drill_report_text=drill_report_text)
