#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: pgbackrest_info
short_description: Facts about a pgBackRest stanza - backups, WAL range, repositories, backup age
version_added: 0.1.0
description:
  - Reads C(pgbackrest info --output=json) and returns it in a flat, documented form,
    including the age of the newest backup and of the newest full backup, which is what
    backup-freshness monitoring needs.
  - Changes nothing; runs the same in check mode.
options: {}
extends_documentation_fragment:
  - pgwarden.postgresql.pgbackrest
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Backups of the main stanza
  pgwarden.postgresql.pgbackrest_info:
    stanza: main
  become: true
  become_user: postgres
  register: backups

- name: Fail when the newest backup is older than two days
  ansible.builtin.assert:
    that: backups.newest_backup_age_seconds is not none and backups.newest_backup_age_seconds < 172800
'''

RETURN = r'''
exists:
  description: Whether the stanza exists in the repositories.
  returned: always
  type: bool
status:
  description: pgBackRest's status of the stanza (code 0 ok, 1 missing stanza path, 2 no valid backups, ...).
  returned: always
  type: dict
  sample: {code: 0, message: ok}
cipher:
  description: Repository cipher (C(none) or C(aes-256-cbc)).
  returned: when the stanza exists
  type: str
backups:
  description: Every backup, oldest first, with the keys of RV(newest_backup).
  returned: always
  type: list
  elements: dict
newest_backup:
  description: The newest backup (label, type, prior, size, delta, repository_size, repository_delta,
    wal_start, wal_stop, lsn_start, lsn_stop, started, finished, duration_seconds, error).
  returned: always
  type: dict
newest_backup_age_seconds:
  description: Seconds since the newest backup finished; null without backups.
  returned: always
  type: int
newest_full_age_seconds:
  description: Seconds since the newest full backup finished; null without one.
  returned: always
  type: int
wal:
  description: Archived WAL range per archive id (C(min), C(max) segment names).
  returned: always
  type: list
  elements: dict
  sample: [{id: 15-1, min: "000000010000000000000001", max: "000000010000000000000009"}]
repositories:
  description: Status of each repository (key, cipher, code, message).
  returned: always
  type: list
  elements: dict
database:
  description: The current database of the stanza (id, version, system-id).
  returned: when the stanza exists
  type: dict
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_plan import info_facts, stanza_entry
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_runner import (
    RunError, Runner, pgbackrest_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = pgbackrest_argument_spec()


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        entry = stanza_entry(Runner(module).info(), module.params['stanza'])
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option)
    except RunError as e:
        module.fail_json(msg=str(e), rc=e.rc)
    module.exit_json(changed=False, **info_facts(entry, int(time.time())))


if __name__ == '__main__':
    main()
