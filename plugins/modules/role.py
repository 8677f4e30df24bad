#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: role
short_description: Create, alter and drop PostgreSQL roles, one or a thousand per task
version_added: 0.1.0
description:
  - Converges PostgreSQL roles to a declared state - attributes, password, memberships
    and per-role settings - reading the catalogs once per run whatever the number of roles.
  - All changes of a run are applied in one transaction; if any statement fails, nothing changes.
  - Clear-text passwords are hashed to SCRAM-SHA-256 on the managed host, so the clear text
    never reaches the server or its log. The stored verifier is compared with the given
    password, so a re-run with the same password reports no change.
  - Check mode and diff come from the same plan as the real run; check mode executes no
    statement that changes anything.
options:
  name:
    description:
      - Name of a single role. Mutually exclusive with O(roles); the role options below
        then apply to this role.
    type: str
  roles:
    description:
      - Batch form. A list of roles, each a dict of the role options (with C(name)
        required). Converged in one task with a constant number of catalog queries.
      - The top-level role options other than O(update_password) cannot be combined with O(roles).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the role.
        type: str
        required: true
      state:
        description: Whether the role should exist; V(present) when not given.
        type: str
        choices: [present, absent]
      login:
        description: See O(login).
        type: bool
      superuser:
        description: See O(superuser).
        type: bool
      createdb:
        description: See O(createdb).
        type: bool
      createrole:
        description: See O(createrole).
        type: bool
      replication:
        description: See O(replication).
        type: bool
      bypassrls:
        description: See O(bypassrls).
        type: bool
      inherit:
        description: See O(inherit).
        type: bool
      connection_limit:
        description: See O(connection_limit).
        type: int
      valid_until:
        description: See O(valid_until).
        type: str
      password:
        description: See O(password).
        type: str
      update_password:
        description: See O(update_password); defaults to the top-level value.
        type: str
        choices: [always, on_create]
      member_of:
        description: See O(member_of).
        type: list
        elements: raw
      settings:
        description: See O(settings).
        type: dict
      database_settings:
        description: See O(database_settings).
        type: dict
  exclusive:
    description:
      - Make the declared list authoritative. Roles that are not declared are dropped,
        memberships and settings of declared roles that are not declared are revoked/reset.
      - Never drops the connecting role, the bootstrap superuser or predefined C(pg_*) roles.
      - With no role declared present (O(roles) empty or missing, or only V(absent) entries)
        the task fails before anything changes, unless O(allow_empty_exclusive=true), so that
        a list that ended up empty by mistake (a C(default([])) filter) never drops every role.
    type: bool
    default: false
  allow_empty_exclusive:
    description:
      - With O(exclusive=true), allow a declaration with no role present, which drops every
        role that is not protected. Only set it when that is really meant.
    type: bool
    default: false
  state:
    description: Whether the role should exist; V(present) when not given.
    type: str
    choices: [present, absent]
  login:
    description: LOGIN attribute. Unset means unmanaged (CREATE ROLE defaults to NOLOGIN).
    type: bool
  superuser:
    description: SUPERUSER attribute.
    type: bool
  createdb:
    description: CREATEDB attribute.
    type: bool
  createrole:
    description: CREATEROLE attribute.
    type: bool
  replication:
    description: REPLICATION attribute.
    type: bool
  bypassrls:
    description: BYPASSRLS attribute.
    type: bool
  inherit:
    description: INHERIT attribute.
    type: bool
  connection_limit:
    description: CONNECTION LIMIT; V(-1) means no limit.
    type: int
  valid_until:
    description:
      - VALID UNTIL, any timestamp PostgreSQL accepts, or V(infinity).
      - Compared after the server has parsed it, so V(2030-01-01) is idempotent.
    type: str
  password:
    description:
      - The password. A clear text is hashed to SCRAM-SHA-256 before it is sent.
      - A value starting with C(SCRAM-SHA-256$) or C(md5) followed by 32 hex digits is
        taken as a pre-computed verifier and stored as is.
      - An empty string removes the password (PASSWORD NULL).
    type: str
  update_password:
    description:
      - V(always) sets the password when it differs from the stored one;
        V(on_create) sets it only when the role is created.
      - At the top level it is the default for every element of O(roles).
    type: str
    choices: [always, on_create]
    default: always
  member_of:
    description:
      - Roles this role is a member of. Each entry is a role name or a dict with
        C(name), C(admin) (default false), and on PostgreSQL 16 or later C(inherit)
        and C(set).
      - Additive unless O(exclusive=true); then memberships not listed are revoked.
    type: list
    elements: raw
  settings:
    description:
      - Parameters set for the role in every database (C(ALTER ROLE ... SET)).
      - Names are case-insensitive, as in PostgreSQL (V(TimeZone) and V(timezone) are one parameter).
      - A null value resets the parameter.
      - A list is one item per element; for list parameters such as C(search_path) each item
        is quoted by the server, so V(["my,schema", public]) is stored as C("my,schema", public).
        Text is taken as the server writes it (V("$user", public)). Dict values are refused.
    type: dict
  database_settings:
    description:
      - Parameters per database, a dict of database name to a dict of parameters
        (C(ALTER ROLE ... IN DATABASE ... SET)).
    type: dict
