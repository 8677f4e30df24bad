# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read row-level security of one table (one query), check and normalise expressions through the server.

An expression is placed into SQL text only after the server itself has parsed it alone, as a
bound literal, where a second statement cannot run (validate_expressions). Expressions are
compared as the server prints them (pg_get_expr), never as typed: declared expressions are
deparsed on a temporary copy of the table (CREATE TEMP TABLE ... (LIKE table)) inside a
savepoint that is rolled back, so a no-op or check run takes only ACCESS SHARE on the table.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

try:
    from psycopg2 import sql
except ImportError:  # pragma: no cover - the module reports the missing library
    sql = None

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import DatabaseError
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.rls_plan import policy_statement
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, reset_search_path, search_path_list, user_search_path)

SNAPSHOT = """
SELECT json_build_object(
  'table', (SELECT json_build_object('rls', c.relrowsecurity, 'force', c.relforcerowsecurity, 'kind', c.relkind)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %(schema)s AND c.relname = %(table)s),
  'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles WHERE rolname = ANY(%(roles)s::text[])),
  'policies', (SELECT coalesce(json_agg(json_build_object(
        'name', p.polname, 'command', p.polcmd, 'permissive', p.polpermissive,
        'roles', (SELECT json_agg(CASE WHEN r = '0'::oid THEN NULL ELSE pg_get_userbyid(r) END) FROM unnest(p.polroles) r),
        'using', pg_get_expr(p.polqual, p.polrelid), 'with_check', pg_get_expr(p.polwithcheck, p.polrelid))), '[]')
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = %(schema)s AND c.relname = %(table)s))
"""

PROBE_READ = """
SELECT coalesce(json_object_agg(p.polname, json_build_array(pg_get_expr(p.polqual, p.polrelid),
                                                            pg_get_expr(p.polwithcheck, p.polrelid))), '{}')
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = %(table)s AND p.polname LIKE 'pgwarden\\_probe\\_%%'
"""

# Each expression is parsed alone by the server, reaching it only as a bound literal (a
# setting read back by constant code). The user's search path (then pg_temp) is in force only while
# the server parses the expression; the block's own names are schema-qualified, and its operators
# are pg_catalog's by name. OPEN FOR EXECUTE refuses a string holding more than one
# statement before running any; the expression sits inside CASE ... END, where a `;` or an
# unbalanced parenthesis is a syntax error, and after WHEN false, so the planner never
# evaluates it; WHERE makes the server require a boolean.
VALIDATE = """
DO $pgwarden$
DECLARE
  doc pg_catalog.json := pg_catalog.current_setting('pgwarden.rls_validate')::pg_catalog.json;
  rel pg_catalog.regclass := pg_catalog.format('%I.%I', doc->>'schema', doc->>'table')::pg_catalog.regclass;
  path pg_catalog.text := doc->>'search_path';
  own pg_catalog.text := pg_catalog.current_setting('search_path');
  c refcursor;
  i pg_catalog.int4 := 0;
  e pg_catalog.text;
  q pg_catalog.text;
BEGIN
  FOR e IN SELECT pg_catalog.json_array_elements_text(doc->'expressions') LOOP
    q := pg_catalog.format('SELECT FROM ONLY %s WHERE CASE WHEN false THEN (%s) END', rel, e);
    BEGIN
      PERFORM pg_catalog.set_config('search_path', path, true);
      OPEN c FOR EXECUTE q;
      PERFORM pg_catalog.set_config('search_path', own, true);
      CLOSE c;
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM, DETAIL = 'pgwarden-expression:' OPERATOR(pg_catalog.||) i;
    END;
    i := i OPERATOR(pg_catalog.+) 1;
  END LOOP;
END
$pgwarden$
"""
LOCK_NOT_AVAILABLE = '55P03'


def snapshot_params(schema, table, policies):
    roles = set()
    for p in policies:
        roles.update(r for r in p.get('named_roles', p.get('roles')) or [] if r is not None)
    return dict(schema=schema, table=table, roles=sorted(roles))


