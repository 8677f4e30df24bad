# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit findings: a pure function of the snapshot audit_read collected.

findings(snapshot, options, now) -> list of findings, each
{id, severity (high/medium/low/info), subject, title, evidence, fix}: `id` names the check,
`subject` the role, object, pg_hba line or setting, `fix` the variable or playbook of this
collection that removes it. Access and authentication checks are here, operations checks
(backups, replication, pooling) in audit_ops.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_hba
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_ops

SEVERITIES = ('high', 'medium', 'low', 'info')
# Methods that take the password in clear text from the client (PostgreSQL's docs: ldap, radius, pam).
CLEAR_TEXT_METHODS = ('ldap', 'radius', 'pam')
BOOTSTRAP_OID = 10

DEFAULT_OPTIONS = dict(
    tenant_columns=['tenant_id'], app_logins=[], admin_roles=['postgres'], replication_roles=['replicator'],
    rpo_hours=26.0, rto_minutes=None, restore_test_max_days=31.0, replication_lag_max_seconds=300.0,
    slot_retained_max_bytes=1073741824.0, connections_warning_percent=80.0, max_items=20, runbooks=None,
    pooler=None,
)

FIX = dict(
    role='pgwarden.postgresql.role (superuser/createrole/bypassrls/replication: false); application logins '
         'through the access role (access_logins are members of access_app_role and never superuser)',
    valid_until='access role: access_password_max_validity_days sets VALID UNTIL on access_logins '
                '(pgwarden.postgresql.role option valid_until for other roles)',
    verifier='set the password again with password_encryption = scram-sha-256 (pgwarden.postgresql.role '
             'password, or access_logins of the access role); the hardening role keeps scram-sha-256 only',
    hba='hardening role: hardening_allowlist (hostssl, scram-sha-256 or cert per network) writes an '
        'authoritative pg_hba.conf through pgwarden.postgresql.hba; plaintext and other hosts are rejected',
    public_schema='access role (access_schema) revokes CREATE on the schema from PUBLIC; elsewhere '
                  'pgwarden.postgresql.grant with roles [PUBLIC], privileges [CREATE], state absent',
    public_database='pgwarden.postgresql.grant: revoke CONNECT, TEMPORARY and CREATE on the database from PUBLIC and '
                    'grant CONNECT to the roles that need it (the access role does this for access_database)',
    secdef='pgwarden.postgresql.grant: revoke EXECUTE on the function from PUBLIC and grant it to the roles '
           'that need it',
    app_owner='transfer ownership to the migrator role (access role: access_migrator_role) and log in as '
              'a member of it for migrations only',
    app_privileges='access role: access_app_role reads and writes without DELETE, TRUNCATE or DDL; make the '
                   'login a member of it only (access_logins), DDL through access_migrator_role',
    rls='pgwarden.postgresql.rls_policy with force: true (access role: access_rls_tables), so the owner is '
        'subject to the policies too',
    tenant='access role: access_rls_tables enables and forces row-level security with a tenant policy on '
           'access_rls_setting (pgwarden.postgresql.rls_policy elsewhere)',
    tls='tls role: ssl on with a CA-issued server certificate, tls_min_protocol_version (TLSv1.2 or TLSv1.3)',
    listen='hardening role: hardening_listen_addresses with hardening_allowlist, so only listed networks reach '
           'the server, over TLS',
    pgaudit='pgaudit role: loads pgaudit (shared_preload_libraries) with pgaudit_log_classes including ddl '
            'and role',
    logging='hardening role: hardening_log_connections and hardening_log_disconnections (true by default)',
)


def finding(fid, severity, subject, title, evidence, fix):
    return dict(id=fid, severity=severity, subject=subject, title=title, evidence=evidence, fix=fix)


def _short(names, limit):
    names = list(names)
    more = len(names) - limit
    return ', '.join(names[:limit]) + (' and %d more' % more if more > 0 else '')


