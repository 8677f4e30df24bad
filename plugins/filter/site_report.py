# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn what playbooks/report.yml gathered on a site into its short report.

site_report(hosts, groups, options): the report as a dict, from
  hosts   - per inventory host, what the report's tasks read there (every key optional):
            server (the pgwarden.postgresql.server_info result), server_error (its message when it failed),
            patroni (patroni_info), backup (pgbackrest_info), backup_error, restore_test (the restore test's
            JSON status file, parsed), restore_test_file, services {unit: state} (service_facts),
            vars {pgbouncer_port, pgbouncer_databases, haproxy_rw_port, haproxy_ro_port}, unreachable;
  groups  - the inventory's groups (postgresql, patroni, pgbackrest_repo, pgbouncer, haproxy);
  options - now (epoch seconds), ca_file (the CA clients verify against), user, dbname,
            backup_max_age_hours, restore_test_max_age_days, lag_max_bytes.
site_report_text(report): the same as a short table (a list of lines).

Pure functions of plain data: tests/unit/test_site_report.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

DEFAULTS = dict(ca_file='/etc/postgresql/pgwarden-tls/ca.crt', user='<user>', dbname='postgres',
                backup_max_age_hours=26.0, restore_test_max_age_days=35.0, lag_max_bytes=16 * 1024 * 1024)
LOCAL_TYPES = ('local',)
REPLICA_ROLES = ('replica', 'sync_standby', 'standby_leader')


