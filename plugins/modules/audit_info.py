#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: audit_info
short_description: Read-only security and operations audit of a PostgreSQL server
version_added: 0.1.0
description:
  - Audits any PostgreSQL 13 to 17 server, including servers this collection never managed, and returns
    findings with a severity (V(high), V(medium), V(low), V(info)), the evidence (the role, object, pg_hba
    line or setting) and the fix (the variable, module or playbook of this collection that removes it),
    plus the operational checklist and its score.
  - Access - superusers and roles with CREATEROLE, BYPASSRLS or REPLICATION; login roles without VALID UNTIL;
    MD5 or clear-text password verifiers; pg_hba lines with C(trust) (and the login roles they let in without
    a password), C(password), C(md5), C(ldap), C(pam) or C(radius) without TLS, C(ident) over TCP, remote
    access without TLS, or any address (also lines whose networks together cover every IPv4 or IPv6
    address); PUBLIC privileges (CREATE on schemas, CREATE, CONNECT and TEMPORARY on databases, EXECUTE on
    SECURITY DEFINER functions); application logins that own objects or may DELETE, TRUNCATE or run DDL
    (CREATE on a schema or a database); tables with row-level security enabled but
    not forced; tables with a tenant column and no row-level security.
  - Server - C(ssl = off), TLS below 1.2, C(listen_addresses = '*') with a pg_hba line open to any address,
    pgaudit not loaded or not logging DDL and ROLE, connection logging off.
  - Operations - no WAL archiving, a failing archiver, no backup newer than the RPO, no passing restore test
    (from the status file the C(pgwarden.postgresql.pgbackrest) role writes), an unencrypted repository, no
    replica, replication lag over the limit, inactive replication slots retaining WAL, connections near
    C(max_connections) with no pooler.
  - A fixed number of queries whatever the number of objects - two or three on the server, one per audited
    database. Every connection is read-only; nothing is changed, so check mode is the same run.
  - The login needs superuser or membership in C(pg_monitor). Without superuser, password verifiers and
    C(pg_hba_file_rules) are not readable; pg_hba.conf is then read from disk when the OS user may, and what
    could not be checked is listed in RV(not_visible).
  - Backups, retention and restore tests are judged where they are - on the repository host named in
    pgbackrest.conf when its facts are given in O(repositories) (C(playbooks/audit.yml) does that).