extends_documentation_fragment:
  - pgwarden.postgresql.connection
attributes:
  check_mode:
    description: Predicts exactly the statements a real run executes, and executes none of them.
    support: full
  diff_mode:
    description: Shows each changed role before and after (no password, only whether one is set).
    support: full
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: An application group and its login role
  pgwarden.postgresql.role:
    roles:
      - name: app_rw
      - name: app
        login: true
        password: "{{ vault_app_password }}"
        valid_until: "2027-06-30"
        connection_limit: 50
        member_of: [app_rw]
        settings:
          statement_timeout: 30s
  become: true
  become_user: postgres

- name: Drop a role
  pgwarden.postgresql.role:
    name: legacy_app
    state: absent
  become: true
  become_user: postgres
'''

RETURN = r'''
queries:
  description: Statements executed, or that would be executed in check mode; passwords masked.
  returned: always
  type: list
  elements: str
  sample:
    - CREATE ROLE "app" WITH LOGIN PASSWORD '********'
    - GRANT "app_rw" TO "app"
created:
  description: Roles created.
  returned: always
  type: list
  elements: str
altered:
  description: Existing roles whose attributes, password, memberships or settings changed.
  returned: always
  type: list
  elements: str
dropped:
  description: Roles dropped.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connection_argument_spec
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.converge import converge
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_model import ROLE_OPTIONS, desired_roles
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_plan import plan_roles
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_read import (
    check_valid_until, parse_snapshot, snapshot_params, snapshot_query)

ARGUMENT_SPEC = connection_argument_spec(**ROLE_OPTIONS)
ARGUMENT_SPEC.update(
    roles=dict(type='list', elements='dict', options=dict(ROLE_OPTIONS, name=dict(type='str', required=True))),
    exclusive=dict(type='bool', default=False),
    allow_empty_exclusive=dict(type='bool', default=False),
    update_password=dict(type='str', choices=['always', 'on_create'], default='always', no_log=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=[('name', 'roles')])

    def read_and_plan(conn):
        superuser = conn.get_parameter_status('is_superuser') == 'on'
        desired = desired_roles(module.params, conn.server_version)
        check_valid_until(conn, desired)
        params = snapshot_params(desired, module.params['exclusive'])
        doc = read_one(conn, snapshot_query(conn.server_version, superuser), params)
        plan = plan_roles(parse_snapshot(doc, superuser), desired, exclusive=module.params['exclusive'])
        if not superuser and any(r.get('password') for r in desired):
            module.warn('Not connected as a superuser: stored passwords cannot be read, so they are set on every run.')
        return plan.statements, plan.before, plan.after, dict(created=plan.created, altered=plan.altered,
                                                              dropped=plan.dropped)

    converge(module, read_and_plan, what='the roles')


if __name__ == '__main__':
    main()