def _age(seconds):
    """A short human age: 42s, 5m, 3h, 2d."""
    if seconds is None:
        return '-'
    s = max(0, int(seconds))
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if s >= size * (2 if unit != 'm' else 1):
            return '%d%s' % (s // size, unit)
    return '%ds' % s


def _bytes(n):
    if n is None:
        return '-'
    n = float(n)
    for unit in ('B', 'kB', 'MB', 'GB'):
        if abs(n) < 1024 or unit == 'GB':
            return ('%d %s' % (n, unit)) if unit == 'B' else ('%.1f %s' % (n, unit))
        n /= 1024.0
    return '%.1f GB' % n  # pragma: no cover


def _epoch(iso):
    """Epoch seconds of an ISO 8601 time with offset (the restore test writes UTC with +00:00), or None."""
    if not iso:
        return None
    try:
        ts = datetime.datetime.strptime(str(iso).replace('Z', '+00:00')[:32], '%Y-%m-%dT%H:%M:%S.%f%z')
    except ValueError:
        try:
            ts = datetime.datetime.strptime(str(iso).replace('Z', '+00:00'), '%Y-%m-%dT%H:%M:%S%z')
        except ValueError:
            return None
    return (ts - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()


def is_loopback(rule):
    """A host rule that only this machine can use (127.0.0.0/8, ::1, samehost, localhost): no network, no TLS needed."""
    address = str(rule.get('address') or '')
    return address in ('samehost', 'localhost', '::1') or address.startswith('127.') or address.startswith('::1/')


def _hba_line(rule):
    return 'line %s: %s %s %s %s' % (rule.get('line_number'), rule.get('type'), ','.join(rule.get('database') or []),
                                     rule.get('address') or '', rule.get('auth_method'))


def tls_state(server):
    """TLS on a server: ssl on, and every pg_hba rule for a network connection (not loopback) is hostssl.

    Returns dict(on, ssl, min_protocol, hostssl, plain_network (the rules letting a network in without TLS),
    hba_known)."""
    settings = server.get('settings') or {}
    hba = server.get('hba')
    rules = [r for r in (hba or []) if not r.get('error')]
    hostssl = [r for r in rules if r.get('type') == 'hostssl']
    plain = [r for r in rules if r.get('type') in ('host', 'hostnossl') and r.get('auth_method') != 'reject'
             and not is_loopback(r)]
    ssl = settings.get('ssl') == 'on'
    return dict(on=ssl and hba is not None and not plain, ssl=ssl, min_protocol=settings.get('ssl_min_protocol_version'),
                hostssl=len(hostssl), hba_known=hba is not None,
                plain_network=[_hba_line(r) for r in plain])


def audit_state(server):
    """pgaudit loaded (shared_preload_libraries), logging something (pgaudit.log), the extension created."""
    settings = server.get('settings') or {}
    libs = [x.strip().strip('"') for x in (settings.get('shared_preload_libraries') or '').split(',')]
    loaded = 'pgaudit' in libs
    log = settings.get('pgaudit.log') if loaded else None
    classes = [c.strip() for c in (log or '').split(',') if c.strip() and c.strip() != 'none']
    return dict(on=loaded and bool(classes) and bool(server.get('pgaudit_extension')), loaded=loaded, log=classes,
                extension=server.get('pgaudit_extension'), role=settings.get('pgaudit.role') or None,
                log_connections=settings.get('log_connections') == 'on')


def _patroni(hosts, groups):
    """The first patroni_info result among the cluster's members, or None."""
    for name in groups.get('patroni') or []:
        info = (hosts.get(name) or {}).get('patroni')
        if info and info.get('members') is not None:
            return info
    return None


def members(hosts, groups, opts):
    """One row per database host: role, state, timeline, lag (from Patroni on a cluster, else from the server)."""
    info = _patroni(hosts, groups)
    by_name = dict((m.get('name'), m) for m in (info or {}).get('members') or [])
    rows = []
    for name in groups.get('postgresql') or []:
        h = hosts.get(name) or {}
        server = h.get('server') or {}
        row = dict(host=name, version=(server.get('version') or '').split(' ')[0] or None, role=None, state=None, timeline=None, lag_bytes=None,
                   lag_seconds=None, problem=None)
        if h.get('unreachable'):
            row.update(state='unreachable', problem='%s: unreachable' % name)
        m = by_name.get(name)
        if m is not None:
            row.update(role=m.get('role'), state=m.get('state'), timeline=m.get('timeline'), lag_bytes=m.get('lag'))
        elif name in (groups.get('patroni') or []):
            row.update(role='unknown', problem='%s: not a member of the Patroni cluster' % name if info else
                       'Patroni: no member answered')
        elif server:
            row.update(role='standby' if server.get('in_recovery') else 'primary', state='running')
        elif h.get('server_error'):
            row.update(state='down', problem='%s: %s' % (name, h['server_error']))
        items = ((server.get('replication') or {}).get('items') or [])
        if server.get('in_recovery') and items:
            row['lag_seconds'] = items[0].get('lag_seconds')
            if row['lag_bytes'] is None:
                row['lag_bytes'] = items[0].get('lag_bytes')
        if (row['role'] in REPLICA_ROLES or row['role'] == 'standby') and (row['lag_bytes'] or 0) > opts['lag_max_bytes']:
            row['problem'] = '%s: replication lag %s over %s' % (name, _bytes(row['lag_bytes']), _bytes(opts['lag_max_bytes']))
        if row['role'] in REPLICA_ROLES and row['state'] not in ('running', 'streaming'):
            row['problem'] = '%s: replica %s' % (name, row['state'])
        rows.append(row)
    leaders = [r['host'] for r in rows if r['role'] == 'leader']
    return rows, (leaders[0] if leaders else None), info is not None


def backup(hosts, groups, opts):
    """The newest backup as the host that holds the repositories sees it (the repository host, else the members)."""
    where = list(groups.get('pgbackrest_repo') or []) or list(groups.get('postgresql') or [])
    for name in where:
        h = hosts.get(name) or {}
        b = h.get('backup')
        if not b:
            continue
        newest = b.get('newest_backup') or {}
        age = b.get('newest_backup_age_seconds')
        repos = ['repo%s %s' % (r.get('key'), 'ok' if r.get('code') == 0 else (r.get('message') or 'error'))
                 for r in b.get('repositories') or []]
        ok = bool(newest) and age is not None and age <= opts['backup_max_age_hours'] * 3600
        return dict(host=name, exists=b.get('exists'), label=newest.get('label'), type=newest.get('type'),
                    finished=newest.get('finished'), age_seconds=age, repositories=repos,
                    count=len(b.get('backups') or []), ok=ok,
                    problem=None if ok else ('no backup' if not newest else 'newest backup is %s old' % _age(age)))
    errors = ['%s: %s' % (n, (hosts.get(n) or {}).get('backup_error')) for n in where if (hosts.get(n) or {}).get('backup_error')]
    return dict(host=where[0] if where else None, ok=False, label=None, age_seconds=None, repositories=[], count=0,
                problem='no pgBackRest information' + (' (%s)' % '; '.join(errors) if errors else ''))


def restore_test(hosts, groups, opts):
    """The restore test's status file, where the restore test runs (the repository host, else the members)."""
    where = list(groups.get('pgbackrest_repo') or []) or list(groups.get('postgresql') or [])
    found = []
    for name in where:
        st = (hosts.get(name) or {}).get('restore_test')
        if st:
            found.append((name, st))
    if not found:
        return dict(host=where[0] if where else None, result='never run', ok=False, age_seconds=None,
                    problem='no restore test has run yet (status file %s)' % (
                        ((hosts.get(where[0]) or {}).get('restore_test_file') if where else None) or '-'))
    name, st = max(found, key=lambda x: _epoch(x[1].get('finished_at')) or 0)
    finished = _epoch(st.get('finished_at'))
    age = None if finished is None else opts['now'] - finished
    result = st.get('result') or 'unknown'
    ok = result == 'passed' and age is not None and age <= opts['restore_test_max_age_days'] * 86400
    problem = None
    if result != 'passed':
        problem = 'restore test %s%s' % (result, ': %s' % st['error'] if st.get('error') else '')
    elif not ok:
        problem = 'last passing restore test is %s old' % _age(age)
    return dict(host=name, result=result, backup_label=st.get('backup_label'), finished_at=st.get('finished_at'),
                age_seconds=age, duration_seconds=st.get('duration_seconds'), within_rto=st.get('within_rto'),
                ok=ok, problem=problem)


def _dsn(host, port, opts, dbname=None):
    return ('postgresql://%s@%s:%s/%s?sslmode=verify-full&sslrootcert=%s'
            % (opts['user'], host, port, dbname or opts['dbname'], opts['ca_file']))


def connections(hosts, groups, opts, leader, clustered):
    """Where clients connect: the router's ports, the poolers, else the servers themselves."""
    out = []
    for name in groups.get('haproxy') or []:
        v = (hosts.get(name) or {}).get('vars') or {}
        state = ((hosts.get(name) or {}).get('services') or {}).get('haproxy')
        out.append(dict(kind='router read-write (leader)', host=name, service=state,
                        dsn=_dsn(name, v.get('haproxy_rw_port', 5000), opts)))
        out.append(dict(kind='router read-only (replicas)', host=name, service=state,
                        dsn=_dsn(name, v.get('haproxy_ro_port', 5001), opts)))
    for name in groups.get('pgbouncer') or []:
        v = (hosts.get(name) or {}).get('vars') or {}
        dbs = [d.get('name') for d in v.get('pgbouncer_databases') or [] if isinstance(d, dict) and d.get('name')]
        kind = 'pgbouncer' + (' (on the leader)' if clustered and name == leader else '')
        out.append(dict(kind=kind, host=name, service=((hosts.get(name) or {}).get('services') or {}).get('pgbouncer'),
                        dsn=_dsn(name, v.get('pgbouncer_port', 6432), opts, dbs[0] if dbs else None)))
    if not out:
        for name in groups.get('postgresql') or []:
            settings = ((hosts.get(name) or {}).get('server') or {}).get('settings') or {}
            out.append(dict(kind='direct', host=name, service=None, dsn=_dsn(name, settings.get('port', 5432), opts)))
    return out


def site_report(hosts, groups, options=None):
    hosts, groups = dict(hosts or {}), dict(groups or {})
    opts = dict(DEFAULTS)
    opts.update(dict((k, v) for k, v in (options or {}).items() if v not in (None, '')))
    opts['now'] = float(opts.get('now') or 0)
    rows, leader, clustered = members(hosts, groups, opts)
    tls, audit = {}, {}
    for name in groups.get('postgresql') or []:
        server = (hosts.get(name) or {}).get('server')
        if server:
            tls[name], audit[name] = tls_state(server), audit_state(server)
    report = dict(layout='cluster' if clustered or groups.get('patroni') else 'standalone', leader=leader,
                  members=rows, tls=tls, audit=audit, backup=backup(hosts, groups, opts),
                  restore_test=restore_test(hosts, groups, opts),
                  connections=connections(hosts, groups, opts, leader, clustered))
    problems = [r['problem'] for r in rows if r['problem']]
    if report['layout'] == 'cluster' and not leader:
        problems.append('the cluster has no leader')
    problems += ['%s: TLS off (%s)' % (n, 'ssl=%s' % ('on' if t['ssl'] else 'off') if not t['ssl'] else
                 'pg_hba not readable' if not t['hba_known'] else '; '.join(t['plain_network']))
                 for n, t in sorted(tls.items()) if not t['on']]
    problems += ['%s: audit off (%s)' % (n, 'pgaudit not loaded' if not a['loaded'] else 'pgaudit.log is none'
                                         if not a['log'] else 'pgaudit extension missing')
                 for n, a in sorted(audit.items()) if not a['on']]
    for part in ('backup', 'restore_test'):
        if report[part].get('problem'):
            problems.append(report[part]['problem'])
    problems += ['%s on %s: %s' % (c['kind'], c['host'], c['service']) for c in report['connections']
                 if c['service'] not in (None, 'running')]
    report['problems'] = problems
    report['ok'] = not problems
    return report


def _table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = '  '.join('%%-%ds' % w for w in widths)
    return [(fmt % tuple(header)).rstrip(), (fmt % tuple('-' * w for w in widths)).rstrip()] + \
        [(fmt % tuple(str(x) for x in r)).rstrip() for r in rows]


def site_report_text(report):
    lines = ['Site (%s)%s' % (report['layout'], ', leader %s' % report['leader'] if report.get('leader') else '')]
    rows = []
    for m in report['members']:
        t, a = report['tls'].get(m['host']), report['audit'].get(m['host'])
        rows.append([m['host'], m['role'] or '-', m['state'] or '-', m['version'] or '-',
                     '-' if m['timeline'] is None else m['timeline'],
                     '-' if m['role'] == 'leader' else _bytes(m['lag_bytes']),
                     '-' if t is None else ('on (%s, %d hostssl rules)' % (t['min_protocol'] or '?', t['hostssl']) if t['on']
                                            else 'OFF'),
                     '-' if a is None else ('on (%s)' % ','.join(a['log']) if a['on'] else 'OFF')])
    lines += _table(['host', 'role', 'state', 'version', 'TL', 'lag', 'TLS', 'audit'], rows)
    b, r = report['backup'], report['restore_test']
    if b.get('label'):
        lines.append('Last backup: %s (%s) on %s, %s ago; %d backups; %s' % (
            b['label'], b.get('type'), b['host'], _age(b['age_seconds']), b['count'], ', '.join(b['repositories']) or '-'))
    else:
        lines.append('Last backup: none (%s)' % b.get('problem'))
    if r.get('finished_at'):
        lines.append('Restore test: %s on %s, %s ago (backup %s, %s s%s)' % (
            r['result'], r['host'], _age(r['age_seconds']), r.get('backup_label'), r.get('duration_seconds'),
            '' if r.get('within_rto') is None else ', within RTO' if r['within_rto'] else ', OVER the RTO'))
    else:
        lines.append('Restore test: %s (on %s)' % (r['result'], r.get('host') or '-'))
    lines.append('Connect with:')
    lines += ['  %-28s %s%s' % (c['kind'], c['dsn'], '' if c['service'] in (None, 'running') else '  [%s]' % c['service'])
              for c in report['connections']]
    lines.append('Result: %s' % ('OK' if report['ok'] else 'PROBLEMS: ' + '; '.join(report['problems'])))
    return lines


class FilterModule(object):
    def filters(self):
        return dict(site_report=site_report, site_report_text=site_report_text)