def parse_snapshot(doc):
    return dict(table=doc['table'], roles=set(doc['roles']),
                policies=dict((p['name'], dict(p, roles=p['roles'] or [])) for p in doc['policies']))


def declared_expressions(policies):
    """[(option, expression)] of every declared expression, in order."""
    out = []
    for p in policies:
        for opt in ('using', 'with_check'):
            if p.get('state', 'present') == 'present' and p.get(opt) is not None:
                out.append((p['where'] + opt, p[opt]))
    return out


def validate_expressions(cursor, schema, table, expressions, search_path=('public',)):
    """Have the server parse each (option, expression) alone as one boolean expression on the table.

    Raises PlanError naming the option of the first expression the server refuses. A lock
    timeout is raised as it is (the caller names the blocking session).
    """
    if not expressions:
        return
    path = search_path_list(search_path).as_string(cursor)
    doc = json.dumps(dict(schema=schema, table=table, expressions=[e for _o, e in expressions], search_path=path))
    cursor.execute('SAVEPOINT pgwarden_validate')
    try:
        cursor.execute("SELECT pg_catalog.set_config('pgwarden.rls_validate', %s, true)", (doc,))
        cursor.execute(VALIDATE)
    except DatabaseError as e:
        cursor.execute('ROLLBACK TO SAVEPOINT pgwarden_validate')
        detail = getattr(getattr(e, 'diag', None), 'message_detail', None) or ''
        if getattr(e, 'pgcode', None) == LOCK_NOT_AVAILABLE or not detail.startswith('pgwarden-expression:'):
            raise
        option = expressions[int(detail.split(':', 1)[1])][0]
        message = getattr(e.diag, 'message_primary', None) or str(e).strip()
        raise PlanError(option, 'the server does not accept this as one boolean expression on %s.%s, nothing was changed: %s'
                        % (schema, table, message))
    cursor.execute('RELEASE SAVEPOINT pgwarden_validate')


def probe(cursor, schema, table, policies, search_path=('public',)):
    """{policy name: (using, with_check)} as the server deparses the declared expressions.

    The probe policies go on a temporary copy of the table (same name and columns), created
    and dropped inside a savepoint: the real table is only read (ACCESS SHARE). Expressions
    must have passed validate_expressions. Raises ProbeError when the server rejects one.
    The policies are created under the user's search path (then pg_temp, so the copy does not hide
    the real table) and read back under the session's pinned one, as the snapshot reads the real
    table's policies: names outside pg_catalog are printed schema-qualified on both sides.
    """
    if not policies:
        return {}
    cursor.execute('SAVEPOINT pgwarden_probe')
    try:
        cursor.execute(sql.SQL('CREATE TEMP TABLE {} (LIKE {})').format(
            sql.Identifier(table), sql.Identifier(schema, table)))
        cursor.execute(user_search_path(search_path))
        for i, p in enumerate(policies):
            probe_policy = dict(p, name='pgwarden_probe_%d' % i, roles=[None])
            try:
                cursor.execute(policy_statement('pg_temp', table, probe_policy).query)
            except DatabaseError as e:  # the message names the policy
                if getattr(e, 'pgcode', None) == LOCK_NOT_AVAILABLE:
                    raise
                raise ProbeError(p, str(e).strip())
        cursor.execute(reset_search_path())
        cursor.execute(PROBE_READ, dict(table=table))
        found = cursor.fetchone()[0]
    finally:
        cursor.execute('ROLLBACK TO SAVEPOINT pgwarden_probe')
    return dict((p['name'], tuple(found['pgwarden_probe_%d' % i])) for i, p in enumerate(policies))


class ProbeError(Exception):
    def __init__(self, policy, error):
        self.policy = policy
        self.error = error
        super(ProbeError, self).__init__('policy %r: %s' % (policy['name'], error))
