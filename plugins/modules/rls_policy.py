#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: rls_policy
short_description: Row-level security of a PostgreSQL table - ENABLE/FORCE and policies
version_added: 0.1.0
description:
  - Enables or forces row-level security on a table and creates, alters or drops its policies
    (command, PERMISSIVE or RESTRICTIVE, roles, USING, WITH CHECK), in one transaction.
  - Idempotent by comparing with the catalog as the server prints it (C(pg_get_expr)). Declared
    expressions that differ as text from the stored ones are deparsed by the server itself,
    through probe policies on a temporary copy of the table (C(CREATE TEMP TABLE ... (LIKE table)))
    created in a savepoint of the read transaction and rolled back, so
    V(tenant_id = current_setting('app.tenant_id')::int) and the server's rewriting of it compare equal.
    The connecting role needs the C(TEMPORARY) privilege on the database for that.
  - A run with nothing to change, and a check-mode run, only read the table (C(ACCESS SHARE) lock);
    the C(ACCESS EXCLUSIVE) lock of C(CREATE POLICY) and C(ALTER TABLE) is taken only to change
    something, and O(lock_timeout) bounds the wait for it.
  - Check mode and diff come from the same plan; check mode commits nothing.
  - Roles listed together with V(PUBLIC) are redundant; the policy is stored, and compared, as
    V(PUBLIC) alone, as PostgreSQL does.
  - The table is in the database given by O(login_db).
options:
  table:
    description: Name of the table, taken literally.
    type: str
    required: true
  schema:
    description: Schema of the table.
    type: str
    default: public
  enable:
    description: C(ENABLE) (V(true)) or C(DISABLE) (V(false)) row-level security. Unset leaves it as it is.
    type: bool
  force:
    description:
      - C(FORCE) (V(true)) or C(NO FORCE) (V(false)) row-level security, which applies the policies
        to the table owner too. Unset leaves it as it is.
    type: bool
  exclusive:
    description: Drop policies of the table that are not in O(policies).
    type: bool
    default: false
  policies:
    description:
      - Policies of the table.
      - Expressions are SQL. Before an expression is placed into any statement, the server parses it
        alone, received as a quoted literal, as one boolean expression on the table, where a second
        statement is refused before anything runs; a semicolon, a comment, an unterminated quote or
        unbalanced parentheses are refused as well, so an expression cannot reach beyond its clause.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      command:
        description: Command the policy applies to.
        type: str
        choices: [all, delete, insert, select, update]
        default: all
      permissive:
        description: V(true) for PERMISSIVE (combined with OR), V(false) for RESTRICTIVE (combined with AND).
        type: bool
        default: true
      roles:
        description: Roles the policy applies to; default V(PUBLIC).
        type: list
        elements: str
      using:
        description: The USING expression (rows visible / affected).
        type: str
      with_check:
        description: The WITH CHECK expression (rows that may be written).
        type: str
      state:
        description: Whether the policy should exist.
        type: str
        choices: [present, absent]
        default: present
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
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Tenant isolation keyed on a session setting
  pgwarden.postgresql.rls_policy:
    login_db: appdb
    schema: app
    table: orders
    enable: true
    force: true
    policies:
      - name: tenant_isolation
        roles: [app_rw, app_ro]
        using: "tenant_id = current_setting('app.tenant_id', true)::integer"
        with_check: "tenant_id = current_setting('app.tenant_id', true)::integer"
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
    - ALTER TABLE "app"."orders" ENABLE ROW LEVEL SECURITY
    - CREATE POLICY "tenant_isolation" ON "app"."orders" AS PERMISSIVE FOR ALL TO "app_rw" USING (tenant_id = 1)
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connection_argument_spec
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.converge import converge
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.rls_plan import (
    POLICY_OPTIONS, desired_policies, needs_probe, plan_rls)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.rls_read import (
    SNAPSHOT, ProbeError, declared_expressions, parse_snapshot, probe, snapshot_params, validate_expressions)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError, Statement, user_search_path

ARGUMENT_SPEC = connection_argument_spec(
    table=dict(type='str', required=True),
    schema=dict(type='str', default='public'),
    enable=dict(type='bool'),
    force=dict(type='bool'),
    exclusive=dict(type='bool', default=False),
    policies=dict(type='list', elements='dict', default=[], options=POLICY_OPTIONS),
    search_path=dict(type='list', elements='str', default=['public']),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params

    def read_and_plan(conn):
        desired = desired_policies(p['policies'])
        current = parse_snapshot(read_one(conn, SNAPSHOT, snapshot_params(p['schema'], p['table'], desired)))
        if current['table'] is None:
            raise PlanError('table', 'table %r.%r does not exist' % (p['schema'], p['table']))
        try:
            with conn.cursor() as cur:
                validate_expressions(cur, p['schema'], p['table'], declared_expressions(desired), p['search_path'])
                normalised = probe(cur, p['schema'], p['table'], needs_probe(current, desired), p['search_path'])
        except ProbeError as e:
            exprs = [o for o in ('using', 'with_check') if e.policy[o] is not None]
            where = e.policy['where'] + exprs[0] if len(exprs) == 1 else e.policy['where'].rstrip('.')
            raise PlanError(where, 'the server refused policy %r, nothing was changed: %s' % (e.policy['name'], e.error))
        statements, before, after = plan_rls(current, desired, p, normalised)
        if statements:  # the declared expressions resolve as they did in the probe
            statements = [Statement(user_search_path(p['search_path']))] + statements
        return statements, before, after

    converge(module, read_and_plan, what='the policies')


if __name__ == '__main__':
    main()
