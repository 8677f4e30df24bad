# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read row-level security of one table (one query) and normalise expressions through the server.

Expressions are compared as the server prints them (pg_get_expr), never as typed: the
declared expressions are deparsed by creating probe policies inside a savepoint of the
read transaction, reading them back and rolling the savepoint back. Nothing is committed,
in check mode or otherwise; the probe briefly locks the table like CREATE POLICY does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.rls_plan import policy_statement

SNAPSHOT = """
SELECT json_build_object(
  'table', (SELECT json_build_object('rls', c.relrowsecurity, 'force', c.relforcerowsecurity, 'kind', c.relkind)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %(schema)s AND c.relname = %(table)s),
  'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles WHERE rolname = ANY(%(roles)s::text[])),
  'policies', (SELECT coalesce(json_agg(json_build_object(
        'name', p.polname, 'command', p.polcmd, 'permissive', p.polpermissive,
        'roles', (SELECT json_agg(CASE WHEN r = 0 THEN NULL ELSE pg_get_userbyid(r) END) FROM unnest(p.polroles) r),
        'using', pg_get_expr(p.polqual, p.polrelid), 'with_check', pg_get_expr(p.polwithcheck, p.polrelid))), '[]')
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = %(schema)s AND c.relname = %(table)s))
"""

PROBE_READ = """
SELECT coalesce(json_object_agg(p.polname, json_build_array(pg_get_expr(p.polqual, p.polrelid),
                                                            pg_get_expr(p.polwithcheck, p.polrelid))), '{}')
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relname = %(table)s AND p.polname LIKE 'pgwarden\\_probe\\_%%'
"""


def snapshot_params(schema, table, policies):
    roles = set()
    for p in policies:
        roles.update(r for r in p.get('roles') or [] if r is not None)
    return dict(schema=schema, table=table, roles=sorted(roles))


def parse_snapshot(doc):
    return dict(table=doc['table'], roles=set(doc['roles']),
                policies=dict((p['name'], dict(p, roles=p['roles'] or [])) for p in doc['policies']))


def probe(cursor, schema, table, policies):
    """{policy name: (using, with_check)} as the server deparses the declared expressions.

    Raises (name, option, error) through ProbeError when the server rejects an expression.
    """
    if not policies:
        return {}
    cursor.execute('SAVEPOINT pgwarden_probe')
    try:
        for i, p in enumerate(policies):
            probe_policy = dict(p, name='pgwarden_probe_%d' % i, roles=[None])
            try:
                cursor.execute(policy_statement(schema, table, probe_policy).query)
            except Exception as e:  # psycopg2.Error; the message names the policy
                raise ProbeError(p, str(e).strip())
        cursor.execute(PROBE_READ, dict(schema=schema, table=table))
        found = cursor.fetchone()[0]
    finally:
        cursor.execute('ROLLBACK TO SAVEPOINT pgwarden_probe')
    return dict((p['name'], tuple(found['pgwarden_probe_%d' % i])) for i, p in enumerate(policies))


class ProbeError(Exception):
    def __init__(self, policy, error):
        self.policy = policy
        self.error = error
        super(ProbeError, self).__init__('policy %r: %s' % (policy['name'], error))