options:
  databases:
    description: Databases whose objects are audited; empty means every database that accepts connections.
    type: list
    elements: str
    default: []
  tenant_columns:
    description: Column names that mark a table shared by tenants, which should have row-level security.
    type: list
    elements: str
    default: [tenant_id]
  app_logins:
    description:
      - Application logins checked for ownership, DELETE, TRUNCATE and DDL. Empty means every login role that
        is not a superuser, has no REPLICATION and is not in O(admin_roles) or O(replication_roles).
    type: list
    elements: str
    default: []
  admin_roles:
    description: Roles allowed to hold CREATEROLE and BYPASSRLS and to own objects (administrators, migrators).
    type: list
    elements: str
    default: [postgres]
  replication_roles:
    description: Roles expected to hold REPLICATION.
    type: list
    elements: str
    default: [replicator]
  rpo_hours:
    description: The newest successful backup must be newer than this, in hours.
    type: float
    default: 26
  rto_minutes:
    description:
      - The recovery time objective, in minutes. Unset means no RTO is defined, which fails the first
        checklist item; a restore test that took longer fails it too.
    type: float
  restore_test_max_days:
    description: A passing restore test must be this recent, in days.
    type: float
    default: 31
  restore_test_status_file:
    description:
      - JSON status file written by the restore test of the pgbackrest role. Unset means the C(status_file)
        named in O(restore_test_config), else C(/var/lib/pgwarden/restore-test.json).
    type: path
  restore_test_config:
    description: The restore test's settings written by the pgbackrest role (read for its status file only).
    type: path
    default: /etc/pgwarden/restore-test.json
  pgbackrest_command:
    description:
      - The pgBackRest executable whose C(info --output=json) lists the backups. It runs once per stanza of
        O(pgbackrest_config) with C(--stanza) (a pgBackRest TLS server refuses C(info) without it).
    type: str
    default: pgbackrest
  pgbackrest_config:
    description:
      - pgBackRest configuration read for the stanzas, the repository location and retention (never its secrets).
    type: path
    default: /etc/pgbackrest/pgbackrest.conf
  repositories:
    description:
      - Facts of repository hosts, each the C(repository) that M(pgwarden.postgresql.audit_repository_info)
        returned there. When O(pgbackrest_config) names one of them as C(repoN-host) (by one of its C(names)),
        backups, retention and the restore test are judged there (its C(info) of this host's stanzas, its
        retention settings, its restore test status), not on this host. C(playbooks/audit.yml) reads them on
        the hosts of group C(pgbackrest_repo).
    type: list
    elements: dict
    default: []
  runbooks_directory:
    description:
      - Runbooks installed on the host (the monitoring role copies the collection's there); a directory that
        is not empty passes the runbooks checklist item when O(runbooks) is unset.
    type: path
    default: /usr/share/doc/pgwarden/runbooks
  replication_lag_max_seconds:
    description: Replication lag over this is a finding, in seconds.
    type: float
    default: 300
  slot_retained_max_bytes:
    description: An inactive slot retaining more WAL than this is a V(medium) finding (less is V(low)).
    type: float
    default: 1073741824
  connections_warning_percent:
    description: Client connections at or over this share of the usable connections, with no pooler, is a finding.
    type: float
    default: 80
  pooler:
    description:
      - Whether a connection pooler is in front of the server. Unset means look for a pooler process
        (O(pooler_processes)) on this host.
    type: bool
  pooler_processes:
    description: Process names taken as a connection pooler.
    type: list
    elements: str
    default: [pgbouncer, pgpool, odyssey, pgcat]
  runbooks:
    description: Where the team's runbooks for this server are (a URL or a path); unset leaves that checklist item unknown.
    type: str
  max_items:
    description: At most this many names in one piece of evidence.
    type: int
    default: 20
extends_documentation_fragment:
  - pgwarden.postgresql.connection
attributes:
  check_mode:
    description: The module changes nothing; it runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Audit the local server
  pgwarden.postgresql.audit_info:
    rto_minutes: 60
    tenant_columns: [tenant_id, customer_id]
  become: true
  become_user: postgres
  register: audit

- name: Show the high findings
  ansible.builtin.debug:
    msg: "{{ audit.findings | selectattr('severity', 'equalto', 'high') | map(attribute='evidence') }}"

- name: Audit over TCP with a pg_monitor login (no superuser)
  pgwarden.postgresql.audit_info:
    login_host: db1.example.com
    login_user: auditor
    login_password: "{{ vault_auditor_password }}"
    ssl_mode: verify-full
'''

RETURN = r'''
findings:
  description: The findings, most severe first.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: hba_trust, severity: high, subject: "host all all 10.0.0.0/8 trust", title: "pg_hba line allows login
       without a password (trust)", evidence: "/etc/postgresql/15/main/pg_hba.conf line 97: host all all 10.0.0.0/8
       trust; login roles let in without a password: app, postgres", fix: "hardening role: hardening_allowlist ..."}
summary:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {high: 1, medium: 3, low: 2, info: 0}
checklist:
  description: The operational checklist, each item with C(id), C(title), C(status) (pass, fail, unknown) and C(detail).
  returned: always
  type: list
  elements: dict
score:
  description: Checklist items passed, of the total, and the percentage.
  returned: always
  type: dict
  sample: {passed: 5, total: 9, percent: 56}
server:
  description:
    - Version, login, role of the server (primary or standby), the databases audited, the pgBackRest stanzas
      and C(backups_judged_on) (the repository host whose facts judged backups, or null for this host).
  returned: always
  type: dict
not_visible:
  description: What could not be checked with this login or OS user, and how to see it.
  returned: always
  type: list
  elements: str
queries:
  description: The read queries that ran.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_checks import findings, summary
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_read import (
    AuditError, open_database, read_host, read_objects, read_server)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_score import checklist
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    DatabaseError, connect, connection_argument_spec)

