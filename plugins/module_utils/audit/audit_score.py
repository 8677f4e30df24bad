# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operational checklist of one audited server, scored from its snapshot and findings (pure).

Each item is pass, fail or unknown (not visible from this server) with the reason; the
score counts the items that pass.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_ops
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_checks import DEFAULT_OPTIONS

ITEMS = (
    ('rpo_rto', 'RPO/RTO defined and restore tested'),
    ('backups', 'Backups encrypted, off-host, retention bounded'),
    ('replication', 'Replication with tested failover'),
    ('tls', 'TLS enforced'),
    ('least_privilege', 'Least-privilege application user'),
    ('exposure', 'No public exposure'),
    ('audit_logs', 'Audit logs on'),
    ('pooling', 'Pooling'),
    ('runbooks', 'Runbooks'),
)
# Findings that make an item fail.
FAILS_ON = dict(
    rpo_rto=('archiving_off', 'archiver_failing', 'backup_not_found', 'backup_older_than_rpo', 'restore_test_failing',
             'restore_test_missing'),
    backups=('backup_not_found', 'repository_unencrypted', 'archiving_off'),
    replication=('replication_none', 'replication_lag'),
    tls=('ssl_off', 'tls_below_1_2', 'hba_no_ssl', 'hba_password', 'hba_clear_text_method'),
    least_privilege=('role_superuser', 'role_createrole', 'role_bypassrls', 'role_replication', 'role_plain_password',
                     'role_md5_password', 'hba_trust', 'hba_ident', 'public_schema_create', 'public_execute_security_definer',
                     'app_login_owns_objects', 'app_login_delete_truncate', 'app_login_ddl', 'app_login_database_create',
                     'public_database_create',
                     'tenant_table_without_rls'),
    exposure=('listen_all_open_hba', 'hba_any_address'),
    audit_logs=('pgaudit_not_loaded', 'pgaudit_classes', 'connection_logging_off'),
    pooling=('connections_near_max_no_pooler',),
)


def _item(key, title, status, detail):
    return dict(id=key, title=title, status=status, detail=detail)


def _failed(key, found):
    hits = sorted(set(f['id'] for f in found if f['id'] in FAILS_ON.get(key, ())))
    return 'findings: %s' % ', '.join(hits) if hits else None


def _rpo_rto(snap, found, o, now):
    bad = _failed('rpo_rto', found)
    if bad:
        return 'fail', bad
    _passed, _age, doc, reason = audit_ops.restore_outcome(snap, o, now)
    rto, source = o.get('rto_minutes'), ''
    if rto is None:
        rto = _rto_of_restore_test(doc)
        source = ' (the restore test\'s, pgbackrest_rto_seconds)' if rto is not None else ''
    if rto is None:
        return 'fail', 'no RTO defined for this server (audit_rto_minutes; the pgbackrest role has pgbackrest_rto_seconds)'
    took = (doc or {}).get('duration_seconds')
    if took is not None and float(took) > rto * 60:
        return 'fail', 'the last restore test took %s s, over the RTO of %s minutes' % (took, rto)
    return 'pass', 'RPO %s h, RTO %s min%s, restore test %s' % (o['rpo_hours'], rto, source, reason)


def _rto_of_restore_test(doc):
    """The RTO (minutes) the restore test was held to (its status file's rto_seconds), or None."""
    try:
        seconds = float((doc or {}).get('rto_seconds'))
    except (TypeError, ValueError):
        return None
    return round(seconds / 60.0, 2) if seconds > 0 else None


def _backups(snap, found):
    bad = _failed('backups', found)
    if bad:
        return 'fail', bad
    repos = snap.get('pgbackrest_repos')
    if repos is None:
        return 'unknown', 'pgBackRest configuration not visible on this host'
    local = [r['repo'] for r in repos if not r['off_host']]
    unbounded = [r['repo'] for r in repos if not r['retention_full']]
    if local or unbounded:
        return 'fail', '; '.join(x for x in (
            'repository on this host: %s' % ', '.join(local) if local else '',
            'no retention-full: %s' % ', '.join(unbounded) if unbounded else '') if x)
    return 'pass', 'encrypted, off-host (%s), retention-full %s' % (
        ', '.join(str(r['location']) for r in repos), ', '.join(str(r['retention_full']) for r in repos))


def _replication(snap, found):
    bad = _failed('replication', found)
    if bad:
        return 'fail', bad
    rep = snap.get('replication') or {}
    if rep.get('in_recovery'):
        return 'pass', 'this server is a streaming standby'
    return 'pass', '%d replica(s) streaming; prove failover with docs/runbooks/failover.md' % len(rep.get('items') or [])


def checklist(snap, found, options=None, now=None):
    """(items, score): score = {passed, total, percent}."""
    o = dict(DEFAULT_OPTIONS)
    o.update(dict((k, v) for k, v in (options or {}).items() if v is not None))
    now = time.time() if now is None else now
    hba_seen = snap.get('hba') is not None
    results = {}
    results['rpo_rto'] = _rpo_rto(snap, found, o, now)
    results['backups'] = _backups(snap, found)
    results['replication'] = _replication(snap, found)
    for key, ok in (('tls', 'ssl on, TLS 1.2 or later, no plaintext remote pg_hba line'),
                    ('exposure', 'no pg_hba line open to any address'),
                    ('least_privilege', 'no superuser, broad attribute or broad grant on application logins')):
        bad = _failed(key, found)
        if bad:
            results[key] = ('fail', bad)
        elif not hba_seen and key != 'least_privilege':
            results[key] = ('unknown', 'pg_hba rules not visible')
        else:
            results[key] = ('pass', ok)
    bad = _failed('audit_logs', found)
    results['audit_logs'] = ('fail', bad) if bad else ('pass', 'pgaudit logs ddl and role; connections logged')
    bad = _failed('pooling', found)
    pooler = snap.get('pooler')
    results['pooling'] = ('fail', bad) if bad else (
        ('pass', 'a pooler is in front') if pooler else
        ('fail', 'no pooler found on this host (audit_pooler: true when it runs elsewhere)') if pooler is False else
        ('unknown', 'pooler not visible'))
    runbooks = o.get('runbooks') or snap.get('runbooks_installed')
    results['runbooks'] = ('pass', 'runbooks: %s' % runbooks) if runbooks else (
        'unknown', 'say where the runbooks are (audit_runbooks); this collection ships docs/runbooks '
        '(the monitoring role installs them in monitoring_runbooks_directory)')
    items = [_item(k, t, results[k][0], results[k][1]) for k, t in ITEMS]
    passed = sum(1 for i in items if i['status'] == 'pass')
    return items, dict(passed=passed, total=len(items), percent=int(round(100.0 * passed / len(items))))
