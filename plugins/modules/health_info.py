#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: health_info
short_description: Health checks of a PostgreSQL server with value, threshold and status
version_added: 0.1.0
description:
  - Runs the collection's health checks in one call and returns, for each, the measured value,
    the thresholds and a status V(ok), V(warning), V(critical) or V(unknown) (not measurable here,
    for example pgBackRest not installed).
  - Server checks - connections as a percentage of C(max_connections) with the reserved slots
    considered, disk usage of the data and WAL directories, long-running queries, sessions idle in
    transaction, replication lag per replica (bytes and seconds), replication slots retaining WAL,
    transaction ID wraparound age, WAL archiving from C(pg_stat_archiver) (V(critical) while
    C(archive_command) fails, that is the last failure is newer than the last archived segment;
    the age of the oldest segment waiting to be archived graded against the RPO), age of the newest
    successful pgBackRest backup and of the last passing restore test, C(pg_stat_statements) top
    statements when the extension is installed.
  - Checks in every database - table and index bloat (estimated from the planner statistics, or
    measured with C(pgstattuple) when that extension is installed in the database), unused, invalid
    and duplicate indexes, dead tuples with the last (auto)vacuum and (auto)analyze per table.
  - Read-only - every connection is set to read-only, the module never changes anything.
  - The same checks, from the same code, run on each host through the C(pgwarden.postgresql.monitoring)
    role's periodic checker.