ARGUMENT_SPEC = connection_argument_spec(
    databases=dict(type='list', elements='str', default=[]),
    tenant_columns=dict(type='list', elements='str', default=['tenant_id']),
    app_logins=dict(type='list', elements='str', default=[]),
    admin_roles=dict(type='list', elements='str', default=['postgres']),
    replication_roles=dict(type='list', elements='str', default=['replicator']),
    rpo_hours=dict(type='float', default=26.0),
    rto_minutes=dict(type='float'),
    restore_test_max_days=dict(type='float', default=31.0),
    restore_test_status_file=dict(type='path'),
    restore_test_config=dict(type='path', default='/etc/pgwarden/restore-test.json'),
    pgbackrest_command=dict(type='str', default='pgbackrest'),
    pgbackrest_config=dict(type='path', default='/etc/pgbackrest/pgbackrest.conf'),
    repositories=dict(type='list', elements='dict', default=[]),
    runbooks_directory=dict(type='path', default='/usr/share/doc/pgwarden/runbooks'),
    replication_lag_max_seconds=dict(type='float', default=300.0),
    slot_retained_max_bytes=dict(type='float', default=1073741824.0),
    connections_warning_percent=dict(type='float', default=80.0),
    pooler=dict(type='bool'),
    pooler_processes=dict(type='list', elements='str', default=['pgbouncer', 'pgpool', 'odyssey', 'pgcat']),
    runbooks=dict(type='str'),
    max_items=dict(type='int', default=20),
)
POSITIVE = ('rpo_hours', 'rto_minutes', 'restore_test_max_days', 'replication_lag_max_seconds',
            'slot_retained_max_bytes', 'connections_warning_percent', 'max_items')
OPTIONS = ('tenant_columns', 'app_logins', 'admin_roles', 'replication_roles', 'rpo_hours', 'rto_minutes',
           'restore_test_max_days', 'replication_lag_max_seconds', 'slot_retained_max_bytes',
           'connections_warning_percent', 'max_items', 'runbooks')


def audit(module, queries):
    p = module.params
    conn = connect(module)
    try:
        conn.set_session(readonly=True, autocommit=True)
        snap, not_visible = read_server(conn, p, queries)
    finally:
        conn.close()
    dbs = [d['name'] for d in snap['databases'] if d['allowconn'] and not d['template']]
    missing = [d for d in p['databases'] if d not in dbs]
    if missing:
        raise AuditError('databases: no such database accepting connections: %s' % ', '.join(missing))
    snap['objects'] = {}
    for db in p['databases'] or dbs:
        try:
            snap['objects'][db] = read_objects(open_database(p, db), p, queries)
        except DatabaseError as e:
            not_visible.append('objects of database %s: %s' % (db, str(e).strip()))
    host, more = read_host(p)
    snap.update(host)
    return snap, not_visible + more, p['databases'] or dbs


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    for opt in POSITIVE:
        if p[opt] is not None and p[opt] <= 0:
            module.fail_json(msg='%s: must be greater than 0, got %s' % (opt, p[opt]), option=opt)
    queries = []
    try:
        snap, not_visible, dbs = audit(module, queries)
    except AuditError as e:
        module.fail_json(msg=str(e), error=str(e), queries=queries)
    except DatabaseError as e:
        module.fail_json(msg='Reading the server state failed: %s' % str(e).strip(), queries=queries)
    opts = dict((k, p[k]) for k in OPTIONS)
    found = findings(snap, opts)
    items, score = checklist(snap, found, opts)
    server = dict(version=snap['version'], version_num=snap['version_num'], login_user=snap['user'],
                  superuser=snap['is_superuser'], role='standby' if snap.get('in_recovery') else 'primary',
                  databases=dbs, data_directory=snap['settings'].get('data_directory'),
                  hba_file=snap['settings'].get('hba_file'), stanzas=snap.get('stanzas') or [],
                  backups_judged_on=snap.get('backup_judged_on'))
    module.exit_json(changed=False, findings=found, summary=summary(found), checklist=items, score=score,
                     server=server, not_visible=not_visible, queries=queries)


if __name__ == '__main__':
    main()
