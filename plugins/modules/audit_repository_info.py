#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: audit_repository_info
short_description: Read-only backup facts of a pgBackRest repository host, for audit_info
version_added: 0.1.0
description:
  - Reads, on a pgBackRest repository host, what M(pgwarden.postgresql.audit_info) needs to judge the backups of
    the database hosts whose repositories live there - the stanzas and repositories of its pgbackrest.conf with
    their retention (never the passphrases), C(pgbackrest info) of each stanza (run with C(--stanza)), and the
    restore test status file the C(pgwarden.postgresql.pgbackrest) role writes there.
  - Give the result's RV(repository) to audit_info's O(pgwarden.postgresql.audit_info#module:repositories);
    C(playbooks/audit.yml) does that for the hosts of group C(pgbackrest_repo).
  - Changes nothing; check mode is the same run.
options:
  names:
    description:
      - Names this host is known by in the database hosts' C(repoN-host) (the inventory name, its address);
        the host's own name and fully qualified name are added.
    type: list
    elements: str
    default: []
  pgbackrest_command:
    description: The pgBackRest executable.
    type: str
    default: pgbackrest
  pgbackrest_config:
    description: The repository host's pgBackRest configuration.
    type: path
    default: /etc/pgbackrest/pgbackrest.conf
  restore_test_status_file:
    description: The restore test status file; unset means the C(status_file) of O(restore_test_config).
    type: path
  restore_test_config:
    description: The restore test's settings written by the pgbackrest role.
    type: path
    default: /etc/pgwarden/restore-test.json
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
- name: Read the repository host's backup facts
  pgwarden.postgresql.audit_repository_info:
    names: ["{{ inventory_hostname }}"]
  become: true
  become_user: postgres
  register: repo_facts

- name: Audit a member with them
  pgwarden.postgresql.audit_info:
    repositories: ["{{ hostvars['backup1'].repo_facts.repository }}"]
  become: true
  become_user: postgres
'''

RETURN = r'''
repository:
  description:
    - C(names), C(pgbackrest_config), C(stanzas), C(pgbackrest_repos) (repo, off_host, host, path, location,
      retention_full), C(pgbackrest) (C(items) per stanza, C(error)) and C(restore_test) (C(status), C(path) or C(error)).
  returned: always
  type: dict
not_visible:
  description: What could not be read, and how to see it.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_backup import read_repository

ARGUMENT_SPEC = dict(
    names=dict(type='list', elements='str', default=[]),
    pgbackrest_command=dict(type='str', default='pgbackrest'),
    pgbackrest_config=dict(type='path', default='/etc/pgbackrest/pgbackrest.conf'),
    restore_test_status_file=dict(type='path'),
    restore_test_config=dict(type='path', default='/etc/pgwarden/restore-test.json'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    facts, not_visible = read_repository(module.params)
    module.exit_json(changed=False, repository=facts, not_visible=not_visible)


if __name__ == '__main__':
    main()
