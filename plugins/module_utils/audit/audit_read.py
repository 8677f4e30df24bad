# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's read step: a fixed number of catalog queries, whatever the number of objects.

One server query (settings, roles, databases, archiver, replication, slots, connections),
one for password verifier kinds (pg_authid, when readable; never the verifier itself),
one for pg_hba_file_rules (when executable; else the file is read if the OS user may),
and one per audited database (schemas, functions, tables, grants, RLS). Host facts
(pgBackRest, its configuration, the restore test status, a pooler process) come from
the host the module runs on. What could not be seen is listed in `not_visible`.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

try:
    import psycopg2
except ImportError:  # pragma: no cover - the module reports it through connection.connect()
    psycopg2 = None

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_backup, audit_hba
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connect_params
from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring import health_collect as hcol

MIN_VERSION, MAX_VERSION = 130000, 179999
SETTINGS = ('ssl', 'ssl_min_protocol_version', 'listen_addresses', 'shared_preload_libraries', 'pgaudit.log',
            'log_connections', 'log_disconnections', 'archive_mode', 'archive_command', 'archive_library',
            'max_connections', 'password_encryption', 'hba_file', 'data_directory', 'port', 'server_version')
SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"
REL_NAME = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
FUNC_NAME = "quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'"

SQL_ACCESS = """SELECT json_build_object(
  'version_num', current_setting('server_version_num')::int, 'version', current_setting('server_version'),
  'user', current_user, 'is_superuser', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
  'monitor', pg_has_role(current_user, 'pg_monitor', 'USAGE'))"""

SQL_SERVER = """SELECT json_build_object(
  'in_recovery', pg_is_in_recovery(),
  'can_read_authid', has_table_privilege('pg_catalog.pg_authid', 'SELECT'),
  'can_read_hba', has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE'),
  'settings', (SELECT json_object_agg(name, setting) FROM pg_settings WHERE name = ANY (%(settings)s)),
  'roles', (SELECT coalesce(json_agg(json_build_object('name', r.rolname, 'oid', r.oid::bigint, 'super', r.rolsuper,
      'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb, 'bypassrls', r.rolbypassrls,
      'replication', r.rolreplication, 'login', r.rolcanlogin, 'valid_until', r.rolvaliduntil,
      'member_of', (SELECT coalesce(json_agg(g.rolname), '[]') FROM pg_auth_members m
                      JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)) ORDER BY r.rolname), '[]')
      FROM pg_roles r WHERE r.rolname !~ '^pg_'),
  'databases', (SELECT coalesce(json_agg(json_build_object('name', d.datname, 'allowconn', d.datallowconn,
      'template', d.datistemplate,
      'public_connect', EXISTS (SELECT 1 FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                                 WHERE a.grantee = '0'::oid AND a.privilege_type = 'CONNECT'),
      'public_temp', EXISTS (SELECT 1 FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                              WHERE a.grantee = '0'::oid AND a.privilege_type = 'TEMPORARY'),
      'public_create', EXISTS (SELECT 1 FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                                WHERE a.grantee = '0'::oid AND a.privilege_type = 'CREATE'),
      'create_grantees', (SELECT coalesce(json_agg(pg_get_userbyid(a.grantee)), '[]')
                            FROM aclexplode(d.datacl) a
                           WHERE a.privilege_type = 'CREATE' AND a.grantee NOT IN (0, d.datdba)))
      ORDER BY d.datname), '[]') FROM pg_database d),
  'archiver', (SELECT row_to_json(a) FROM pg_stat_archiver a),
  'replication', (""" + hcol.SQL_REPLICATION + """),
  'slots', (""" + hcol.SQL_SLOTS + """),
  'connections', (""" + hcol.SQL_CONNECTIONS + """))"""

SQL_VERIFIERS = """SELECT coalesce(json_object_agg(rolname, CASE WHEN rolpassword IS NULL THEN 'none'
    WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'
    WHEN rolpassword ~ '^md5[0-9a-f]{32}$' THEN 'md5' ELSE 'plain' END), '{}')
  FROM pg_authid WHERE rolname !~ '^pg_'"""

SQL_HBA = """SELECT coalesce(json_agg(to_jsonb(h) ORDER BY h.line_number), '[]') FROM pg_hba_file_rules h"""

