# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planners for pgBackRest: from `pgbackrest info --output=json` (plain dicts) to commands.

Nothing here runs a command or touches a file: modules read, these functions decide,
the runner executes. A plan is a list of (command, [arguments]) tuples.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

# pgBackRest info status codes (doc: "info" command, status).
OK, MISSING_PATH, NO_BACKUPS, MISSING_DATA = 0, 1, 2, 3
BACKUP_RANK = dict(full=3, diff=2, incr=1)
TARGET_TYPES = ('time', 'lsn', 'xid', 'name')
_UNITS = dict(s=1, m=60, h=3600, d=86400, w=604800)


def stanza_entry(info, stanza):
    """The entry of `stanza` in the info JSON list, or None."""
    for entry in info or []:
        if entry.get('name') == stanza:
            return entry
    return None


def _code(status):
    return (status or {}).get('code')


def stanza_state(entry, cluster=None):
    """(state, message): state is missing, healthy, needs-upgrade or error.

    `cluster` is dict(version='15', system_id=123) read from the data directory, or None
    when unknown (then a version or system change cannot be detected).
    """
    if entry is None:
        return 'missing', 'no such stanza'
    repos = entry.get('repo') or []
    codes = [_code(r.get('status')) for r in repos] or [_code(entry.get('status'))]
    if any(c in (MISSING_PATH, MISSING_DATA) for c in codes):
        return 'missing', entry['status'].get('message', '')
    bad = [c for c in codes if c not in (OK, NO_BACKUPS)]
    if bad:
        messages = [r['status'].get('message', '') for r in repos if _code(r.get('status')) in bad]
        return 'error', '; '.join(messages) or entry['status'].get('message', '')
    if cluster:
        db = current_db(entry)
        if db is not None:
            if cluster.get('version') and str(db.get('version')) != str(cluster['version']):
                return 'needs-upgrade', 'stanza is for PostgreSQL %s, the cluster is %s' % (db.get('version'), cluster['version'])
            if cluster.get('system_id') and db.get('system-id') != cluster['system_id']:
                return 'needs-upgrade', 'stanza system-id %s differs from the cluster\'s %s' % (db.get('system-id'), cluster['system_id'])
    return 'healthy', entry['status'].get('message', '')


def current_db(entry):
    dbs = entry.get('db') or []
    return max(dbs, key=lambda d: d.get('id', 0)) if dbs else None


def plan_stanza(state, message, desired, online=True, check=True, force=False):
    """(changes, checks): the commands that change the repository, then the verification ones."""
    if desired == 'absent':
        if state == 'missing':
            return [], []
        return [('stop', []), ('stanza-delete', ['--force'] if force else []), ('start', [])], []
    if state == 'error':
        raise PlanError('stanza', 'the repository reports a problem pgBackRest will not repair by itself: %s' % message)
    flags = [] if online else ['--no-online']
    checks = [('check', [])] if check and online else []
    if state == 'missing':
        return [('stanza-create', flags)], checks
    if state == 'needs-upgrade':
        return [('stanza-upgrade', flags)], checks
    return [], checks


def parse_duration(option, value):
    """Seconds in '90', '90s', '30m', '12h', '7d' or '2w'; None stays None."""
    if value is None or value == '':
        return None
    m = re.match(r'^\s*(\d+)\s*([smhdw]?)\s*$', str(value))
    if not m:
        raise PlanError(option, '%r is not a duration such as 3600, 30m, 12h, 7d or 2w' % value)
    return int(m.group(1)) * _UNITS[m.group(2) or 's']


def backups(entry):
    return list((entry or {}).get('backup') or [])


def newest(entry, types=('full', 'diff', 'incr')):
    found = [b for b in backups(entry) if b.get('type') in types and not b.get('error')]
    return max(found, key=lambda b: b['timestamp']['stop']) if found else None


def plan_backup(entry, backup_type, max_age, now, start_fast=True):
    """(args, reason): args for `backup`, or None and why no backup is needed.

    The start-fast choice is always explicit (C(--start-fast) or C(--no-start-fast)), so it
    wins over a C(start-fast) line in pgbackrest.conf.

    A backup of the requested type, or a stronger one (full > diff > incr), that finished
    less than `max_age` seconds ago makes a new one unnecessary.
    """
    if max_age is not None:
        types = [t for t, rank in BACKUP_RANK.items() if rank >= BACKUP_RANK[backup_type]]
        recent = newest(entry, types)
        if recent is not None and now - recent['timestamp']['stop'] < max_age:
            return None, 'backup %s (%s) finished %d s ago, within max_age' % (
                recent['label'], recent['type'], now - recent['timestamp']['stop'])
    return ['--start-fast' if start_fast else '--no-start-fast', '--type=%s' % backup_type], None


def summarize(backup):
    """The facts a module returns about one backup of the info JSON."""
    info, ts = backup.get('info') or {}, backup.get('timestamp') or {}
    archive, lsn = backup.get('archive') or {}, backup.get('lsn') or {}
    return dict(
        label=backup.get('label'), type=backup.get('type'), prior=backup.get('prior'),
        size=info.get('size'), delta=info.get('delta'),
        repository_size=(info.get('repository') or {}).get('size'),
        repository_delta=(info.get('repository') or {}).get('delta'),
        wal_start=archive.get('start'), wal_stop=archive.get('stop'),
        lsn_start=lsn.get('start'), lsn_stop=lsn.get('stop'),
        started=ts.get('start'), finished=ts.get('stop'),
        duration_seconds=(ts['stop'] - ts['start']) if ts.get('start') is not None and ts.get('stop') is not None else None,
        error=backup.get('error', False))