options:
  checks:
    description:
      - Checks to run; empty means all of them.
    type: list
    elements: str
    default: []
    choices:
      - connections
      - disk
      - long_running_queries
      - idle_in_transaction
      - replication_lag
      - replication_slots
      - wraparound
      - wal_archiving
      - backup_age
      - restore_test
      - top_statements
      - table_bloat
      - index_bloat
      - unused_indexes
      - invalid_indexes
      - duplicate_indexes
      - dead_tuples
  databases:
    description:
      - Databases the per-database checks look into; empty means every database that is not a template.
      - A database this login cannot connect to is not checked and is listed in RV(not_visible); a name that is
        not a database fails the module.
    type: list
    elements: str
    default: []
  max_items:
    description:
      - At most this many items (queries, tables, indexes) per check in the result; C(count) of each check has the total.
    type: int
    default: 20
  top_statements:
    description:
      - Number of C(pg_stat_statements) entries to return, by total execution time.
    type: int
    default: 10
  pgbackrest_command:
    description:
      - The pgBackRest executable whose C(info --output=json) gives the backup age.
    type: str
    default: pgbackrest
  restore_test_status_file:
    description:
      - JSON file written by the restore test of the backup role, with C(result), C(duration_seconds)
        and C(finished_at). Missing means status V(unknown).
    type: path
    default: /var/lib/pgwarden/restore-test.json
  fail_on:
    description:
      - Fail the task when the overall status is this bad or worse; V(never) only reports.
    type: str
    choices: [never, warning, critical]
    default: never
  thresholds:
    description:
      - Warning and critical levels of the checks; a value reached raises the status.
    type: dict
    default: {}
    suboptions:
      connections_warning_percent:
        description:
          - Warning level of the client connections as a percentage of the connections available to
            ordinary roles (C(max_connections) minus the reserved slots), in percent.
        type: float
        default: 80.0
      connections_critical_percent:
        description:
          - Critical level of the client connections as a percentage of the connections available to
            ordinary roles (C(max_connections) minus the reserved slots), in percent.
        type: float
        default: 95.0
      disk_warning_percent:
        description: Warning level of the used space of the file systems holding the data directory and C(pg_wal), in percent.
        type: float
        default: 80.0
      disk_critical_percent:
        description: Critical level of the used space of the file systems holding the data directory and C(pg_wal), in percent.
        type: float
        default: 90.0
      long_query_warning_seconds:
        description: Warning level of the age of queries in state C(active), in seconds.
        type: float
        default: 300.0
      long_query_critical_seconds:
        description: Critical level of the age of queries in state C(active), in seconds.
        type: float
        default: 1800.0
      idle_in_transaction_warning_seconds:
        description: Warning level of the time sessions have been idle in an open transaction, in seconds.
        type: float
        default: 60.0
      idle_in_transaction_critical_seconds:
        description: Critical level of the time sessions have been idle in an open transaction, in seconds.
        type: float
        default: 600.0
      replication_lag_warning_seconds:
        description: Warning level of the replay lag of each replica (on a standby, its own replay lag), in seconds.
        type: float
        default: 30.0
      replication_lag_critical_seconds:
        description: Critical level of the replay lag of each replica (on a standby, its own replay lag), in seconds.
        type: float
        default: 300.0
      replication_lag_warning_bytes:
        description: Warning level of the replay lag of each replica (on a standby, its own replay lag), in bytes.
        type: float
        default: 67108864.0
      replication_lag_critical_bytes:
        description: Critical level of the replay lag of each replica (on a standby, its own replay lag), in bytes.
        type: float
        default: 1073741824.0
      replication_min_replicas:
        description:
          - On a primary, the number of replicas that must be streaming; fewer makes C(replication_lag) critical
            (a stopped or disconnected replica). C(0) does not check it.
        type: float
        default: 0.0
      slot_retained_warning_bytes:
        description: Warning level of the WAL retained by a replication slot, in bytes.
        type: float
        default: 1073741824.0
      slot_retained_critical_bytes:
        description: Critical level of the WAL retained by a replication slot, in bytes.
        type: float
        default: 10737418240.0
      wraparound_warning_age:
        description: Warning level of the transaction ID age of the oldest database (C(age(datfrozenxid))), in age.
        type: float
        default: 1000000000.0
      wraparound_critical_age:
        description: Critical level of the transaction ID age of the oldest database (C(age(datfrozenxid))), in age.
        type: float
        default: 1500000000.0
      bloat_min_bytes:
        description: Tables and indexes smaller than this are not checked for bloat.
        type: float
        default: 10485760.0
      table_bloat_warning_percent:
        description: Warning level of the estimated (or, with C(pgstattuple), measured) wasted space in a table, in percent.
        type: float
        default: 40.0
      table_bloat_critical_percent:
        description: Critical level of the estimated (or, with C(pgstattuple), measured) wasted space in a table, in percent.
        type: float
        default: 70.0
      index_bloat_warning_percent:
        description: Warning level of the estimated (or, with C(pgstattuple), measured) wasted space in a B-tree index, in percent.
        type: float
        default: 50.0
      index_bloat_critical_percent:
        description: Critical level of the estimated (or, with C(pgstattuple), measured) wasted space in a B-tree index, in percent.
        type: float
        default: 80.0
      unused_index_min_bytes:
        description: Unused indexes smaller than this are not reported.
        type: float
        default: 1048576.0
      dead_tuples_min:
        description: Tables with fewer dead tuples than this are never flagged.
        type: float
        default: 10000.0
      dead_tuples_warning_percent:
        description: Warning level of the dead tuples as a percentage of a table, in percent.
        type: float
        default: 20.0
      dead_tuples_critical_percent:
        description: Critical level of the dead tuples as a percentage of a table, in percent.
        type: float
        default: 50.0
      backup_age_warning_hours:
        description: Warning level of the age of the newest successful pgBackRest backup, in hours.
        type: float
        default: 26.0
      backup_age_critical_hours:
        description: Critical level of the age of the newest successful pgBackRest backup, in hours.
        type: float
        default: 50.0
      archive_lag_warning_seconds:
        description:
          - Warning level of the age of the oldest WAL segment waiting to be archived, in seconds (the RPO).
          - A failing C(archive_command) is critical whatever the age.
        type: float
        default: 300.0
      archive_lag_critical_seconds:
        description: Critical level of the age of the oldest WAL segment waiting to be archived, in seconds.
        type: float
        default: 900.0
      restore_test_warning_days:
        description:
          - Warning level of the age of the last passing restore test, in days.
          - The default fits the monthly restore test (31 days plus slack); the monitoring role derives
            both levels from the restore test's schedule.
        type: float
        default: 35.0
      restore_test_critical_days:
        description: Critical level of the age of the last passing restore test, in days (two monthly runs missed).
        type: float
        default: 66.0
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
- name: Health of the local server
  pgwarden.postgresql.health_info:
  become: true
  become_user: postgres
  register: health

