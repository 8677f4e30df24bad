# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read current privileges: one catalog query per run, whatever the number of objects.

ACLs are exploded on the server with aclexplode(); a NULL ACL is read as the built-in
default (acldefault()), so PUBLIC's implicit privileges (CONNECT and TEMPORARY on
databases, EXECUTE on functions, USAGE on types) are seen and revoked idempotently.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import DatabaseError
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_model import argument_types, split_routine
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError, reset_search_path, user_search_path


# One ACL as a JSON list of [grantee (null = PUBLIC), grantor, privilege, grantable].
def _acl_sql(expr):
    return ("(SELECT coalesce(json_agg(json_build_array("
            "CASE WHEN x.grantee = '0'::oid THEN NULL ELSE pg_get_userbyid(x.grantee) END, "
            "pg_get_userbyid(x.grantor), x.privilege_type, x.is_grantable)), '[]') "
            "FROM aclexplode(" + expr + ") x)")


# Bound parameters are %(name)s; a literal percent sign is written %%.
_SNAPSHOT = (
    "SELECT json_build_object("
    " 'current_user', current_user,"
    " 'superuser', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),"
    " 'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles WHERE rolname = ANY(%(roles)s::text[])),"
    " 'schemas', (SELECT coalesce(json_agg(json_build_object('name', n.nspname, 'owner', pg_get_userbyid(n.nspowner),"
    "   'acl', " + _acl_sql("coalesce(n.nspacl, acldefault('n', n.nspowner))") + ")), '[]')"
    "   FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s::text[])),"
    " 'databases', (SELECT coalesce(json_agg(json_build_object('name', d.datname, 'owner', pg_get_userbyid(d.datdba),"
    "   'acl', " + _acl_sql("coalesce(d.datacl, acldefault('d', d.datdba))") + ")), '[]')"
    "   FROM pg_database d WHERE d.datname = ANY(%(databases)s::text[])),"
    " 'relations', (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', c.relname,"
    "   'relkind', c.relkind, 'owner', pg_get_userbyid(c.relowner), 'acl', "
    + _acl_sql("coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))")
    + ")), '[]')"
    "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
    "     AND (n.nspname = ANY(%(rel_all)s::text[])"
    "          OR (n.nspname, c.relname) IN (SELECT * FROM unnest(%(rel_s)s::text[], %(rel_n)s::text[])))),"
    " 'columns', (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'table', c.relname,"
    "   'name', a.attname, 'owner', pg_get_userbyid(c.relowner), 'acl', "
    "CASE WHEN a.attacl IS NULL THEN '[]'::json ELSE " + _acl_sql("a.attacl") + " END)), '[]')"
    "   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE a.attnum > 0 AND NOT a.attisdropped"
    "     AND (n.nspname, c.relname) IN (SELECT * FROM unnest(%(col_s)s::text[], %(col_t)s::text[]))),"
    " 'routines', (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'declared', r.declared,"
    "   'key', p.proname || '(' || oidvectortypes(p.proargtypes) || ')', 'name', p.proname,"
    "   'args', pg_get_function_identity_arguments(p.oid), 'prokind', p.prokind,"
    "   'owner', pg_get_userbyid(p.proowner), 'acl', " + _acl_sql("coalesce(p.proacl, acldefault('f', p.proowner))")
    + ")), '[]')"
    "   FROM (SELECT k.key AS declared, k.oid"
    "           FROM unnest(%(fn_oid)s::oid[], %(fn_k)s::text[]) AS k(oid, key)"
    "         UNION ALL"
    "         SELECT NULL, p.oid"
    "           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    "           WHERE (n.nspname = ANY(%(fn_all)s::text[]) AND p.prokind IN ('f', 'a', 'w'))"
    "              OR (n.nspname = ANY(%(proc_all)s::text[]) AND p.prokind = 'p')) r"
    "   JOIN pg_proc p ON p.oid = r.oid JOIN pg_namespace n ON n.oid = p.pronamespace),"
    " 'types', (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', t.typname,"
    "   'owner', pg_get_userbyid(t.typowner), 'acl', " + _acl_sql("coalesce(t.typacl, acldefault('T', t.typowner))")
    + ")), '[]')"
    "   FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    "   WHERE (n.nspname, t.typname) IN (SELECT * FROM unnest(%(typ_s)s::text[], %(typ_n)s::text[]))),"
    " 'defaults', (SELECT coalesce(json_agg(json_build_object('role', pg_get_userbyid(d.defaclrole),"
    "   'schema', n.nspname, 'objtype', d.defaclobjtype, 'acl', " + _acl_sql("d.defaclacl") + ")), '[]')"
    "   FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
    "   WHERE pg_get_userbyid(d.defaclrole) = ANY(%(def_roles)s::text[]) OR d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user))"
    ")"
)


def snapshot_query():
    return _SNAPSHOT


