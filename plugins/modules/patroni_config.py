#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: patroni_config
short_description: Patroni's dynamic configuration, changed with one minimal PATCH
version_added: 0.1.0
description:
  - Compares O(config) with the dynamic configuration (C(GET /config)) and sends only the difference
    as one JSON merge patch (C(PATCH /config)). Keys O(config) does not name stay as they are; a key set
    to null is removed.
  - Values compare as Patroni compares them (as text), with V(true)/C(on)/C(yes) alike, so C(100) and
    C("100") are the same setting and a second run changes nothing.
  - After a change it waits until the members applied it and returns which need a restart
    (RV(restart_required)); restart them with M(pgwarden.postgresql.patroni_restart).
  - A change Patroni refuses leaves the configuration as it was; the module fails with Patroni's answer.
options:
  config:
    description:
      - 'The desired dynamic configuration, nested as in C(GET /config), for example
        C({ttl: 30, postgresql: {parameters: {work_mem: 8MB}}}).'
      - Values of keys that look secret (C(password), C(passphrase), C(secret), C(token), C(private_key))
        are sent as given and masked in everything the module returns (RV(patch), RV(config), diff, RV(requests)
        and its arguments in C(invocation)) and in what it logs; so are passwords inside text
        (C(password=...), C(user:password@host)).
    type: dict
    required: true
  settle_timeout:
    description:
      - Seconds to wait after a change of the C(postgresql) section for the members to apply it and
        publish C(pending_restart). Unset means C(loop_wait) + 2 of the new configuration. V(0) reads
        the members at once.
    type: int
extends_documentation_fragment:
  - pgwarden.postgresql.patroni
attributes:
  check_mode:
    description: Shows the patch in RV(patch) and RV(requests) (C(sent=false)) without sending it.
    support: full
  diff_mode:
    description: Before and after of the whole dynamic configuration.
    support: full
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Parameters of every member, declared once
  pgwarden.postgresql.patroni_config:
    api_url: "{{ groups['postgresql'] | map('regex_replace', '^(.*)$', 'https://\\1:8008') | list }}"
    api_username: patroni
    api_password: "{{ vault_patroni_api_password }}"
    ca_file: /etc/pgwarden/tls/ca.crt
    config:
      maximum_lag_on_failover: 1048576
      postgresql:
        parameters:
          work_mem: 16MB
          max_connections: 300
          old_setting: null   # removed from the configuration
  delegate_to: localhost
  run_once: true
  register: patroni_cfg

- name: Rolling restart when needed
  pgwarden.postgresql.patroni_restart:
    api_url: "{{ patroni_cfg.api_urls }}"
    api_username: patroni
    api_password: "{{ vault_patroni_api_password }}"
  when: patroni_cfg.restart_required.values() is any
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
patch:
  description: The merge patch sent (or that would be sent in check mode); empty when nothing differs.
  returned: always
  type: dict
  sample: {postgresql: {parameters: {work_mem: 16MB, old_setting: null}}}
config:
  description: The dynamic configuration after the change (in check mode, as it would be).
  returned: always
  type: dict
restart_required:
  description: Per member, whether PostgreSQL waits for a restart (Patroni's C(pending_restart)).
  returned: always
  type: dict
  sample: {db1: true, db2: true}
api_urls:
  description: The base URLs used.
  returned: always
  type: list
  elements: str
requests:
  description: Every request (method, url, body with secrets masked, status, sent).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_api import (
    PatroniApi, PatroniApiError, PatroniModule, mask_secrets, patroni_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import (
    apply_patch, plan_config_patch)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ARGUMENT_SPEC = patroni_argument_spec(
    config=dict(type='dict', required=True),
    settle_timeout=dict(type='int'),
)

REFUSED_HINT = {
    401: 'api_username/api_password are missing or wrong',
    403: 'this client is not allowed to write (restapi.allowlist or client certificate)',
    409: 'the DCS did not store it (a concurrent change, or a value over the DCS size limit); see the Patroni log',
}


def loop_wait(config):
    """Patroni's loop_wait of a configuration (10, its default, when it is not a number)."""
    try:
        return max(0, min(int(config.get('loop_wait', 10)), 3600))
    except (TypeError, ValueError):
        return 10


def restart_required(api, patch, after, settle_timeout, check_mode):
    """pending_restart per member, once the members had time to apply a change of the postgresql section."""
    if settle_timeout is None:
        settle_timeout = loop_wait(after) + 2
    state = {}

    def read():
        state['members'] = api.cluster_members()[1]
        return all(m['pending_restart'] for m in state['members'])
    if patch.get('postgresql') and not check_mode and settle_timeout > 0:
        api.wait(read, settle_timeout)
    if 'members' not in state:
        read()
    return dict((m['name'], m['pending_restart']) for m in state['members'])


def main():
    module = PatroniModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    if p['settle_timeout'] is not None and p['settle_timeout'] < 0:
        module.fail_json(msg='settle_timeout: must be 0 or more seconds')
    api = PatroniApi(module)
    try:
        before = api.cluster_get('/config')
        patch = plan_config_patch(before, p['config'])
    except PlanError as e:
        module.fail_json(msg=str(e), option=e.option)
    except PatroniApiError as e:
        module.fail_json(msg=str(e), status=e.status, requests=api.requests)
    after = apply_patch(before, patch)
    if patch:
        try:
            api.cluster_write('PATCH', '/config', patch)
        except PatroniApiError as e:
            # A member answers GET /config from its cache, which a refused PATCH can leave edited
            # (Patroni 3.0 patches a shallow copy): wait one loop for the state the DCS holds.
            unchanged = api.wait(lambda: api.cluster_get('/config') == before, loop_wait(before) + 2)
            unchanged = unchanged is not None or None
            state = {True: 'the configuration is unchanged',
                     None: 'the configuration read back differs from before: check it (GET /config)'}[unchanged]
            module.fail_json(msg='Patroni refused the change: %s (%s); %s' % (e, REFUSED_HINT.get(e.status, 'see the answer'), state),
                             status=e.status, requests=api.requests, changed=False)
    try:
        pending = restart_required(api, patch, after, p['settle_timeout'], module.check_mode)
    except PatroniApiError as e:
        module.fail_json(msg='the change was sent, but reading the members failed: %s' % e, requests=api.requests,
                         changed=True, patch=mask_secrets(patch))
    module.exit_json(changed=bool(patch), patch=mask_secrets(patch), config=mask_secrets(after), restart_required=pending,
                     api_urls=api.urls, requests=api.requests,
                     diff=dict(before=mask_secrets(before), after=mask_secrets(after)))


if __name__ == '__main__':
    main()
