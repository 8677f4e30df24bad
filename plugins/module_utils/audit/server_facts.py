# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a site report needs from one PostgreSQL server, in one read-only query (plugins/modules/server_info.py).

Version, primary or standby, the TLS and audit settings, the pg_hba rules (pg_hba_file_rules, when the
login may execute it), the pgaudit extension in the connected database, and the replication state
(the replicas of a primary with their lag, or a standby's own replay lag; the same query as health_info).
Judging the facts (TLS on, audit on) is left to the caller: plugins/filter/site_report.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring.health_collect import SQL_REPLICATION

SETTINGS = ('ssl', 'ssl_min_protocol_version', 'ssl_ca_file', 'ssl_cert_file', 'listen_addresses', 'port',
            'shared_preload_libraries', 'pgaudit.log', 'pgaudit.log_catalog', 'pgaudit.log_relation',
            'pgaudit.log_parameter', 'pgaudit.role', 'log_connections', 'log_disconnections',
            'password_encryption', 'archive_mode', 'cluster_name', 'server_version', 'data_directory')

HBA_COLUMNS = ('line_number', 'type', 'database', 'user_name', 'address', 'netmask', 'auth_method', 'options', 'error')

SQL_FACTS = """SELECT json_build_object(
  'version', current_setting('server_version'), 'version_num', current_setting('server_version_num')::int,
  'in_recovery', pg_is_in_recovery(),
  'settings', (SELECT json_object_agg(name, setting) FROM pg_settings WHERE name = ANY (%(settings)s)),
  'pgaudit_extension', (SELECT extversion FROM pg_extension WHERE extname = 'pgaudit'),
  'can_read_hba', has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE'),
  'replication', (""" + SQL_REPLICATION + """))"""

SQL_HBA = ("SELECT coalesce(json_agg(json_build_object(" + ', '.join("'%s', %s" % (c, c) for c in HBA_COLUMNS)
           + ") ORDER BY line_number), '[]') FROM pg_hba_file_rules")


def read_facts(conn, queries):
    """The server's facts (a dict) through a read-only connection; the queries run are appended to queries."""
    conn.set_session(readonly=True, autocommit=True)
    with conn.cursor() as cur:
        queries.append(SQL_FACTS)
        cur.execute(SQL_FACTS, dict(settings=list(SETTINGS)))
        facts = cur.fetchone()[0]
        facts['settings'] = facts['settings'] or {}
        facts['hba'] = None
        if facts.pop('can_read_hba'):
            queries.append(SQL_HBA)
            cur.execute(SQL_HBA)
            facts['hba'] = cur.fetchone()[0]
    return facts
