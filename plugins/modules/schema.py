#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: schema
short_description: Create, own and drop a schema in a PostgreSQL database
version_added: 0.1.0
description:
  - Creates a schema with its owner in the database given by O(login_db), changes the owner,
    or drops it. One catalog query per run; check mode and diff come from the same plan.
options:
  name:
    description: Name of the schema, taken literally.
    type: str
    required: true
  owner:
    description: Owner of the schema. Unset means the connecting role on creation and unmanaged later.
    type: str
  cascade:
    description: With O(state=absent), drop the objects in the schema too.
    type: bool
    default: false
  state:
    description: Whether the schema should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - pgwarden.postgresql.connection
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
- name: Schema of the application, owned by the migrator role
  pgwarden.postgresql.schema:
    login_db: appdb
    name: app
    owner: app_migrator
  become: true
  become_user: postgres
'''

RETURN = r'''
queries:
  description: Statements executed, or that would be executed in check mode.
  returned: always
  type: list
  elements: str
  sample: ['CREATE SCHEMA "app" AUTHORIZATION "app_migrator"']
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connection_argument_spec
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.dbobject_plan import SCHEMA_SNAPSHOT, plan_schema
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.simple_module import run

ARGUMENT_SPEC = connection_argument_spec(
    name=dict(type='str', required=True),
    owner=dict(type='str'),
    cascade=dict(type='bool', default=False),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, SCHEMA_SNAPSHOT, dict(name=module.params['name'], owner=module.params['owner']), plan_schema)


if __name__ == '__main__':
    main()
