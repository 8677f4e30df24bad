#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: pgbackrest_backup
short_description: Take a full, differential or incremental pgBackRest backup
version_added: 0.1.0
description:
  - Runs C(pgbackrest backup) and returns what pgBackRest recorded about the new backup
    (read back from C(pgbackrest info --output=json)) - label, type, sizes, WAL range, duration.
  - With O(max_age), no backup is taken when one of the requested type or a stronger one
    (full > diff > incr) finished less than O(max_age) ago, and the task reports no change;
    this makes "a full backup no older than a week" an idempotent task.
  - pgBackRest turns a diff or incr backup into a full one when no full backup exists;
    RV(backup.type) is the type actually taken.
options:
  type:
    description: Backup type.
    type: str
    choices: [full, diff, incr]
    default: incr
  max_age:
    description:
      - Skip the backup when a backup of this type or a stronger one finished less than this
        long ago. Seconds, or a number with a unit C(s), C(m), C(h), C(d), C(w) (V(7d)).
      - Unset means always take a backup.
    type: str
  start_fast:
    description:
      - Force a checkpoint so the backup starts at once (C(--start-fast)); V(false) waits for the
        next regular checkpoint (C(--no-start-fast)).
      - Always passed explicitly, so it overrides a C(start-fast) setting in C(pgbackrest.conf).
    type: bool
    default: true
  repo:
    description: Repository to back up to (C(--repo)); unset means pgBackRest's default (repo1).
    type: int
extends_documentation_fragment:
  - pgwarden.postgresql.pgbackrest
attributes:
  check_mode:
    description: Reads the repository and reports whether a backup would be taken; takes none.
    support: full
  diff_mode:
    description: Not supported.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: A full backup now
  pgwarden.postgresql.pgbackrest_backup:
    stanza: main
    type: full
  become: true
  become_user: postgres

- name: Make sure a full backup of at most a week exists
  pgwarden.postgresql.pgbackrest_backup:
    stanza: main
    type: full
    max_age: 7d
  become: true
  become_user: postgres
'''

RETURN = r'''
commands:
  description: pgBackRest commands run, or that would run in check mode; secrets masked.
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/pgbackrest --stanza=main --start-fast --type=full backup"]
skipped_reason:
  description: Why no backup was taken (a recent enough backup exists).
  returned: when no backup was needed
  type: str
backup:
  description: The new backup as recorded by pgBackRest (sizes in bytes, times in Unix seconds).
  returned: when a backup was taken
  type: dict
  contains:
    label: {description: Backup label, type: str, sample: 20260101-010000F}
    type: {description: 'Type actually taken: full, diff or incr', type: str}
    prior: {description: Label of the backup this one depends on, type: str}
    size: {description: Size of the database restored from this backup, type: int}
    delta: {description: Amount of database data in this backup, type: int}
    repository_size: {description: Size of the backup in the repository (compressed), type: int}
    repository_delta: {description: Repository space this backup added, type: int}
    wal_start: {description: First WAL segment needed to make the backup consistent, type: str}
    wal_stop: {description: Last WAL segment needed to make the backup consistent, type: str}
    lsn_start: {description: Start LSN, type: str}
    lsn_stop: {description: Stop LSN, type: str}
    started: {description: Start time, type: int}
    finished: {description: Stop time, type: int}
    duration_seconds: {description: Duration as recorded by pgBackRest, type: int}
    error: {description: Whether pgBackRest found page checksum errors, type: bool}
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_plan import (
    new_backup, parse_duration, plan_backup, stanza_entry, summarize)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_runner import (
    RunError, Runner, pgbackrest_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = pgbackrest_argument_spec(
    type=dict(type='str', choices=['full', 'diff', 'incr'], default='incr'),
    max_age=dict(type='str'),
    start_fast=dict(type='bool', default=True),
    repo=dict(type='int'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    runner = None
    try:
        max_age = parse_duration('max_age', p['max_age'])
        runner = Runner(module)
        extra = ['--repo=%d' % p['repo']] if p['repo'] else []
        before = stanza_entry(runner.info(extra), p['stanza'])
        if before is None or (before.get('status') or {}).get('code') in (1, 3):
            raise PlanError('stanza', 'stanza %r does not exist: create it first (pgbackrest_stanza)' % p['stanza'])
        args, reason = plan_backup(before, p['type'], max_age, int(time.time()), p['start_fast'])
        if args is None:
            module.exit_json(changed=False, commands=[], skipped_reason=reason)
        runner.run('backup', extra + args)
        if module.check_mode:
            module.exit_json(changed=True, commands=runner.commands)
        taken = new_backup(before, stanza_entry(runner.info(extra), p['stanza']))
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option)
    except RunError as e:
        module.fail_json(msg=str(e), rc=e.rc, commands=runner.commands if runner else [])
    if taken is None:
        module.fail_json(msg='pgBackRest reported success but no new backup is listed by pgbackrest info',
                         commands=runner.commands, changed=True)
    module.exit_json(changed=True, commands=runner.commands, backup=summarize(taken))


if __name__ == '__main__':
    main()
