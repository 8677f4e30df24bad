#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: patroni_info
short_description: Members, leader and dynamic configuration of a Patroni cluster, from its REST API
version_added: 0.1.0
description:
  - Reads C(GET /cluster), C(GET /config) and each member's C(GET /patroni) and returns the members
    (name, role, state, host, timeline, lag, pending restart), the leader and the dynamic configuration.
  - Never parses C(patronictl) output. Changes nothing; runs the same in check mode.
  - Values of secret-looking keys of the configuration (C(password), C(passphrase), C(secret), C(token),
    C(private_key)) and passwords inside text (C(password=...), C(user:password@host)) are masked in RV(config).
  - An answer that is not shaped as Patroni's (not a JSON object, no C(members) list, a member without
    name or C(api_url)) fails the task naming the URL.
options:
  member_status:
    description:
      - Also read every member's own C(GET /patroni) (server version, postmaster start time, the
        leader's replication connections) into RV(members[].status). One request per member, sent only to
        a member URL the module trusts (see O(trust_published_urls)).
    type: bool
    default: true
extends_documentation_fragment:
  - pgwarden.postgresql.patroni
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
- name: State of the cluster
  pgwarden.postgresql.patroni_info:
    api_url: [https://db1:8008, https://db2:8008, https://db3:8008]
    ca_file: /etc/pgwarden/tls/ca.crt
  delegate_to: localhost
  run_once: true
  register: cluster

- name: Fail unless every replica streams
  ansible.builtin.assert:
    that: cluster.members | selectattr('role', 'eq', 'replica') | rejectattr('state', 'in', ['running', 'streaming']) | list | length == 0
'''

RETURN = r'''
leader:
  description: Name of the leader, null when the cluster has none or shows more than one (see each member's C(role)).
  returned: always
  type: str
  sample: db1
members:
  description: Every member, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Member name, type: str}
    role: {description: "C(leader), C(replica), C(sync_standby) or C(standby_leader).", type: str}
    state: {description: "C(running), C(streaming), C(stopped), C(starting), ...", type: str}
    host: {description: PostgreSQL host, type: str}
    port: {description: PostgreSQL port, type: int}
    api_url: {description: The member's REST API URL, type: str}
    timeline: {description: Timeline, type: int}
    lag: {description: 'Replication lag in bytes (0 for the leader, null when unknown).', type: int}
    pending_restart: {description: A parameter change waits for a restart, type: bool}
    tags: {description: The member's tags, type: dict}
    status: {description: "The member's C(GET /patroni) (with O(member_status)), null when it did not answer with a JSON object.",
             type: dict}
  sample: [{name: db1, role: leader, state: running, host: 10.0.0.1, port: 5432, timeline: 1, lag: 0, pending_restart: false}]
replicas:
  description: Names of the members that are replicas.
  returned: always
  type: list
  elements: str
config:
  description: The dynamic configuration (C(GET /config)), secrets masked.
  returned: always
  type: dict
  sample: {ttl: 30, loop_wait: 10, postgresql: {parameters: {work_mem: 8MB}}}
scheduled_switchover:
  description: A scheduled switchover (C(at), C(from), C(to)), null when none.
  returned: always
  type: dict
requests:
  description: Every request sent (method, url, body, status, sent).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import (
    PatroniApi, PatroniApiError, PatroniModule, UntrustedUrl, mask_secrets, patroni_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import REPLICA_ROLES, leader

ARGUMENT_SPEC = patroni_argument_spec(member_status=dict(type='bool', default=True))


def main():
    module = PatroniModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    api = PatroniApi(module)
    try:
        cluster, member_list = api.cluster_members()
        config = api.cluster_get('/config')
        urls = dict((m['name'], api.member_url(m)) for m in member_list if module.params['member_status'])
        for m in member_list:
            if m['name'] in urls:
                try:
                    m['status'] = api.get_json(urls[m['name']] + '/patroni')
                except UntrustedUrl:
                    raise
                except PatroniApiError:
                    m['status'] = None
    except PatroniApiError as e:
        module.fail_json(msg=str(e), status=e.status, requests=api.requests)
    lead = leader(member_list)
    module.exit_json(changed=False, leader=lead['name'] if lead else None, members=member_list, config=mask_secrets(config),
                     replicas=[m['name'] for m in member_list if m['role'] in REPLICA_ROLES],
                     scheduled_switchover=cluster.get('scheduled_switchover'), requests=api.requests)


if __name__ == '__main__':
    main()