# One query per database: everything the access checks need, aggregated by the server.
SQL_OBJECTS = ("""SELECT json_build_object(
  'public_create_schemas', (SELECT coalesce(json_agg(n.nspname ORDER BY n.nspname), '[]') FROM pg_namespace n
      WHERE n.nspname NOT IN """ + SYSTEM_SCHEMAS + """ AND EXISTS (SELECT 1
        FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
       WHERE a.grantee = '0'::oid AND a.privilege_type = 'CREATE')),
  'public_secdef', (SELECT coalesce(json_agg(json_build_object('function', @FN@,
        'owner', pg_get_userbyid(p.proowner)) ORDER BY @FN@), '[]')
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE p.prosecdef AND n.nspname NOT IN """ + SYSTEM_SCHEMAS + """
       AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e')
       AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                    WHERE a.grantee = '0'::oid AND a.privilege_type = 'EXECUTE')),
  'owned', (SELECT coalesce(json_agg(json_build_object('role', o.role, 'count', o.n, 'example', o.example)), '[]')
      FROM (SELECT pg_get_userbyid(x.owner) AS role, count(*) AS n, min(x.name) AS example FROM (
              SELECT c.relowner AS owner, @REL@ AS name FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN """ + SYSTEM_SCHEMAS + """
              UNION ALL SELECT n.nspowner, 'schema ' || n.nspname FROM pg_namespace n
               WHERE n.nspname NOT IN """ + SYSTEM_SCHEMAS + """ AND n.nspname !~ '^pg_'
                 AND NOT (n.nspname = 'public' AND n.nspowner IN (SELECT datdba FROM pg_database
                                                                   WHERE datname = current_database()))
              UNION ALL SELECT p.proowner, @FN@ FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN """ + SYSTEM_SCHEMAS + """
                 AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e')) x
            GROUP BY x.owner) o),
  'table_grants', (SELECT coalesce(json_agg(json_build_object('role', g.role, 'privilege', g.privilege_type,
        'count', g.n, 'example', g.example)), '[]')
      FROM (SELECT pg_get_userbyid(a.grantee) AS role, a.privilege_type, count(*) AS n,
                   min(@REL@) AS example
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN """ + SYSTEM_SCHEMAS + """
               AND a.privilege_type IN ('DELETE', 'TRUNCATE') AND a.grantee NOT IN (0, c.relowner)
             GROUP BY 1, 2) g),
  'create_grants', (SELECT coalesce(json_agg(json_build_object('role', pg_get_userbyid(a.grantee),
        'object', 'schema ' || n.nspname)), '[]')
      FROM pg_namespace n, aclexplode(n.nspacl) a
     WHERE a.privilege_type = 'CREATE' AND a.grantee NOT IN (0, n.nspowner)
       AND n.nspname NOT IN """ + SYSTEM_SCHEMAS + """),
  'rls_not_forced', (SELECT coalesce(json_agg(json_build_object('table', @REL@,
        'owner', pg_get_userbyid(c.relowner)) ORDER BY @REL@), '[]')
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND NOT c.relforcerowsecurity
       AND n.nspname NOT IN """ + SYSTEM_SCHEMAS + """),
  'tenant_no_rls', (SELECT coalesce(json_agg(json_build_object('table', t.name, 'column', t.col) ORDER BY t.name), '[]')
      FROM (SELECT @REL@ AS name, min(a.attname) AS col
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND NOT c.relispartition
               AND a.attname = ANY (%(tenant_columns)s) AND n.nspname NOT IN """ + SYSTEM_SCHEMAS + """
             GROUP BY c.oid, n.nspname, c.relname) t))""").replace('@FN@', FUNC_NAME).replace('@REL@', REL_NAME)


# Names are bytes in the catalogs: a SQL_ASCII database (or a client that wrote to one) can hold role, database
# and object names that are not valid in the server encoding, and psycopg2 would fail decoding the whole answer.
# So each query's JSON comes as its raw bytes (textsend: the text's bytes, not verified nor converted while
# the client encoding is the server's) and is decoded here; bytes that do not decode become visible escapes (\xff).
SQL_RAW = "SELECT pg_catalog.textsend(((%s))::pg_catalog.text)"