def role_findings(snap, o):
    out = []
    verifiers = snap.get('verifiers')
    for r in snap['roles']:
        name = r['name']
        if r['oid'] == BOOTSTRAP_OID:
            continue
        if r['super']:
            out.append(finding('role_superuser', 'high' if r['login'] else 'medium', name,
                               'superuser other than the bootstrap superuser',
                               'role %s: SUPERUSER%s' % (name, ', LOGIN' if r['login'] else ', NOLOGIN'), FIX['role']))
            continue
        for attr, text in (('createrole', 'CREATEROLE'), ('bypassrls', 'BYPASSRLS')):
            if r[attr] and name not in o['admin_roles']:
                out.append(finding('role_' + attr, 'medium', name, 'role with %s' % text,
                                   'role %s: %s%s' % (name, text, ', LOGIN' if r['login'] else ''), FIX['role']))
        if r['replication'] and name not in o['replication_roles']:
            out.append(finding('role_replication', 'medium', name, 'REPLICATION on a role that is not a '
                               'replication role', 'role %s: REPLICATION (replication_roles: %s)'
                               % (name, ', '.join(o['replication_roles']) or 'none'), FIX['role']))
        kind = (verifiers or {}).get(name)
        if r['login'] and r['valid_until'] in (None, 'infinity') and kind != 'none':
            pw = 'password set' if kind else 'password not visible'
            out.append(finding('role_no_valid_until', 'low', name, 'login role without VALID UNTIL',
                               'role %s: LOGIN, %s, no VALID UNTIL' % (name, pw), FIX['valid_until']))
        if kind == 'md5':
            out.append(finding('role_md5_password', 'medium', name, 'MD5 password verifier',
                               'pg_authid.rolpassword of %s is an MD5 hash' % name, FIX['verifier']))
        elif kind == 'plain':
            out.append(finding('role_plain_password', 'high', name, 'password stored in clear text',
                               'pg_authid.rolpassword of %s is neither SCRAM nor MD5' % name, FIX['verifier']))
    return out


def hba_findings(snap, o):
    out = []
    rules = snap.get('hba')
    if rules is None:
        return out
    settings = snap['settings']
    listen_all = any(a.strip() in ('*', '0.0.0.0', '::') for a in settings.get('listen_addresses', '').split(','))
    open_lines = []
    allowed = [r for r in rules if not r.get('error') and r['type'] in audit_hba.CONNECTION_TYPES
               and r['method'] != 'reject']
    for rule in allowed:
        where = audit_hba.where(rule)
        remote = rule['type'] != 'local' and not audit_hba.is_loopback(rule['address'])
        if rule['method'] == 'trust':
            who = audit_hba.matched_roles(rule, snap['roles'])
            who = _short(who, o['max_items']) or 'none today'
            out.append(finding('hba_trust', 'high' if rule['type'] != 'local' else 'medium', rule['text'],
                               'pg_hba line allows login without a password (trust)',
                               '%s; login roles let in without a password: %s' % (where, who), FIX['hba']))
        elif rule['method'] == 'password':
            out.append(finding('hba_password', 'high' if rule['type'] in ('host', 'hostnossl') else 'medium',
                               rule['text'], 'pg_hba line sends the password in clear text (password)', where,
                               FIX['hba']))
        elif rule['method'] == 'md5':
            out.append(finding('hba_md5', 'medium', rule['text'], 'pg_hba line uses md5 authentication', where,
                               FIX['hba']))
        elif rule['method'] in CLEAR_TEXT_METHODS and rule['type'] in ('host', 'hostnossl'):
            out.append(finding('hba_clear_text_method', 'high' if remote else 'medium', rule['text'],
                               'pg_hba line sends the password in clear text over TCP without TLS (%s)' % rule['method'],
                               '%s; %s takes the password in clear text, and this line does not require TLS (hostssl)'
                               % (where, rule['method']), FIX['hba']))
        elif rule['method'] == 'ident' and rule['type'] != 'local':
            out.append(finding('hba_ident', 'high' if remote else 'medium', rule['text'],
                               'pg_hba line trusts the client host\'s ident answer (ident over TCP)',
                               '%s; whoever answers ident on the client host chooses the login' % where, FIX['hba']))
        if remote and rule['type'] in ('host', 'hostnossl'):
            out.append(finding('hba_no_ssl', 'medium', rule['text'], 'pg_hba line allows remote access without TLS',
                               where, FIX['hba']))
        if rule['type'] != 'local' and audit_hba.is_any(rule['address']):
            open_lines.append(where)
            out.append(finding('hba_any_address', 'medium', rule['text'], 'pg_hba line accepts any address',
                               where, FIX['hba']))
    for version, split in sorted(audit_hba.covering_split(allowed).items()):
        lines = '; '.join(audit_hba.where(r) for r in split[:o['max_items']])
        for rule in split:
            open_lines.append(audit_hba.where(rule))
            out.append(finding('hba_any_address', 'medium', rule['text'], 'pg_hba line accepts any address',
                               '%s; with %d other line(s) it lets in every IPv%d address: %s'
                               % (audit_hba.where(rule), len(split) - 1, version, lines), FIX['hba']))
    if listen_all and open_lines:
        out.append(finding('listen_all_open_hba', 'high', 'listen_addresses', "listen_addresses = '*' with a pg_hba "
                           'line open to any address', "listen_addresses = '%s'; %s"
                           % (settings.get('listen_addresses'), '; '.join(open_lines[:o['max_items']])), FIX['listen']))
    return out


