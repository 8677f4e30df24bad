#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: extension
short_description: Install, update, move and drop a PostgreSQL extension
version_added: 0.1.0
description:
  - Creates an extension in the database given by O(login_db), updates it to a version,
    moves it to a schema, or drops it. One catalog query per run; check mode and diff come
    from the same plan. An extension that is not available (package missing) fails before
    anything changes.
options:
  name:
    description: Name of the extension, for example V(pgaudit) or V(pg_stat_statements).
    type: str
    required: true
  schema:
    description:
      - Schema the extension's objects live in. Unset means the default on creation (the extension's own, or
        the first existing schema of O(search_path), as PostgreSQL chooses) and unmanaged later.
    type: str
  version:
    description:
      - Version to install or update to; V(latest) means the default version of the installed package.
        Unset means the default version on creation and unmanaged later.
    type: str
  cascade:
    description: Create required extensions too (O(state=present)), or drop dependent objects (O(state=absent)).
    type: bool
    default: false
  state:
    description: Whether the extension should be installed.
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
- name: pg_stat_statements in the application database
  pgwarden.postgresql.extension:
    login_db: appdb
    name: pg_stat_statements
    version: latest
  become: true
  become_user: postgres
'''

RETURN = r'''
queries:
  description: Statements executed, or that would be executed in check mode.
  returned: always
  type: list
  elements: str
  sample: ['CREATE EXTENSION "pgcrypto" WITH SCHEMA "ext"']
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connection_argument_spec
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.dbobject_plan import EXTENSION_SNAPSHOT, plan_extension
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.simple_module import run

ARGUMENT_SPEC = connection_argument_spec(
    name=dict(type='str', required=True),
    schema=dict(type='str'),
    version=dict(type='str'),
    cascade=dict(type='bool', default=False),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    search_path=dict(type='list', elements='str', default=['public']),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, EXTENSION_SNAPSHOT, dict(name=module.params['name'], schema=module.params['schema']), plan_extension)


if __name__ == '__main__':
    main()
