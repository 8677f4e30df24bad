#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: setting
short_description: Set PostgreSQL server parameters with ALTER SYSTEM, unit-aware and idempotent
version_added: 0.1.0
description:
  - Converges server parameters through C(ALTER SYSTEM SET) and C(ALTER SYSTEM RESET),
    reading C(pg_settings) and C(pg_file_settings) once for all declared parameters.
  - Values are compared as the server reads them, so V(1GB) equals V(131072) 8kB pages
    and V(5min) equals V(300s) or V(300000ms); V(On) equals V(true); enum synonyms the server
    accepts are equal to their label (V(yes), V(true), V(1) are V(on) for C(synchronous_commit)
    or C(huge_pages); V(hot_standby) is V(replica) for C(wal_level)).
  - The value compared is the one the server will use after a reload or restart (the
    configuration file entry that wins, else the running value), so a second run after a
    change that still waits for a restart reports no change.
  - Bad values (unknown parameter, wrong unit, out of range, not an enum label) fail the
    task before any parameter is changed. Every value a session can take (parameters of
    context C(user), and C(superuser) when connected as one) is first given to the server
    with C(set_config()) in a transaction that is rolled back, so its own checks (a time
    zone, a date style) run before anything is written; other parameters are checked against
    C(pg_settings) (type, enum labels, minimum and maximum).
  - When the configuration files already hold the declared value but the server runs with
    another one (a reload was missed), the module reloads and reports a change.
  - When a changed parameter can be applied by a reload, the configuration is reloaded
    with C(pg_reload_conf()). Parameters that need a restart are reported in
    RV(restart_required) and RV(restart_parameters); the module never restarts the server.
  - Check mode and diff come from the same plan as the real run.
  - The O(lock_timeout) option is validated but not applied to this module's session;
    C(ALTER SYSTEM) locks no table, and the module must see the server's own
    C(lock_timeout) when it manages that parameter.
options:
  settings:
    description:
      - Parameters and their desired values. A value may be a string with a unit
        (V(1GB), V(5min)), a number in the parameter's unit, a boolean, or for
        list-valued parameters (C(shared_preload_libraries), C(search_path),
        C(listen_addresses), C(pgaudit.log), ...) a list or comma-separated text.
      - A null value resets the parameter (C(ALTER SYSTEM RESET)), removing it from
        C(postgresql.auto.conf).
    type: dict
    required: true
  merge_lists:
    description:
      - List-valued parameters whose declared items are added to the items already
        configured instead of replacing them, so that a library another role needs is
        never dropped from C(shared_preload_libraries).
      - Set to an empty list to make every declared list authoritative.
    type: list
    elements: str
    default: [shared_preload_libraries, session_preload_libraries, local_preload_libraries]
  reload:
    description:
      - Reload the server configuration when a changed parameter can take effect
        without a restart.
    type: bool
    default: true
extends_documentation_fragment:
  - pgwarden.postgresql.connection
attributes:
  check_mode:
    description: Predicts exactly the statements a real run executes (and whether a restart will be needed), and executes none of them.
    support: full
  diff_mode:
    description: Shows the configured value of each changed parameter before and after.
    support: full
notes:
  - Reading C(pg_file_settings) needs a superuser or a member of C(pg_read_all_settings);
    C(ALTER SYSTEM) needs a superuser or, from PostgreSQL 15, the ALTER SYSTEM privilege
    on the parameter.
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Memory, timeouts and a preloaded library
  pgwarden.postgresql.setting:
    settings:
      shared_buffers: 1GB
      work_mem: 16MB
      idle_in_transaction_session_timeout: 5min
      shared_preload_libraries: [pgaudit]
  become: true
  become_user: postgres
  register: pg_settings
  notify: Restart PostgreSQL

- name: Remove a parameter from postgresql.auto.conf
  pgwarden.postgresql.setting:
    settings:
      work_mem: null
  become: true
  become_user: postgres
'''

RETURN = r'''
queries:
  description: Statements executed, or that would be executed in check mode.
  returned: always
  type: list
  elements: str
  sample:
    - ALTER SYSTEM SET "work_mem" TO '16MB'
    - SELECT pg_reload_conf()
restart_required:
  description: Whether a declared parameter waits for a server restart to take effect.
  returned: always
  type: bool
restart_parameters:
  description: The declared parameters that wait for a restart.
  returned: always
  type: list
  elements: str
  sample: [shared_buffers]
changed_parameters:
  description: Parameters set or reset by this run.
  returned: always
  type: list
  elements: str
settings:
  description:
    - Per declared parameter, the configured value before and after, its context, whether it changed,
      whether it waits for a restart, and whether a reload is needed for the server to use it
      (also when the file already holds the value but the server was not reloaded).
  returned: always
  type: dict
  sample:
    shared_buffers:
      before: '16384'
      after: 1GB
      context: postmaster
      changed: true
      restart_required: true
      reload_required: false
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    DatabaseError, connect, connection_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import ApplyError, apply, read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_plan import (
    SNAPSHOT_QUERY, parse_snapshot, plan_settings, probe_values)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_probe import ProbeError, probe
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_values import MERGE_DEFAULT
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = connection_argument_spec(
    settings=dict(type='dict', required=True),
    merge_lists=dict(type='list', elements='str', default=list(MERGE_DEFAULT)),
    reload=dict(type='bool', default=True),
)


def _configured(conn, values):
    """How the server reads the values already configured; one it no longer takes is left to the pure checks."""
    try:
        return probe(conn, values)
    except ProbeError as e:
        rest = dict((n, v) for n, v in values.items() if n != e.name)
        return _configured(conn, rest) if rest else {}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    desired = module.params['settings']
    conn = connect(module, session_lock_timeout=False)  # ALTER SYSTEM locks no table; see lock_timeout as the server runs it
    try:
        doc = read_one(conn, SNAPSHOT_QUERY, dict(names=[n.lower() for n in desired]))
        current = parse_snapshot(doc)
        plan_settings(current, desired, merge_lists=[], reload=False)  # the pure checks first, for every value
        declared, configured = probe_values(current, desired, conn.get_parameter_status('is_superuser') == 'on')
        probed = dict(declared=probe(conn, declared), configured=_configured(conn, configured))
        plan = plan_settings(current, desired, merge_lists=[n.lower() for n in module.params['merge_lists']],
                             reload=module.params['reload'], probed=probed)
    except ProbeError as e:
        conn.close()
        option = 'settings.%s' % dict((n.lower(), n) for n in desired).get(e.name, e.name)
        module.fail_json(msg='%s: PostgreSQL refuses the value: %s; nothing was changed' % (option, e.problem),
                         option=option)
    except PlanError as e:
        conn.close()
        module.fail_json(msg='%s; nothing was changed' % e, option=e.option)
    except DatabaseError as e:
        conn.close()
        module.fail_json(msg='Reading pg_settings/pg_file_settings failed, nothing was changed: %s' % str(e).strip())
    try:
        queries = apply(conn, plan.statements, module.check_mode)
    except ApplyError as e:
        module.fail_json(msg='Statement %s failed: %s' % (e.statement, e.error), queries=e.done,
                         failed_statement=e.statement, changed=bool(e.done))
    finally:
        conn.close()
    for warning in plan.warnings:
        module.warn(warning)
    module.exit_json(changed=bool(plan.statements), queries=queries, restart_required=bool(plan.restart_required),
                     restart_parameters=plan.restart_required, changed_parameters=plan.changed,
                     settings=plan.settings, diff=dict(before=plan.before, after=plan.after))


if __name__ == '__main__':
    main()