def _undecodable(value):
    if isinstance(value, str):
        return re.sub(u'[\udc80-\udcff]', lambda m: '\\x%02x' % (ord(m.group()) - 0xdc00), value)
    if isinstance(value, dict):
        return dict((_undecodable(k), _undecodable(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_undecodable(v) for v in value]
    return value


def decode_json(raw, server_encoding):
    """The JSON value of raw bytes in the server encoding (pure); undecodable bytes become \\xNN in strings."""
    if raw is None:
        return None
    codec = 'utf-8'
    if server_encoding and server_encoding.upper() not in ('UTF8', 'SQL_ASCII') and psycopg2 is not None:
        codec = psycopg2.extensions.encodings.get(server_encoding.upper().replace('_', '').replace('-', ''), 'utf-8')
    return _undecodable(json.loads(bytes(raw).decode(codec, 'surrogateescape')))


def fetch_json(cur, query, params=None):
    """The one JSON value a read query returns, whatever bytes its names hold."""
    cur.execute(SQL_RAW % query, params)
    return decode_json(cur.fetchone()[0], cur.connection.get_parameter_status('server_encoding'))


class AuditError(Exception):
    """A reason the host cannot be audited (rights, version); the message says what to do."""


def check_access(info, login_user):
    """Refuse versions out of range and logins that cannot read settings and statistics."""
    num = info['version_num']
    if not MIN_VERSION <= num <= MAX_VERSION:
        raise AuditError('server version %s is out of the supported range: audit_info supports PostgreSQL 13 to 17'
                         % info['version'])
    if not (info['is_superuser'] or info['monitor']):
        who = info['user'] or login_user
        raise AuditError('login_user %s lacks the rights to audit this server: it needs membership in pg_monitor '
                         '(GRANT pg_monitor TO %s) or superuser' % (who, who))


def read_server(conn, params, queries):
    """Access check and server-wide facts; (snapshot, not_visible)."""
    with conn.cursor() as cur:
        queries.append(SQL_ACCESS)
        info = fetch_json(cur, SQL_ACCESS)
        check_access(info, params['login_user'])
        queries.append(SQL_SERVER)
        snap = fetch_json(cur, SQL_SERVER, dict(settings=list(SETTINGS)))
        snap.update(info)
        snap['settings'] = snap['settings'] or {}
        not_visible = []
        snap['verifiers'] = None
        if snap.pop('can_read_authid'):
            queries.append(SQL_VERIFIERS)
            snap['verifiers'] = fetch_json(cur, SQL_VERIFIERS)
        else:
            not_visible.append('password verifiers (pg_authid needs superuser): MD5/clear-text passwords not checked')
        snap['hba'] = None
        if snap.pop('can_read_hba'):
            queries.append(SQL_HBA)
            snap['hba'] = audit_hba.from_view(fetch_json(cur, SQL_HBA), snap['settings'].get('hba_file'))
    if snap['hba'] is None:
        snap['hba'], why = read_hba_file(snap['settings'].get('hba_file'))
        if why:
            not_visible.append(why)
    return snap, not_visible


def read_hba_file(path):
    if not path:
        return None, 'pg_hba rules: hba_file is not visible to this login (needs pg_read_all_settings)'
    try:
        with open(path) as f:
            return audit_hba.parse_text(f.read(), path), None
    except (IOError, OSError) as e:
        return None, ('pg_hba rules: pg_hba_file_rules needs superuser and %s is not readable by this OS user (%s); '
                      'run with become (audit_become) to check pg_hba' % (path, e.strerror))


def open_database(params, dbname):
    """A read-only autocommit connection to one database; raises DatabaseError (a database the login may
    not connect to is reported as not visible, the audit goes on)."""
    kw = connect_params(params)
    kw['dbname'] = dbname
    conn = psycopg2.connect(**kw)
    conn.set_session(readonly=True, autocommit=True)
    return conn


def read_objects(conn, params, queries):
    """The objects snapshot of the connected database (one query); closes the connection."""
    queries.append(SQL_OBJECTS)
    try:
        with conn.cursor() as cur:
            return fetch_json(cur, SQL_OBJECTS, dict(tenant_columns=list(params.get('tenant_columns') or [])))
    finally:
        conn.close()


def read_host(params):
    """Facts from the host: pgBackRest (here, or on the repository host its configuration names, from
    `repositories`), the restore test status, a pooler process, the runbooks directory."""
    path, conf, not_visible = audit_backup.read_config(params)
    facts = dict(pgbackrest_config=path, stanzas=audit_backup.stanzas(conf or {}),
                 pgbackrest_repos=audit_backup.backup_layout(conf) if conf is not None else None)
    judged = audit_backup.judge_where_they_are(facts, params.get('repositories'))
    if judged is not facts:
        facts = judged
    else:
        facts, more = audit_backup.read_local(params)
        not_visible += [n for n in more if n not in not_visible]
    facts['pooler'] = params.get('pooler')
    if facts['pooler'] is None:
        facts['pooler'] = pooler_running(params.get('pooler_processes') or ())
    facts['runbooks_installed'] = None
    rb = params.get('runbooks_directory')
    try:
        if rb and os.listdir(rb):
            facts['runbooks_installed'] = rb
    except OSError:
        pass
    return facts, not_visible


def pooler_running(names, proc='/proc'):
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(os.path.join(proc, pid, 'comm')) as f:
                if f.read().strip() in names:
                    return True
        except (IOError, OSError):
            continue
    return False
