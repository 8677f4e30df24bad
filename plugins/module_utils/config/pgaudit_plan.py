# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgaudit in every database and object auditing grants: read queries and the pure planner."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, SQL, ident, join, stmt)

PRIVILEGES = ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
DEFAULT_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE']

CLUSTER_QUERY = """
SELECT json_build_object(
  'databases', (SELECT json_agg(datname ORDER BY datname) FROM pg_database WHERE datallowconn),
  'preload', current_setting('shared_preload_libraries'),
  'role_exists', EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(role)s))
"""
# In one database: the extension's version and, per declared table, the audit role's own grants
# (null when the table does not exist).
DATABASE_QUERY = """
SELECT json_build_object(
  'extension', (SELECT extversion FROM pg_extension WHERE extname = 'pgaudit'),
  'tables', (SELECT json_object_agg(t, CASE WHEN to_regclass(t) IS NULL THEN NULL ELSE
      (SELECT COALESCE(json_agg(a.privilege_type), '[]'::json)
         FROM pg_class c, aclexplode(c.relacl) a, pg_roles r
        WHERE c.oid = to_regclass(t) AND r.rolname = %(role)s AND a.grantee = r.oid) END)
    FROM unnest(%(tables)s::text[]) AS t))
"""


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')


def split_table(name, option):
    """'schema.table' or 'table' (schema public) -> (schema, table); quotes allowed around parts."""
    parts, cur, quoted, i = [], [], False, 0
    while i < len(name):
        c = name[i]
        if c == '"':
            if quoted and name[i + 1:i + 2] == '"':
                cur.append('"')
                i += 1
            else:
                quoted = not quoted
        elif c == '.' and not quoted:
            parts.append(''.join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append(''.join(cur))
    if quoted or len(parts) > 2 or any(p == '' for p in parts):
        raise PlanError(option, '%r is not a table name (table or schema.table)' % name)
    return tuple(parts) if len(parts) == 2 else ('public', parts[0])


def desired_grants(audit_role, grants):
    """{database: {regclass text: (schema, table, [privileges])}}, validated."""
    out = {}
    for i, g in enumerate(grants or []):
        option = 'audit_grants[%d]' % i
        if not audit_role:
            raise PlanError('audit_role', 'is required with audit_grants')
        if not g.get('database'):
            raise PlanError(option + '.database', 'is required')
        schema, table = split_table(g.get('table') or '', option + '.table')
        privs = [p.upper() for p in (g.get('privileges') or DEFAULT_PRIVILEGES)]
        bad = [p for p in privs if p not in PRIVILEGES]
        if bad:
            raise PlanError(option + '.privileges', '%s not one of %s' % (', '.join(bad), ', '.join(PRIVILEGES)))
        key = '%s.%s' % (quote_ident(schema), quote_ident(table))
        entry = out.setdefault(g['database'], {}).setdefault(key, (schema, table, []))
        entry[2].extend(p for p in privs if p not in entry[2])
    return out


def target_databases(cluster, requested):
    existing = cluster.get('databases') or []
    if not requested:
        return list(existing)
    missing = [d for d in requested if d not in existing]
    if missing:
        raise PlanError('databases', 'no such database (or it does not allow connections): %s' % ', '.join(missing))
    return list(requested)


def plan_pgaudit(cluster, per_db, databases, grants, audit_role, state='present'):
    """({database: [Statement]}, lacking) where lacking lists the databases without the extension now."""
    if audit_role and not cluster.get('role_exists'):
        raise PlanError('audit_role', 'role %r does not exist; create it first (pgwarden.postgresql.role)'
                        % audit_role)
    for db in grants:
        if db not in per_db:
            raise PlanError('audit_grants', 'database %r is not among the managed databases' % db)
    plans = {}
    lacking = [db for db in databases if not per_db[db].get('extension')]
    for db in databases:
        current = per_db[db]
        statements = []
        if state == 'present' and not current.get('extension'):
            # Sessions are pinned to pg_catalog, where nothing may be created: name the schema pgaudit always
            # went to (the first of the default search path).
            statements.append(stmt('CREATE EXTENSION IF NOT EXISTS pgaudit SCHEMA public'))
        if state == 'absent' and current.get('extension'):
            statements.append(stmt('DROP EXTENSION pgaudit'))
        for key, (schema, table, privs) in sorted((grants.get(db) or {}).items()):
            have = (current.get('tables') or {}).get(key)
            if have is None:
                raise PlanError('audit_grants', 'table %s does not exist in database %r' % (key, db))
            missing = [p for p in privs if p not in have]
            if missing:
                statements.append(stmt('GRANT {privs} ON TABLE {table} TO {role}',
                                       privs=join(', ', [SQL(p) for p in missing]),
                                       table=ident(schema, table), role=ident(audit_role)))
        if statements:
            plans[db] = statements
    return plans, lacking
