#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: patroni_switchover
short_description: Planned switchover of a Patroni cluster to a named or the best healthy replica
version_added: 0.1.0
description:
  - Moves the leader to O(candidate), or to the healthy replica with the least lag, now or at
    O(scheduled_at), through C(POST /switchover), then waits until the new leader accepts writes
    (its C(GET /primary) answers 200 and C(/cluster) names it leader).
  - Refuses, before anything is sent, when no replica is healthy, when the named candidate is empty, not a
    member or not a healthy replica (running or streaming, no C(nofailover) tag, known lag), when its
    lag is over O(maximum_lag), when C(/cluster) shows more than one leader, or when O(scheduled_at) is
    malformed or in the past.
  - Idempotent when O(candidate) already leads, or when the same switchover is already scheduled.
options:
  candidate:
    description:
      - Member that becomes the leader. Unset means the healthy replica with the least lag
        (a synchronous standby first), or for a scheduled switchover the one Patroni picks at that time.
        An empty name is refused.
    type: str
  scheduled_at:
    description:
      - When to switch over, ISO 8601 with a time zone, for example C(2026-12-24T03:00:00+00:00).
        Unset means now. The module returns once Patroni accepted the schedule. A time that is not a
        real date, has no time zone or is in the past is refused before anything is sent.
    type: str
  maximum_lag:
    description:
      - Largest replication lag, in bytes, a candidate may have.
    type: int
  wait_timeout:
    description:
      - Seconds to wait for the new leader to accept writes.
    type: int
    default: 60
extends_documentation_fragment:
  - pgwarden.postgresql.patroni
attributes:
  check_mode:
    description: Checks the candidate and returns the request that would be sent.
    support: full
  diff_mode:
    description: The leader before and after.
    support: full
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Switch over to db2 if it lags less than 1 MiB
  pgwarden.postgresql.patroni_switchover:
    api_url: [https://db1:8008, https://db2:8008, https://db3:8008]
    api_username: patroni
    api_password: "{{ vault_patroni_api_password }}"
    candidate: db2
    maximum_lag: 1048576
  delegate_to: localhost
  run_once: true

- name: Switch over to the best replica at 03:00 UTC
  pgwarden.postgresql.patroni_switchover:
    api_url: [https://db1:8008]
    api_username: patroni
    api_password: "{{ vault_patroni_api_password }}"
    scheduled_at: "2026-12-24T03:00:00+00:00"
'''

RETURN = r'''
old_leader:
  description: Leader before the switchover.
  returned: always
  type: str
new_leader:
  description: Leader afterwards (the candidate; for a scheduled switchover the candidate or null).
  returned: always
  type: str
elapsed_seconds:
  description: Seconds from the request until the new leader accepted writes (null when nothing was done or scheduled).
  returned: always
  type: float
scheduled_at:
  description: The time the switchover is scheduled for, null when it ran now.
  returned: always
  type: str
requests:
  description: Every request (method, url, body, status, sent).
  returned: always
  type: list
  elements: dict
'''

import datetime
import re
import time

from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import (
    PatroniApi, PatroniApiError, PatroniModule, patroni_argument_spec, wait_writable)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import plan_switchover
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = patroni_argument_spec(
    candidate=dict(type='str'),
    scheduled_at=dict(type='str'),
    maximum_lag=dict(type='int'),
    wait_timeout=dict(type='int', default=60),
)
_ISO = re.compile(r'^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6})\d*)?)?(Z|([+-])(\d\d):?(\d\d))$')


def scheduled_time_problem(text, now=None):
    """Why `text` cannot be a switchover time (None when it can): not ISO 8601 with a time zone, not a real
    date, or not in the future."""
    match = _ISO.match(text)
    if not match:
        return '%r is not an ISO 8601 time with a time zone (2026-12-24T03:00:00+00:00)' % text
    g = match.groups()
    try:
        offset = datetime.timedelta(0) if g[7] == 'Z' else \
            (1 if g[8] == '+' else -1) * datetime.timedelta(hours=int(g[9]), minutes=int(g[10]))
        when = datetime.datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5] or 0),
                                 int((g[6] or '0').ljust(6, '0')), tzinfo=datetime.timezone(offset))
    except ValueError as e:
        return '%r is not a real time (%s)' % (text, e)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if when <= now:
        return '%s is in the past (now %s): a switchover can be scheduled only for a later time' % (
            text, now.replace(microsecond=0).isoformat())
    return None


def main():
    module = PatroniModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    for option in ('maximum_lag', 'wait_timeout'):
        if p[option] is not None and p[option] < 0:
            module.fail_json(msg='%s: must be 0 or more' % option)
    if p['candidate'] is not None and not p['candidate'].strip():
        module.fail_json(msg='candidate: is empty: name a member, or leave it unset for the best healthy replica',
                         option='candidate')
    problem = p['scheduled_at'] is not None and scheduled_time_problem(p['scheduled_at'])
    if problem:
        module.fail_json(msg='scheduled_at: %s' % problem, option='scheduled_at')
    api = PatroniApi(module)
    try:
        cluster, member_list = api.cluster_members()
        old, new = plan_switchover(member_list, p['candidate'], p['maximum_lag'], scheduled=bool(p['scheduled_at']))
        if new and new != old and not p['scheduled_at']:
            api.member_url([m for m in member_list if m['name'] == new][0])  # waited on after the switchover
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option, requests=api.requests)
    except PatroniApiError as e:
        module.fail_json(msg=str(e), status=e.status, requests=api.requests)
    result = dict(old_leader=old, new_leader=new, elapsed_seconds=None, scheduled_at=p['scheduled_at'],
                  diff=dict(before=dict(leader=old), after=dict(leader=new or '(chosen by Patroni)')))
    scheduled = cluster.get('scheduled_switchover') or {}
    if old == new or (p['scheduled_at'] and scheduled.get('from') == old and scheduled.get('to') == new
                      and scheduled.get('at') == p['scheduled_at']):
        result['diff']['after'] = result['diff']['before']
        module.exit_json(changed=False, requests=api.requests, **result)
    body = dict(leader=old)
    if new:
        body['candidate'] = new
    if p['scheduled_at']:
        body['scheduled_at'] = p['scheduled_at']
    start = time.time()
    try:
        api.cluster_write('POST', '/switchover', body, max(p['timeout'], p['wait_timeout']))
    except PatroniApiError as e:
        module.fail_json(msg='Patroni refused the switchover: %s' % e, status=e.status, requests=api.requests, **result)
    if not module.check_mode and not p['scheduled_at']:
        try:
            waited = wait_writable(api, new, p['wait_timeout'])
        except PatroniApiError as e:  # the candidate's URL became one the module does not contact
            module.fail_json(msg='the switchover was sent, but waiting for %s failed: %s' % (new, e), changed=True,
                             requests=api.requests, **result)
        if waited is None:
            module.fail_json(msg='wait_timeout: %s did not accept writes within %d s after the switchover'
                             % (new, p['wait_timeout']), changed=True, requests=api.requests, **result)
        result['elapsed_seconds'] = round(time.time() - start, 1)
    module.exit_json(changed=True, requests=api.requests, **result)


if __name__ == '__main__':
    main()
