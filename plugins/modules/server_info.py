#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_info
short_description: TLS, audit, pg_hba and replication facts of a PostgreSQL server, in one query
version_added: 0.1.0
description:
  - Reads, through one read-only connection, what a site report shows of a server - version, primary or
    standby, the TLS settings (C(ssl), C(ssl_min_protocol_version)), the pgaudit settings and whether the
    library is loaded and the extension exists in O(login_db), the pg_hba rules (C(pg_hba_file_rules)),
    and the replication state (each replica of a primary with its lag, or a standby's replay lag).
  - Returns facts only; C(playbooks/report.yml) judges them with the C(site_report) filter.
  - Changes nothing; runs the same in check mode.
options: {}
extends_documentation_fragment:
  - pgwarden.postgresql.connection
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
notes:
  - The pg_hba rules need superuser (C(pg_hba_file_rules)); with another login RV(hba) is null.
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Facts of the local server
  pgwarden.postgresql.server_info:
  become: true
  become_user: postgres
  register: server

- name: Fail unless TLS is on
  ansible.builtin.assert:
    that: server.settings.ssl == 'on'
'''

RETURN = r'''
version:
  description: The server version.
  returned: always
  type: str
  sample: "15.20"
in_recovery:
  description: Whether the server is a standby.
  returned: always
  type: bool
settings:
  description: The TLS, audit, logging and identification settings, name to value as C(pg_settings) shows them.
  returned: always
  type: dict
  sample: {ssl: "on", ssl_min_protocol_version: TLSv1.2, shared_preload_libraries: pgaudit, pgaudit.log: "ddl,role"}
pgaudit_extension:
  description: Version of the pgaudit extension in O(login_db), null when it is not created there.
  returned: always
  type: str
hba:
  description:
    - The pg_hba rules (line_number, type, database, user_name, address, netmask, auth_method, options, error),
      null when the login may not read them.
  returned: always
  type: list
  elements: dict
replication:
  description:
    - C(in_recovery) and C(items) - on a primary one item per replica (name, client_addr, state, sync_state,
      lag_bytes, lag_seconds), on a standby one item (name C(replay)) with its own replay lag.
  returned: always
  type: dict
queries:
  description: The read queries that ran.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.server_facts import read_facts
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    DatabaseError, connect, connection_argument_spec)

ARGUMENT_SPEC = connection_argument_spec()


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    queries = []
    try:
        conn = connect(module, session_lock_timeout=False)
        try:
            facts = read_facts(conn, queries)
        finally:
            conn.close()
    except DatabaseError as e:
        module.fail_json(msg='Reading the server facts failed: %s' % str(e).strip(), queries=queries)
    facts.pop('version_num', None)
    module.exit_json(changed=False, queries=queries, **facts)


if __name__ == '__main__':
    main()