- name: Show what is not ok
  ansible.builtin.debug:
    msg: "{{ health.checks | dict2items | rejectattr('value.status', 'equalto', 'ok') | map(attribute='value.message') }}"

- name: Fail a deployment gate when anything is critical, with a lower long-query threshold
  pgwarden.postgresql.health_info:
    checks: [connections, long_running_queries, replication_lag, backup_age]
    fail_on: critical
    thresholds:
      long_query_warning_seconds: 60
      long_query_critical_seconds: 600
  become: true
  become_user: postgres
'''

RETURN = r'''
status:
  description: The worst status over the checks that could be measured (V(unknown) ones do not count).
  returned: always
  type: str
  sample: warning
checks:
  description:
    - One entry per check run, keyed by the check name.
    - Each has C(status), C(value) (a number, or null when unknown), C(unit), C(threshold) (the levels used),
      C(message), C(items) (the flagged queries, sessions, tables, indexes, replicas... each with its details,
      e.g. pid, user and query start of a long query) and C(count) (items before O(max_items) applied).
  returned: always
  type: dict
  sample:
    long_running_queries:
      status: warning
      value: 412.5
      unit: seconds
      threshold: {warning: 300.0, critical: 1800.0}
      message: 1 queries running over 300.0 seconds
      count: 1
      items:
        - {pid: 4711, user: app, database: shop, query_start: "2026-01-02T03:04:05+00:00", seconds: 412.5,
           query: "SELECT ..."}
summary:
  description: Number of checks per status.
  returned: always
  type: dict
  sample: {ok: 13, warning: 1, critical: 0, unknown: 2}
databases:
  description: Databases the per-database checks looked into.
  returned: always
  type: list
  elements: str
not_visible:
  description:
    - Databases the per-database checks could not look into, with the reason - the database does not allow
      connections (C(datallowconn) false), or the login has no C(CONNECT) privilege on it (for example after
      C(REVOKE CONNECT ... FROM PUBLIC) with a login that is not a superuser). The other checks still run, and the
      message of each per-database check names them.
  returned: always
  type: list
  elements: dict
  sample: [{database: payroll, reason: the login has no CONNECT privilege on it}]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    DatabaseError, connect, connection_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring.health_checks import (
    CHECKS, DEFAULT_THRESHOLDS, SEVERITY)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring.health_collect import run_checks

ARGUMENT_SPEC = connection_argument_spec(
    checks=dict(type='list', elements='str', default=[], choices=list(CHECKS)),
    databases=dict(type='list', elements='str', default=[]),
    max_items=dict(type='int', default=20),
    top_statements=dict(type='int', default=10),
    pgbackrest_command=dict(type='str', default='pgbackrest'),
    restore_test_status_file=dict(type='path', default='/var/lib/pgwarden/restore-test.json'),
    fail_on=dict(type='str', choices=['never', 'warning', 'critical'], default='never'),
    thresholds=dict(type='dict', default={}, apply_defaults=True,
                    options=dict((k, dict(type='float', default=v)) for k, v in DEFAULT_THRESHOLDS.items())),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    for opt in ('max_items', 'top_statements'):
        if p[opt] < 1:
            module.fail_json(msg='%s: must be at least 1, got %d' % (opt, p[opt]), option=opt)
    try:
        results, status, dbs, not_visible = run_checks(lambda db: connect(module, dbname=db, fail=False), p)
    except ValueError as e:  # bad thresholds, checks or databases: the message names the option
        module.fail_json(msg=str(e), option=str(e).split(':', 1)[0].split('.')[0])
    except DatabaseError as e:
        module.fail_json(msg='Reading the server state failed: %s' % str(e).strip())
    summary = dict((s, sum(1 for r in results.values() if r['status'] == s)) for s in SEVERITY)
    out = dict(changed=False, status=status, checks=results, summary=summary, databases=dbs, not_visible=not_visible)
    if p['fail_on'] != 'never' and SEVERITY[status] >= SEVERITY[p['fail_on']]:
        bad = ['%s: %s' % (n, r['message']) for n, r in sorted(results.items()) if r['status'] in ('warning', 'critical')]
        module.fail_json(msg='Health status %s (fail_on=%s): %s' % (status, p['fail_on'], '; '.join(bad)), **out)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