def snapshot_params(desired):
    """Bound parameters of the snapshot query for the declared entries."""
    p = dict(roles=set(), schemas=set(), databases=set(), rel_all=set(), rel_s=[], rel_n=[], col_s=[], col_t=[],
             fn_s=[], fn_n=[], fn_a=[], fn_k=[], fn_all=set(), proc_all=set(), typ_s=[], typ_n=[], def_roles=set())
    for e in desired:
        p['roles'].update(g for g in e['grantees'] if g is not None)
        p['roles'].update(e['targets'])
        kind, schema = e['kind'], e['schema']
        if schema is not None:
            p['schemas'].add(schema)
        if kind == 'database':
            p['databases'].update(e['objects'])
        elif kind == 'schema':
            p['schemas'].update(e['objects'])
        elif kind in ('table', 'sequence'):
            if e['all_in_schema']:
                p['rel_all'].add(schema)
            for o in e['objects']:
                p['rel_s'].append(schema)
                p['rel_n'].append(o)
        elif kind == 'column':
            for o in e['objects']:
                p['col_s'].append(schema)
                p['col_t'].append(o)
                p['rel_s'].append(schema)
                p['rel_n'].append(o)
        elif kind in ('function', 'procedure'):
            if e['all_in_schema']:
                p['fn_all' if kind == 'function' else 'proc_all'].add(schema)
            for o in e['objects']:
                name, args = split_routine(o, e['where'] + 'objects')
                p['fn_s'].append(schema)
                p['fn_n'].append(name)
                p['fn_a'].append(argument_types(args, kind))
                p['fn_k'].append(o)
        elif kind == 'type':
            for o in e['objects']:
                p['typ_s'].append(schema)
                p['typ_n'].append(o)
        elif kind == 'default_privileges':
            p['def_roles'].update(e['targets'])  # and always the connecting role, the default target
    return dict((k, sorted(v) if isinstance(v, set) else v) for k, v in p.items())


# A declared routine's argument types are names the user wrote: resolved with the user's search path
# (SET LOCAL around this one statement). Every name of the statement itself is schema-qualified and
# it has no operator, so nothing the database's users create can take part; to_regprocedure parses
# and looks up, it evaluates nothing.
_RESOLVE = ("SELECT pg_catalog.to_regprocedure(pg_catalog.format('%%I.%%I(%%s)', k.s, k.n, k.a))::pg_catalog.oid"
            " FROM ROWS FROM (pg_catalog.unnest(%s::pg_catalog.text[]), pg_catalog.unnest(%s::pg_catalog.text[]),"
            "                 pg_catalog.unnest(%s::pg_catalog.text[]))"
            " WITH ORDINALITY AS k(s, n, a, i) ORDER BY k.i")


def _resolve(conn, search_path, schemas, names, args):
    with conn.cursor() as cur:
        cur.execute(user_search_path(search_path))
        cur.execute(_RESOLVE, (schemas, names, args))
        oids = [r[0] for r in cur.fetchall()]
        cur.execute(reset_search_path())
    return oids


def resolve_routines(conn, params, search_path):
    """The OIDs (None where no such routine) of the declared routines, in the order of params['fn_k']."""
    if not params['fn_k']:
        return []
    return _resolve(conn, search_path, params['fn_s'], params['fn_n'], params['fn_a'])


def routine_error(conn, desired, search_path):
    """After the snapshot failed: the PlanError for the first routine the server cannot parse, or None.

    One query per declared routine, only on this error path, so the option and the object are named
    instead of the server's internal query text.
    """
    conn.rollback()
    for e in desired:
        if e['kind'] not in ('function', 'procedure'):
            continue
        for o in e['objects']:
            name, args = split_routine(o, e['where'] + 'objects')
            try:
                _resolve(conn, search_path, [e['schema']], [name], [argument_types(args, e['kind'])])
            except DatabaseError as err:
                conn.rollback()
                problem = (getattr(getattr(err, 'diag', None), 'message_primary', None) or str(err).splitlines()[0])
                return PlanError(e['where'] + 'objects', 'function %r: PostgreSQL cannot read the argument types: %s'
                                 % (o, problem.strip()))
    return None


def _acl(rows):
    return [tuple(r) for r in rows]


def parse_snapshot(doc, version):
    """The JSON document of the snapshot query as the planner's `current` dict."""
    objects, everything = {}, {}

    def put(key, owner, acl, **extra):
        objects[key] = dict(owner=owner, acl=_acl(acl), **extra)

    for d in doc['databases']:
        put(('database', None, d['name']), d['owner'], d['acl'])
    for s in doc['schemas']:
        put(('schema', None, s['name']), s['owner'], s['acl'])
    for r in doc['relations']:
        kind = 'sequence' if r['relkind'] == 'S' else 'table'
        put((kind, r['schema'], r['name']), r['owner'], r['acl'])
        everything.setdefault((kind, r['schema']), []).append(r['name'])
    for c in doc['columns']:
        put(('column', c['schema'], c['table'], c['name']), c['owner'], c['acl'])
    routines = {}  # (schema, declared text) -> the server's key, name(argument types)
    for f in doc['routines']:
        kind = 'procedure' if f['prokind'] == 'p' else 'function'
        put((kind, f['schema'], f['key']), f['owner'], f['acl'], name=f['name'], args=f['args'])
        if f['declared'] is None:
            everything.setdefault((kind, f['schema']), []).append(f['key'])
        else:
            routines[(f['schema'], f['declared'])] = f['key']
    for t in doc['types']:
        put(('type', t['schema'], t['name']), t['owner'], t['acl'])
    defaults = {}
    for d in doc['defaults']:
        defaults[(d['role'], d['schema'], d['objtype'])] = _acl(d['acl'])
    return dict(current_user=doc['current_user'], superuser=bool(doc['superuser']), version=version,
                roles=set(doc['roles']), schemas=set(s['name'] for s in doc['schemas']),
                objects=objects, all=dict((k, sorted(set(v))) for k, v in everything.items()),
                defaults=defaults, routines=routines)