def _expand_members(roles):
    """role -> every role it is a member of, directly or not."""
    direct = dict((r['name'], set(r.get('member_of') or [])) for r in roles)
    out = {}
    for name in direct:
        seen, todo = set(), list(direct[name])
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(direct.get(g, ()))
        out[name] = seen
    return out


def app_logins(snap, o):
    if o['app_logins']:
        return [r['name'] for r in snap['roles'] if r['name'] in o['app_logins']]
    return [r['name'] for r in snap['roles'] if r['login'] and not r['super'] and r['oid'] != BOOTSTRAP_OID
            and not r['replication'] and r['name'] not in o['admin_roles'] and r['name'] not in o['replication_roles']]


def privilege_findings(snap, o):
    out = []
    for d in snap['databases']:
        if d.get('template') or not d.get('allowconn'):
            continue
        if d.get('public_connect') or d.get('public_temp'):
            privs = [p for p, k in (('CONNECT', 'public_connect'), ('TEMPORARY', 'public_temp')) if d.get(k)]
            out.append(finding('public_database_privileges', 'low', d['name'], 'PUBLIC may connect to or create '
                               'temporary tables in a database', 'database %s: %s granted to PUBLIC'
                               % (d['name'], ', '.join(privs)), FIX['public_database']))
    apps = app_logins(snap, o)
    groups = _expand_members(snap['roles'])
    out.extend(_database_create_findings(snap, apps, groups))
    for db in sorted(snap.get('objects') or {}):
        objs = snap['objects'][db]
        for s in objs.get('public_create_schemas') or []:
            out.append(finding('public_schema_create', 'high', '%s.%s' % (db, s), 'PUBLIC may create objects in a '
                               'schema', 'database %s: schema %s grants CREATE to PUBLIC' % (db, s), FIX['public_schema']))
        for f in objs.get('public_secdef') or []:
            out.append(finding('public_execute_security_definer', 'medium', '%s.%s' % (db, f['function']),
                               'PUBLIC may execute a SECURITY DEFINER function',
                               'database %s: %s runs as %s, EXECUTE granted to PUBLIC' % (db, f['function'], f['owner']),
                               FIX['secdef']))
        out.extend(_app_findings(db, objs, apps, groups, o))
        for t in objs.get('rls_not_forced') or []:
            out.append(finding('rls_not_forced', 'low', '%s.%s' % (db, t['table']), 'row-level security enabled '
                               'but not forced', 'database %s: table %s has ROW LEVEL SECURITY without FORCE: its '
                               'owner %s bypasses the policies' % (db, t['table'], t['owner']), FIX['rls']))
        for t in objs.get('tenant_no_rls') or []:
            out.append(finding('tenant_table_without_rls', 'medium', '%s.%s' % (db, t['table']), 'table shared by '
                               'tenants without row-level security', 'database %s: table %s has column %s and no row-level '
                               'security' % (db, t['table'], t['column']), FIX['tenant']))
    return out


def _database_create_findings(snap, apps, groups):
    """CREATE on a database (new schemas, so new objects) for PUBLIC or an application login."""
    out = []
    for d in snap['databases']:
        if d.get('template') or not d.get('allowconn'):
            continue
        if d.get('public_create'):
            out.append(finding('public_database_create', 'medium', d['name'], 'PUBLIC may create schemas in a database',
                               'database %s: CREATE granted to PUBLIC' % d['name'], FIX['public_database']))
        grantees = set(d.get('create_grantees') or [])
        for app in apps:
            via = sorted(grantees & (set([app]) | groups.get(app, set())))
            if via:
                out.append(finding('app_login_database_create', 'medium', '%s:%s' % (d['name'], app),
                                   'application login may create schemas in a database (DDL)',
                                   'database %s: CREATE granted to %s' % (d['name'], ', '.join(
                                       v if v == app else '%s (%s is a member)' % (v, app) for v in via)),
                                   FIX['app_privileges']))
    return out