def new_backup(before, after):
    """The backup present in `after` but not in `before` (the one just taken), or None."""
    labels = set(b['label'] for b in backups(before))
    fresh = [b for b in backups(after) if b['label'] not in labels]
    return max(fresh, key=lambda b: b['timestamp']['stop']) if fresh else None


def info_facts(entry, now):
    """Facts of pgbackrest_info for one stanza entry."""
    if entry is None:
        return dict(exists=False, status=None, backups=[], wal=[], repositories=[], newest_backup=None,
                    newest_backup_age_seconds=None, newest_full_age_seconds=None)
    newest_any, newest_full = newest(entry), newest(entry, ('full',))
    return dict(
        exists=_code(entry.get('status')) not in (MISSING_PATH, MISSING_DATA),
        status=dict(code=_code(entry.get('status')), message=(entry.get('status') or {}).get('message')),
        cipher=entry.get('cipher'),
        backups=[summarize(b) for b in backups(entry)],
        wal=[dict(id=a.get('id'), min=a.get('min'), max=a.get('max')) for a in entry.get('archive') or []],
        repositories=[dict(key=r.get('key'), cipher=r.get('cipher'), code=_code(r.get('status')),
                           message=(r.get('status') or {}).get('message')) for r in entry.get('repo') or []],
        database=current_db(entry),
        newest_backup=summarize(newest_any) if newest_any else None,
        newest_backup_age_seconds=(now - newest_any['timestamp']['stop']) if newest_any else None,
        newest_full_age_seconds=(now - newest_full['timestamp']['stop']) if newest_full else None)


_TARGET_FORMAT = dict(
    time=(re.compile(r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*([+-]\d{1,2}(:?\d{2})?|Z|UTC|[A-Za-z_/]+)?$'),
          'a timestamp such as 2026-01-31 12:00:00+00'),
    lsn=(re.compile(r'^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$'), 'an LSN such as 0/3000028'),
    xid=(re.compile(r'^\d+$'), 'a transaction id (digits)'),
    name=(re.compile(r'^.+$'), 'a restore point name'),
)


def plan_restore(params, target_dir):
    """Arguments of `restore`, or PlanError before anything runs.

    params: the module's options; target_dir: data_dir_state() of params['data_dir'].
    """
    data_dir, ttype, target = params['data_dir'], params['target_type'], params.get('target')
    if not data_dir or not data_dir.startswith('/'):
        raise PlanError('data_dir', 'must be an absolute path, got %r' % data_dir)
    if ttype == 'time' and target:
        # ISO 8601 as YAML and Python print it; pgBackRest selects the backup set only from 'date time+tz'
        target = re.sub(r'^(\d{4}-\d{2}-\d{2})T', r'\1 ', str(target).strip())
        target = re.sub(r'Z$', '+00', target)
    if ttype in TARGET_TYPES:
        if target in (None, ''):
            raise PlanError('target', 'target_type=%s needs a target (%s)' % (ttype, _TARGET_FORMAT[ttype][1]))
        pattern, what = _TARGET_FORMAT[ttype]
        if not pattern.match(str(target)):
            raise PlanError('target', '%r is not %s' % (target, what))
    elif target not in (None, ''):
        raise PlanError('target', 'only used with target_type time, lsn, xid or name (target_type is %s)' % ttype)
    if params.get('target_action') and ttype == 'default':
        raise PlanError('target_action', 'needs a recovery target: set target_type (immediate, time, lsn, xid or name)')
    if params.get('target_exclusive') and ttype not in ('time', 'lsn', 'xid'):
        raise PlanError('target_exclusive', 'only applies to target_type time, lsn or xid')
    timeline = params.get('target_timeline')
    if timeline not in (None, '') and not re.match(r'^(current|latest|\d+|0x[0-9A-Fa-f]+)$', str(timeline)):
        raise PlanError('target_timeline', '%r is not current, latest or a timeline number' % timeline)
    if target_dir['running_pid']:
        raise PlanError('data_dir', '%s belongs to a running PostgreSQL (PID %s): stop it first; a restore never '
                                    'touches the live directory of a running cluster' % (data_dir, target_dir['running_pid']))
    if target_dir['exists'] and not target_dir['empty'] and not (params.get('delta') or params.get('force')):
        raise PlanError('delta', '%s is not empty: set delta=true to restore over it (only changed files are '
                                 'rewritten) or choose an empty scratch directory' % data_dir)
    args = ['--pg1-path=%s' % data_dir]
    if ttype != 'default':
        args.append('--type=%s' % ttype)
    if target not in (None, ''):
        args.append('--target=%s' % target)
    for option in ('target_action', 'set', 'archive_mode', 'repo'):
        if params.get(option) not in (None, ''):
            args.append('--%s=%s' % (option.replace('_', '-'), params[option]))
    if timeline not in (None, ''):
        args.append('--target-timeline=%s' % timeline)
    for flag in ('delta', 'force', 'target_exclusive'):
        if params.get(flag):
            args.append('--%s' % flag.replace('_', '-'))
    for db in params.get('db_include') or []:
        args.append('--db-include=%s' % db)
    for key, value in sorted((params.get('recovery_options') or {}).items()):
        args.append('--recovery-option=%s=%s' % (key, value))
    return args
