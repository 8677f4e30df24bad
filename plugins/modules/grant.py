#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: grant
short_description: Grant and revoke PostgreSQL privileges and default privileges, authoritatively if asked
version_added: 0.1.0
description:
  - Converges privileges on databases, schemas, tables, sequences, functions, procedures,
    types and columns, and default privileges for objects created later
    (C(ALTER DEFAULT PRIVILEGES)).
  - Reads the current ACLs with one catalog query per run (C(aclexplode) over the catalogs,
    a NULL ACL read as the built-in default), whatever the number of objects and grantees,
    so grants to and revokes from C(PUBLIC) are idempotent.
  - Plans the difference and groups it, so one statement covers every object needing the same
    privileges for the same grantee. All statements run in one transaction.
  - Check mode and diff come from the same plan as the real run; check mode changes nothing.
  - Objects live in the database given by O(login_db).
options:
  grants:
    description:
      - Batch form. A list of entries, each a dict of the options below (O(type), O(roles),
        O(privileges), O(objects), O(schema), O(all_in_schema), O(columns), O(target_roles),
        O(grant_option), O(state)). Mutually exclusive with giving those options at the top level.
      - Entries are planned and applied in order; a later entry sees the effect of an earlier one
        (V(ALL) then V(DELETE) with O(state=absent) leaves every privilege but DELETE), and the
        diff shows exactly that result.
    type: list
    elements: dict
    suboptions:
      type:
        description: As O(type).
        type: str
        choices: [column, database, default_privileges, function, procedure, schema, sequence, table, type]
      roles:
        description: As O(roles).
        type: list
        elements: str
      privileges:
        description: As O(privileges).
        type: list
        elements: str
      objects:
        description: As O(objects).
        type: list
        elements: str
      schema:
        description: As O(schema).
        type: str
      all_in_schema:
        description: As O(all_in_schema).
        type: bool
      columns:
        description: As O(columns).
        type: list
        elements: str
      target_roles:
        description: As O(target_roles).
        type: list
        elements: str
      grant_option:
        description: As O(grant_option).
        type: bool
      state:
        description: As O(state).
        type: str
        choices: [present, absent, exact]
  type:
    description:
      - Kind of the objects. Default V(table).
      - V(function) covers functions and aggregates, V(procedure) procedures.
      - V(default_privileges) manages privileges on objects created in the future by
        O(target_roles); O(objects) then names the object kinds.
    type: str
    choices: [column, database, default_privileges, function, procedure, schema, sequence, table, type]
  roles:
    description:
      - Grantees. V(PUBLIC) (any case) is the pseudo-role PUBLIC.
    type: list
    elements: str
  privileges:
    description:
      - Privileges, for example V(SELECT), V(INSERT), V(USAGE), V(CONNECT), or V(ALL).
      - Required with O(state=present) and O(state=exact); with O(state=exact) an empty list
        revokes everything the grantees hold on the objects. Defaults to V(ALL) with O(state=absent).
    type: list
    elements: str
  objects:
    description:
      - Names of the objects, taken literally (no quoting, no case folding).
      - Functions and procedures as V(name(argument types)), for example V(f(integer, text)).
        The server resolves the signature, so V(f(int4, varchar)), V(f(integer, character varying))
        and V(f(a integer, b varchar)) are the same function. Only type names, argument names and
        modes, commas, dots, brackets and parentheses are accepted in the argument list (any
        character inside double quotes); anything else fails the task naming the option.
      - With O(type=column) the tables whose O(columns) are meant.
      - With O(type=default_privileges) the kinds V(tables), V(sequences), V(functions),
        V(types), V(schemas).
    type: list
    elements: str
  schema:
    description:
      - Schema of the objects, default V(public). Not used with O(type=database) and O(type=schema).
      - With O(type=default_privileges) limits the default privileges to objects created in
        this schema; unset means all schemas.
    type: str
  all_in_schema:
    description:
      - Every table (including views and foreign tables), sequence, function or procedure of
        O(schema) at the time of the run, instead of O(objects). Use default privileges for
        objects created later.
    type: bool
  columns:
    description:
      - Column names, with O(type=column).
    type: list
    elements: str
  target_roles:
    description:
      - With O(type=default_privileges) the roles whose future objects are covered
        (C(FOR ROLE)). Default is the connecting role.
    type: list
    elements: str
  grant_option:
    description:
      - V(true) grants WITH GRANT OPTION; V(false) removes the grant option (and keeps the privilege);
        unset leaves it as it is, except with O(state=exact) where unset means V(false).
      - With O(state=absent), V(true) revokes only the grant option.
    type: bool
  state:
    description:
      - V(present) grants missing privileges. V(absent) revokes the given privileges.
      - V(exact) makes the declared privileges authoritative for each grantee on each object;
        privileges they hold that are not declared are revoked, nothing else is touched
        (other grantees and other objects keep their privileges). Default V(present).
      - Grants made by other grantors are revoked as those grantors (C(SET ROLE)).
    type: str
    choices: [present, absent, exact]
