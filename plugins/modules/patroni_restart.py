#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: patroni_restart
short_description: Rolling restart of Patroni members with a pending restart, or reinit of a replica
version_added: 0.1.0
description:
  - Restarts the members whose PostgreSQL waits for a restart (Patroni's C(pending_restart)) in a safe
    order - the replicas one at a time, then, with O(switchover), a switchover away from the leader, then
    the old leader - waiting after each step until the member runs again (C(POST /restart)).
  - With O(reinit), rebuilds that replica from the leader instead (C(POST /reinitialize)); the leader
    cannot be reinitialised.
  - Nothing pending means nothing to do (C(changed=false)).
options:
  members:
    description:
      - Restart only these members. Unset means every member.
    type: list
    elements: str
  pending_only:
    description:
      - Restart only members with a pending restart. V(false) restarts every selected member.
    type: bool
    default: true
  switchover:
    description:
      - Before restarting the leader, switch over to the healthy replica with the least lag, so writes
        stop for a switchover instead of a restart.
    type: bool
    default: false
  maximum_lag:
    description:
      - With O(switchover), the largest lag in bytes the new leader may have.
    type: int
  reinit:
    description:
      - Name of a replica to reinitialise (its data directory rebuilt from the leader). Excludes
        O(members) and O(switchover). An empty name is refused.
    type: str
  force:
    description:
      - With O(reinit), cancel a task Patroni is running on that member (Patroni's C(force)).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds each step may take until the member runs again (a reinit copies the whole database).
    type: int
    default: 300
extends_documentation_fragment:
  - pgwarden.postgresql.patroni
attributes:
  check_mode:
    description: Returns the plan (RV(actions)) and the requests that would be sent.
    support: full
  diff_mode:
    description: Not supported.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Restart what waits for a restart, replicas first, switching over away from the leader
  pgwarden.postgresql.patroni_restart:
    api_url: [https://db1:8008, https://db2:8008, https://db3:8008]
    api_username: patroni
    api_password: "{{ vault_patroni_api_password }}"
    switchover: true
  delegate_to: localhost
  run_once: true

- name: Rebuild a broken replica
  pgwarden.postgresql.patroni_restart:
    api_url: [https://db1:8008]
    api_username: patroni
    api_password: "{{ vault_patroni_api_password }}"
    reinit: db3
'''

RETURN = r'''
actions:
  description: The plan, in order; each step with C(action) (restart, switchover, reinit), C(member),
    C(url) (the REST API the request goes to, as C(/cluster) publishes it for a restart or reinit),
    C(candidate) for a switchover and, once done, C(seconds).
  returned: always
  type: list
  elements: dict
  sample: [{action: restart, member: db2, url: "https://db2:8008", seconds: 3.1},
           {action: switchover, member: db1, candidate: db2, url: "https://db1:8008"}]
leader:
  description: The leader afterwards (in check mode, as it would be).
  returned: always
  type: str
requests:
  description: Every request (method, url, body, status, sent).
  returned: always
  type: list
  elements: dict
'''

import time

from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import (
    PatroniApi, PatroniApiError, PatroniModule, patroni_argument_spec, wait_running, wait_writable)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import (
    leader, plan_reinit, plan_restart)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = patroni_argument_spec(
    members=dict(type='list', elements='str'),
    pending_only=dict(type='bool', default=True),
    switchover=dict(type='bool', default=False),
    maximum_lag=dict(type='int'),
    reinit=dict(type='str'),
    force=dict(type='bool', default=False),
    wait_timeout=dict(type='int', default=300),
)


def run_step(api, step, p, check_mode):
    url = step.get('url')
    slow = max(p['timeout'], p['wait_timeout'])  # Patroni answers a restart or switchover once it is done
    if step['action'] == 'switchover':
        api.cluster_write('POST', '/switchover', dict(leader=step['member'], candidate=step['candidate']), slow)
        return None if check_mode else wait_writable(api, step['candidate'], p['wait_timeout'])
    started = None if check_mode else api.get_json(url + '/patroni').get('postmaster_start_time')
    if step['action'] == 'restart':
        api.request('POST', url + '/restart', dict(restart_pending=True) if p['pending_only'] else {}, slow)
    else:
        api.request('POST', url + '/reinitialize', dict(force=p['force']))
    return None if check_mode else wait_running(api, step['member'], p['wait_timeout'], started)


def main():
    module = PatroniModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=[('reinit', 'members'), ('reinit', 'switchover')])
    p = module.params
    if p['reinit'] is not None and not p['reinit'].strip():
        module.fail_json(msg='reinit: is empty: name the replica to reinitialise', option='reinit')
    if p['wait_timeout'] < 1:
        module.fail_json(msg='wait_timeout: must be 1 or more seconds')
    if p['maximum_lag'] is not None and p['maximum_lag'] < 0:
        module.fail_json(msg='maximum_lag: must be 0 or more bytes')
    api = PatroniApi(module)
    try:
        member_list = api.cluster_members()[1]
        if p['reinit']:
            actions = plan_reinit(member_list, p['reinit'])
        else:
            actions = plan_restart(member_list, p['members'], p['pending_only'], p['switchover'], p['maximum_lag'])
        by_name = dict((m['name'], m) for m in member_list)
        for step in actions:  # every member contacted is checked before the first request is sent
            if step['action'] == 'switchover':  # sent to api_url; the candidate is waited on
                api.member_url(by_name[step['candidate']])
            else:
                step['url'] = api.member_url(by_name[step['member']], 'POST')
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option, requests=api.requests)
    except PatroniApiError as e:
        module.fail_json(msg=str(e), status=e.status, requests=api.requests)
    lead = leader(member_list)
    new_leader = lead['name'] if lead else None
    for done, step in enumerate(actions):
        start = time.time()
        try:
            seconds = run_step(api, step, p, module.check_mode)
        except PatroniApiError as e:
            module.fail_json(msg='%s of %s failed: %s' % (step['action'], step['member'], e), status=e.status,
                             actions=actions, requests=api.requests, changed=done > 0 or step['action'] == 'switchover')
        if not module.check_mode and seconds is None:
            module.fail_json(msg='wait_timeout: %s did not run again within %d s after %s' % (
                step.get('candidate') or step['member'], p['wait_timeout'], step['action']),
                actions=actions, requests=api.requests, changed=True)
        if not module.check_mode:
            step['seconds'] = round(time.time() - start, 1)
        if step['action'] == 'switchover':
            new_leader = step['candidate']
    module.exit_json(changed=bool(actions), actions=actions, leader=new_leader, requests=api.requests)


if __name__ == '__main__':
    main()
