#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: pgaudit
short_description: The pgaudit extension in every database and object-audit grants
version_added: 0.1.0
description:
  - Creates the C(pgaudit) extension in every database that accepts connections, C(template1)
    included so that databases created later inherit it, or in the databases listed.
  - Grants the privileges to audit on named tables to the object-audit role (the role named in
    the C(pgaudit.role) parameter), so that pgaudit logs those statements as OBJECT entries.
  - Reports the databases that lack the extension (RV(lacking)), which is also what check mode shows.
  - Everything is read and validated before the first change; each database's changes run in one transaction.
  - The library must be loaded (C(shared_preload_libraries), then a restart) before the extension can
    be created; the pgwarden.postgresql.pgaudit role does that with pgwarden.postgresql.setting.
options:
  databases:
    description: Databases to manage. Empty means every database that accepts connections (not C(template0)).
    type: list
    elements: str
    default: []
  state:
    description: Whether the extension should exist in the databases.
    type: str
    choices: [present, absent]
    default: present
  audit_role:
    description: The object-audit role (C(pgaudit.role)) that receives O(audit_grants). It must exist.
    type: str
  audit_grants:
    description: Tables whose statements are audited, through privileges granted to O(audit_role).
    type: list
    elements: dict
    default: []
    suboptions:
      database:
        description: Database of the table.
        type: str
        required: true
      table:
        description: Table name, C(schema.table) or C(table) (schema public).
        type: str
        required: true
      privileges:
        description: Statement kinds to audit on the table.
        type: list
        elements: str
        default: [SELECT, INSERT, UPDATE, DELETE]
extends_documentation_fragment:
  - pgwarden.postgresql.connection
attributes:
  check_mode:
    description: Reports the databases lacking the extension and the statements a real run would execute; executes none.
    support: full
  diff_mode:
    description: No diff; RV(queries) and RV(lacking) tell what changes.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: pgaudit in every database, audit writes to the payments table
  pgwarden.postgresql.pgaudit:
    audit_role: auditor
    audit_grants:
      - {database: shop, table: public.payments, privileges: [INSERT, UPDATE, DELETE]}
  become: true
  become_user: postgres
'''

RETURN = r'''
lacking:
  description: Databases that lacked the extension when the module ran.
  returned: always
  type: list
  elements: str
  sample: [template1, app]
databases:
  description: The databases managed.
  returned: always
  type: list
  elements: str
queries:
  description: Statements executed, or that would be executed in check mode, each prefixed with its database.
  returned: always
  type: list
  elements: str
  sample: ['template1: CREATE EXTENSION IF NOT EXISTS pgaudit SCHEMA public']
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    DatabaseError, connect, connection_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import ApplyError, apply, read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.pgaudit_plan import (
    CLUSTER_QUERY, DATABASE_QUERY, DEFAULT_PRIVILEGES, desired_grants, plan_pgaudit, target_databases)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_values import split_list
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = connection_argument_spec(
    databases=dict(type='list', elements='str', default=[]),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    audit_role=dict(type='str'),
    audit_grants=dict(type='list', elements='dict', default=[], options=dict(
        database=dict(type='str', required=True),
        table=dict(type='str', required=True),
        privileges=dict(type='list', elements='str', default=list(DEFAULT_PRIVILEGES)),
    )),
)


def _read(module, grants):
    conn = connect(module)
    try:
        cluster = read_one(conn, CLUSTER_QUERY, dict(role=module.params['audit_role'] or ''))
    finally:
        conn.close()
    databases = target_databases(cluster, module.params['databases'])
    per_db = {}
    for db in databases:
        conn = connect(module, dbname=db)
        try:
            per_db[db] = read_one(conn, DATABASE_QUERY, dict(role=module.params['audit_role'] or '',
                                                             tables=sorted(grants.get(db) or {})))
        finally:
            conn.close()
    return cluster, databases, per_db


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    try:
        grants = desired_grants(p['audit_role'], p['audit_grants'])
        cluster, databases, per_db = _read(module, grants)
        plans, lacking = plan_pgaudit(cluster, per_db, databases, grants, p['audit_role'], p['state'])
    except PlanError as e:
        module.fail_json(msg='%s; nothing was changed' % e, option=e.option)
    except DatabaseError as e:
        module.fail_json(msg='Reading the databases failed, nothing was changed: %s' % str(e).strip())
    loaded = 'pgaudit' in split_list(cluster.get('preload') or '')
    needs_library = p['state'] == 'present' and any(lacking)
    if needs_library and not loaded:
        message = ('pgaudit is not in shared_preload_libraries of the running server: add it and restart '
                   'before the extension can be created')
        if not module.check_mode:
            module.fail_json(msg=message + '; nothing was changed', lacking=lacking)
        module.warn(message)
    queries = []
    for db in databases:
        if db not in plans:
            continue
        conn = connect(module, dbname=db)
        try:
            done = apply(conn, plans[db], module.check_mode)
        except ApplyError as e:
            module.fail_json(msg='In database %s, statement %s failed: %s (changes in this database were rolled '
                             'back)' % (db, e.statement, e.error), queries=queries, lacking=lacking)
        finally:
            conn.close()
        queries.extend('%s: %s' % (db, q) for q in done)
    module.exit_json(changed=bool(queries), queries=queries, lacking=lacking, databases=databases)


if __name__ == '__main__':
    main()
