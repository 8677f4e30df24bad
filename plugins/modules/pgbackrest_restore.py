#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: pgbackrest_restore
short_description: Restore a pgBackRest backup into a data directory, to a point in time if asked
version_added: 0.1.0
description:
  - Runs C(pgbackrest restore) into O(data_dir) - the cluster's own directory (with
    O(delta=true), PostgreSQL stopped) or an empty scratch directory, for example to verify
    a backup or fetch data as it was at a point in time.
  - Every option is checked before anything runs; a recovery target type without a target,
    a target without a target type, or a non-empty directory without O(delta) is refused.
  - Never touches the data directory of a running PostgreSQL - the module finds its
    C(postmaster.pid) with a live process and fails.
  - The module does not start PostgreSQL; recovery runs when the cluster is started.
options:
  data_dir:
    description:
      - Data directory to restore into (C(--pg1-path)). Created (mode 0700) when missing.
    type: path
    required: true
  delta:
    description: Restore over an existing directory, rewriting only the files that differ (C(--delta)).
    type: bool
    default: false
  force:
    description: C(--force) - with O(delta), decide by size and time stamp instead of checksums.
    type: bool
    default: false
  set:
    description: Backup label to restore; unset means the newest one that fits the target.
    type: str
  target_type:
    description:
      - Recovery type. V(default) replays all archived WAL. V(immediate) stops as soon as the
        backup is consistent. V(time), V(lsn), V(xid), V(name) stop at O(target).
    type: str
    choices: [default, immediate, time, lsn, xid, name]
    default: default
  target:
    description:
      - Recovery target, required with O(target_type) V(time) (for example
        V(2026-01-31 12:00:00+00)), V(lsn), V(xid) or V(name), refused otherwise.
    type: str
  target_action:
    description: What PostgreSQL does when the target is reached; needs a O(target_type) other than V(default).
    type: str
    choices: [pause, promote, shutdown]
  target_exclusive:
    description: Stop just before the target instead of just after it (time, lsn, xid).
    type: bool
    default: false
  target_timeline:
    description: Timeline to recover along - V(current), V(latest) or a number.
    type: str
  archive_mode:
    description:
      - V(off) disables WAL archiving on the restored cluster (C(--archive-mode=off)), so a
        scratch copy never pushes WAL into the production repository.
    type: str
    choices: [preserve, 'off']
    default: preserve
  repo:
    description: Repository to restore from; unset means the first one holding a fitting backup.
    type: int
  db_include:
    description: Restore only these databases (the others are restored as sparse, unusable files).
    type: list
    elements: str
  recovery_options:
    description: Extra recovery settings written by pgBackRest (C(--recovery-option=key=value)).
    type: dict
extends_documentation_fragment:
  - pgwarden.postgresql.pgbackrest
attributes:
  check_mode:
    description: Validates every option and the target directory and reports the restore command; restores nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Restore into a scratch directory as of a point in time, without archiving
  pgwarden.postgresql.pgbackrest_restore:
    stanza: main
    data_dir: /var/lib/postgresql/scratch
    target_type: time
    target: "2026-01-31 12:00:00+00"
    target_action: promote
    archive_mode: "off"
  become: true
  become_user: postgres

- name: Point-in-time restore of the stopped cluster's own directory
  pgwarden.postgresql.pgbackrest_restore:
    stanza: main
    data_dir: /var/lib/postgresql/15/main
    delta: true
    target_type: time
    target: "{{ restore_target }}"
    target_action: promote
  become: true
  become_user: postgres
'''

RETURN = r'''
commands:
  description: pgBackRest commands run, or that would run in check mode; secrets masked.
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/pgbackrest --stanza=main --log-level-console=info --pg1-path=/srv/scratch --type=immediate restore"]
backup_label:
  description: Label of the backup set pgBackRest restored.
  returned: when a restore ran
  type: str
  sample: 20260101-010000F
duration_seconds:
  description: Wall-clock duration of the restore command.
  returned: when a restore ran
  type: float
'''

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_plan import plan_restore
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_runner import (
    RunError, Runner, data_dir_state, pgbackrest_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = pgbackrest_argument_spec(
    data_dir=dict(type='path', required=True),
    delta=dict(type='bool', default=False),
    force=dict(type='bool', default=False),
    set=dict(type='str'),
    target_type=dict(type='str', choices=['default', 'immediate', 'time', 'lsn', 'xid', 'name'], default='default'),
    target=dict(type='str'),
    target_action=dict(type='str', choices=['pause', 'promote', 'shutdown']),
    target_exclusive=dict(type='bool', default=False),
    target_timeline=dict(type='str'),
    archive_mode=dict(type='str', choices=['preserve', 'off'], default='preserve'),
    repo=dict(type='int'),
    db_include=dict(type='list', elements='str'),
    recovery_options=dict(type='dict'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    runner = None
    try:
        args = plan_restore(p, data_dir_state(p['data_dir']))
        runner = Runner(module)
        if p['archive_mode'] == 'preserve':  # pgBackRest's default: leave the option off the command line
            args = [a for a in args if a != '--archive-mode=preserve']
        if not module.check_mode and not os.path.isdir(p['data_dir']):
            os.makedirs(p['data_dir'], 0o700)
        start = time.time()
        _out, err = runner.run('restore', ['--log-level-console=info'] + args)
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option)
    except RunError as e:
        module.fail_json(msg=str(e), rc=e.rc, commands=runner.commands if runner else [], changed=True)
    except OSError as e:
        module.fail_json(msg='data_dir: cannot create %s: %s' % (p['data_dir'], e))
    if module.check_mode:
        module.exit_json(changed=True, commands=runner.commands)
    label = re.search(r'restore backup set (\S+)', _out + err)
    module.exit_json(changed=True, commands=runner.commands, backup_label=label.group(1).rstrip(',') if label else None,
                     duration_seconds=round(time.time() - start, 3))


if __name__ == '__main__':
    main()