def _app_findings(db, objs, apps, groups, o):
    out = []
    for app in apps:
        via = set([app]) | groups.get(app, set())
        owned = [x for x in objs.get('owned') or [] if x['role'] == app]
        if owned:
            total, examples = sum(x['count'] for x in owned), _short([x['example'] for x in owned], 5)
            what = 'database %s: %s owns %d object(s): %s' % (db, app, total, examples)
            out.append(finding('app_login_owns_objects', 'medium', '%s:%s' % (db, app), 'application login owns '
                               'objects', what, FIX['app_owner']))
        dml = [g for g in objs.get('table_grants') or [] if g['role'] in via]
        if dml:
            what = '; '.join('%s on %d table(s) (e.g. %s)%s' % (
                g['privilege'], g['count'], g['example'], '' if g['role'] == app else ' through ' + g['role'])
                for g in dml)
            out.append(finding('app_login_delete_truncate', 'medium', '%s:%s' % (db, app), 'application login may '
                               'DELETE or TRUNCATE', 'database %s: %s' % (db, what), FIX['app_privileges']))
        ddl = [g for g in objs.get('create_grants') or [] if g['role'] in via]
        if ddl:
            out.append(finding('app_login_ddl', 'medium', '%s:%s' % (db, app), 'application login may run DDL',
                               'database %s: CREATE on %s' % (db, ', '.join(
                                   '%s%s' % (g['object'], '' if g['role'] == app else ' through ' + g['role'])
                                   for g in ddl)), FIX['app_privileges']))
    return out


def preload_libraries(value):
    """The names of a shared_preload_libraries value, as PostgreSQL splits it: comma-separated, double-quoted
    names as written (\"\" is a quote), others trimmed and lower-cased; a path or suffix names the library too."""
    names, i, text = [], 0, value or ''
    while i < len(text):
        while i < len(text) and text[i] in ' \t\n\r,':
            i += 1
        if i >= len(text):
            break
        if text[i] == '"':
            j, name = i + 1, ''
            while j < len(text):
                if text[j] == '"' and text[j + 1:j + 2] == '"':
                    name, j = name + '"', j + 2
                elif text[j] == '"':
                    break
                else:
                    name, j = name + text[j], j + 1
            i = j + 1
        else:
            j = text.find(',', i)
            j = len(text) if j < 0 else j
            name, i = text[i:j].strip().lower(), j
        names.append(name)
    return [re.sub(r'\.so$', '', n.rsplit('/', 1)[-1].replace('$libdir/', '')) for n in names]


def setting_findings(snap, o):
    s = snap['settings']
    out = []
    if s.get('ssl') != 'on':
        out.append(finding('ssl_off', 'high', 'ssl', 'TLS is off', 'ssl = %s' % s.get('ssl'), FIX['tls']))
    elif s.get('ssl_min_protocol_version') in ('TLSv1', 'TLSv1.1'):
        out.append(finding('tls_below_1_2', 'medium', 'ssl_min_protocol_version', 'TLS below 1.2 accepted',
                           'ssl_min_protocol_version = %s' % s['ssl_min_protocol_version'], FIX['tls']))
    libs = preload_libraries(s.get('shared_preload_libraries'))
    if 'pgaudit' not in libs:
        out.append(finding('pgaudit_not_loaded', 'medium', 'shared_preload_libraries', 'pgaudit is not loaded',
                           "shared_preload_libraries = '%s'" % s.get('shared_preload_libraries', ''), FIX['pgaudit']))
    else:
        classes = [c.strip().lower() for c in (s.get('pgaudit.log') or 'none').split(',')]
        missing = [c for c in ('ddl', 'role') if c not in classes and 'all' not in classes
                   and '-' + c not in classes]
        missing += [c for c in ('ddl', 'role') if '-' + c in classes]
        if missing:
            out.append(finding('pgaudit_classes', 'low', 'pgaudit.log', 'pgaudit does not log %s' % ' and '.join(missing),
                               "pgaudit.log = '%s'" % s.get('pgaudit.log', ''), FIX['pgaudit']))
    off = [k for k in ('log_connections', 'log_disconnections') if s.get(k) not in ('on', 'all', 'receipt')]
    if off:
        out.append(finding('connection_logging_off', 'low', ', '.join(off), 'connections are not logged',
                           ', '.join('%s = %s' % (k, s.get(k)) for k in off), FIX['logging']))
    return out


def findings(snap, options=None, now=None):
    """Every finding of a snapshot, most severe first."""
    o = dict(DEFAULT_OPTIONS)
    o.update(dict((k, v) for k, v in (options or {}).items() if v is not None))
    out = role_findings(snap, o) + hba_findings(snap, o) + privilege_findings(snap, o) + setting_findings(snap, o)
    out += audit_ops.ops_findings(snap, o, time.time() if now is None else now)
    return sorted(out, key=lambda f: (SEVERITIES.index(f['severity']), f['id'], f['subject']))


def summary(found):
    return dict((s, sum(1 for f in found if f['severity'] == s)) for s in SEVERITIES)
