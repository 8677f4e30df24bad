#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: database
short_description: Create, own and drop a PostgreSQL database
version_added: 0.1.0
description:
  - Creates a database with its owner, encoding and locale, changes the owner of an existing
    one, or drops it. One catalog query per run; check mode and diff come from the same plan.
  - C(CREATE DATABASE) and C(DROP DATABASE) cannot run in a transaction and run on their own.
  - Encoding and locale are set only on creation; a different value for an existing database
    fails the task before anything changes.
options:
  name:
    description: Name of the database, taken literally.
    type: str
    required: true
  owner:
    description: Owner of the database. Unset means the connecting role on creation and unmanaged later.
    type: str
  template:
    description:
      - Template to copy on creation. Use V(template0) with an O(encoding) or locale different
        from the template's.
    type: str
  encoding:
    description: Encoding on creation, for example V(UTF8).
    type: str
  lc_collate:
    description: LC_COLLATE on creation.
    type: str
  lc_ctype:
    description: LC_CTYPE on creation.
    type: str
  state:
    description: Whether the database should exist. V(absent) drops it and everything in it.
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
- name: Application database owned by the migrator role
  pgwarden.postgresql.database:
    name: appdb
    owner: app_migrator
    encoding: UTF8
    template: template0
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
    - CREATE DATABASE "appdb" WITH OWNER "app_migrator" TEMPLATE "template0" ENCODING 'UTF8'
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connection_argument_spec
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.dbobject_plan import DATABASE_SNAPSHOT, plan_database
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.simple_module import run

ARGUMENT_SPEC = connection_argument_spec(
    name=dict(type='str', required=True),
    owner=dict(type='str'),
    template=dict(type='str'),
    encoding=dict(type='str'),
    lc_collate=dict(type='str'),
    lc_ctype=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    run(module, DATABASE_SNAPSHOT, dict(name=p['name'], owner=p['owner'], template=p['template']), plan_database)


if __name__ == '__main__':
    main()