extends_documentation_fragment:
  - pgwarden.postgresql.connection
  - pgwarden.postgresql.search_path
attributes:
  check_mode:
    description: Predicts exactly the statements a real run executes, and executes none of them.
    support: full
  diff_mode:
    description: Shows the objects that change, before and after.
    support: full
notes:
  - Missing objects, schemas or roles fail the task before anything changes, except with
    O(state=absent), where there is nothing to revoke.
  - A role literally named C(PUBLIC) (upper case) cannot be a grantee; the name means the pseudo-role.
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Read-only reporting on every table of schema app, now and later
  pgwarden.postgresql.grant:
    login_db: appdb
    grants:
      - {type: schema, objects: [app], roles: [reporting], privileges: [USAGE]}
      - {type: table, schema: app, all_in_schema: true, roles: [reporting], privileges: [SELECT], state: exact}
      - {type: default_privileges, schema: app, target_roles: [migrator], objects: [tables],
         roles: [reporting], privileges: [SELECT]}
  become: true
  become_user: postgres

- name: Lock PUBLIC out of the database and schema public
  pgwarden.postgresql.grant:
    login_db: appdb
    grants:
      - {type: database, objects: [appdb], roles: [PUBLIC], privileges: [ALL], state: absent}
      - {type: schema, objects: [public], roles: [PUBLIC], privileges: [CREATE], state: absent}
  become: true
  become_user: postgres

- name: Column privilege
  pgwarden.postgresql.grant:
    login_db: appdb
    type: column
    schema: app
    objects: [customers]
    columns: [email]
    privileges: [UPDATE]
    roles: [support]
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
    - GRANT SELECT ON TABLE "app"."orders", "app"."customers" TO "reporting"
    - REVOKE CONNECT, TEMPORARY ON DATABASE "appdb" FROM PUBLIC
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import DatabaseError, connection_argument_spec
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.converge import converge
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_model import GRANT_OPTIONS, desired_grants
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_plan import plan_grants
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_read import (
    parse_snapshot, resolve_routines, routine_error, snapshot_params, snapshot_query)

ARGUMENT_SPEC = connection_argument_spec(
    grants=dict(type='list', elements='dict', options=GRANT_OPTIONS),
    search_path=dict(type='list', elements='str', default=['public']),
    **GRANT_OPTIONS
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)

    def read_and_plan(conn):
        desired = desired_grants(module.params, conn.server_version)
        params = snapshot_params(desired)
        try:
            params['fn_oid'] = resolve_routines(conn, params, module.params['search_path'])
            doc = read_one(conn, snapshot_query(), params)
        except DatabaseError:
            error = routine_error(conn, desired, module.params['search_path'])
            if error is not None:
                raise error
            raise
        plan = plan_grants(parse_snapshot(doc, conn.server_version), desired)
        before, after = plan.diff
        return plan.statements, before, after

    converge(module, read_and_plan, what='the privileges')


if __name__ == '__main__':
    main()
