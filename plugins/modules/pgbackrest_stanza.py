#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: pgbackrest_stanza
short_description: Create, upgrade or delete a pgBackRest stanza, then check it
version_added: 0.1.0
description:
  - Reads the stanza from C(pgbackrest info --output=json) and the cluster's version and
    system identifier from its control file, then decides. A missing stanza is created
    (C(stanza-create)), a stanza whose PostgreSQL version or system identifier no longer
    matches the cluster is upgraded (C(stanza-upgrade)), a healthy one is left alone.
  - After a change, and on every run with O(check=true), C(pgbackrest check) verifies that
    WAL archiving and backups work. The check changes nothing and does not make the task
    C(changed); a failing check fails the task.
  - With O(state=absent) the stanza is stopped and deleted (C(stop), C(stanza-delete), C(start)).
options:
  state:
    description: Whether the stanza should exist.
    type: str
    choices: [present, absent]
    default: present
  online:
    description:
      - Whether PostgreSQL is running and reachable. V(false) creates or upgrades the stanza
        from the data directory alone (C(--no-online)), for a stopped cluster; the check is
        then skipped.
      - On a standby pgBackRest needs the primary to be configured as well (C(pg2-*)) for an
        online check.
    type: bool
    default: true
  check:
    description: Run C(pgbackrest check) after the stanza is in place.
    type: bool
    default: true
  force:
    description:
      - With O(state=absent), delete the stanza even though PostgreSQL is running
        (C(stanza-delete --force)). All backups and archived WAL of the stanza are lost.
    type: bool
    default: false
extends_documentation_fragment:
  - pgwarden.postgresql.pgbackrest
attributes:
  check_mode:
    description: Reads the stanza and the cluster and reports the commands that would run; runs no command that changes anything, and not the check.
    support: full
  diff_mode:
    description: Shows the stanza state before and after.
    support: full
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: The stanza of the local cluster, created once and checked on every run
  pgwarden.postgresql.pgbackrest_stanza:
    stanza: main
  become: true
  become_user: postgres

- name: Create the stanza for a stopped cluster
  pgwarden.postgresql.pgbackrest_stanza:
    stanza: main
    online: false
  become: true
  become_user: postgres
'''

RETURN = r'''
commands:
  description: pgBackRest commands run, or that would run in check mode; secrets masked.
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/pgbackrest --stanza=main stanza-create", "/usr/bin/pgbackrest --stanza=main check"]
state_before:
  description: What the module found - V(missing), V(healthy) or V(needs-upgrade).
  returned: always
  type: str
  sample: missing
message:
  description: pgBackRest's status message for the stanza before any change.
  returned: always
  type: str
  sample: missing stanza path
cluster:
  description:
    - The cluster in C(pg1-path) as its control file describes it - C(version), C(system_id) and
      C(state) (V(in production) on a primary, V(in archive recovery) on a standby, V(shut down), ...).
    - Null when the data directory cannot be read (for example on a repository host).
  returned: with O(state=present)
  type: dict
  sample: {version: '15', system_id: 7710726934292846254, state: in production}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_plan import (
    plan_stanza, stanza_entry, stanza_state)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_runner import (
    RunError, Runner, config_option, pgbackrest_argument_spec, read_cluster)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = pgbackrest_argument_spec(
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    online=dict(type='bool', default=True),
    check=dict(type='bool', default=True),
    force=dict(type='bool', default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    runner, done, cluster = None, 0, None
    try:
        runner = Runner(module)
        entry = stanza_entry(runner.info(), p['stanza'])
        cluster = read_cluster(module, config_option(p, 'pg1-path')) if p['state'] == 'present' else None
        state, message = stanza_state(entry, cluster)
        changes, checks = plan_stanza(state, message, p['state'], online=p['online'], check=p['check'], force=p['force'])
        for command, args in changes:
            runner.run(command, args)
            done += 1
        for command, args in checks:
            runner.run(command, args)
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option)
    except RunError as e:
        module.fail_json(msg=str(e), rc=e.rc, commands=runner.commands, changed=done > 0)
    after = 'healthy' if p['state'] == 'present' else 'missing'
    module.exit_json(changed=bool(changes), commands=runner.commands, state_before=state, message=message, cluster=cluster,
                     diff=dict(before=dict(stanza=p['stanza'], state=state), after=dict(stanza=p['stanza'], state=after)))


if __name__ == '__main__':
    main()
