# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan(current, desired) for privileges: pure, from plain dicts to GRANT/REVOKE statements.

Differences are computed per (object, grantee, privilege) and then grouped, so one
statement covers every object that needs the same privileges for the same grantee:
the number of statements depends on the shape of the declaration, not on the number
of objects.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.grant_model import (
    DEFAULT_KINDS, PUBLIC, RoutineRef, allowed_privileges)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, SQL, Statement, ident, join, stmt)

KEYWORD = dict(database='DATABASE', schema='SCHEMA', table='TABLE', sequence='SEQUENCE',
               function='ROUTINE', procedure='ROUTINE', type='TYPE')


def default_global_acl(role, objtype, version):
    """The built-in default privileges of `role` for objtype when pg_default_acl has no global row."""
    kind = [k for k, v in DEFAULT_KINDS.items() if v[1] == objtype][0]
    acl = [(role, role, p, False) for p in allowed_privileges('default_privileges', version, kind)]
    if objtype == 'f':
        acl.append((PUBLIC, role, 'EXECUTE', False))
    elif objtype == 'T':
        acl.append((PUBLIC, role, 'USAGE', False))
    return acl


def _label(key):
    kind = key[0]
    if kind == 'default':
        return 'default privileges for role %s in %s on %s' % (
            key[1], 'schema %s' % key[2] if key[2] is not None else 'all schemas',
            [k for k, v in DEFAULT_KINDS.items() if v[1] == key[3]][0])
    return '%s %s' % (kind, '.'.join(p for p in key[1:] if p is not None))


def _grantee_label(g):
    return 'PUBLIC' if g is PUBLIC else g


def _view(held):
    privs = {}
    for by in held.values():
        for p, grantable in by.items():
            privs[p] = privs.get(p, False) or grantable
    return sorted(p + (' WITH GRANT OPTION' if g else '') for p, g in privs.items())


class GrantPlan(object):
    """Entries are applied one after the other to a simulated copy of the privileges; the
    statements are the net difference between the state read and the simulated end state.

    So a later entry sees the effect of an earlier one, the diff is exactly what the
    statements do, and a second run over the end state plans nothing. Each (object, grantee,
    grantor, privilege) changes at most once in the net difference, so revokes can run before
    grants and statements can cover many objects without changing the result.
    """

    def __init__(self, current):
        self.current = current
        self._state = {}
        self._before = {}  # (key, grantee) -> {grantor: {privilege: grantable}} as read, in first-touched order

    # -- simulated state -----------------------------------------------------------------
    def acl_of(self, key):
        if key[0] == 'default':
            _k, role, schema, objtype = key
            acl = self.current['defaults'].get((role, schema, objtype))
            if acl is None:
                acl = default_global_acl(role, objtype, self.current['version']) if schema is None else []
            return acl
        return self.current['objects'][key]['acl']

    def held(self, key, grantee):
        if (key, grantee) not in self._state:
            out = {}
            for g, grantor, priv, grantable in self.acl_of(key):
                if g == grantee:
                    out.setdefault(grantor, {})[priv] = bool(grantable)
            self._state[(key, grantee)] = out
        return self._state[(key, grantee)]

    def effective_grantor(self, key):
        if key[0] == 'default':
            return key[1]
        owner = self.current['objects'][key]['owner']
        cu = self.current['current_user']
        return owner if self.current['superuser'] or cu == owner else cu

    # -- operations on the simulated state ---------------------------------------------------
    def _record(self, key, grantee):
        if (key, grantee) not in self._before:
            self._before[(key, grantee)] = dict((g, dict(by)) for g, by in self.held(key, grantee).items())

    def grant(self, key, grantee, privs, with_go):
        if not privs:
            return
        self._record(key, grantee)
        held = self.held(key, grantee).setdefault(self.effective_grantor(key), {})
        for p in privs:
            held[p] = held.get(p, False) or with_go

    def revoke(self, key, grantee, privs, option_only):
        self._record(key, grantee)
        for _grantor, by in sorted(self.held(key, grantee).items()):
            for p in [p for p in privs if p in by and (by[p] or not option_only)]:
                if option_only:
                    by[p] = False
                else:
                    del by[p]

    # -- results -------------------------------------------------------------------------
    @property
    def diff(self):
        before, after = {}, {}
        for (key, grantee), held in sorted(self._before.items(), key=lambda kv: (_label(kv[0][0]), str(kv[0][1]))):
            view, new = _view(held), _view(self.held(key, grantee))
            if new != view:
                before.setdefault(_label(key), {})[_grantee_label(grantee)] = view
                after.setdefault(_label(key), {})[_grantee_label(grantee)] = new
        return before, after

    def _net(self):
        """Group key -> object keys, for the net difference, in first-touched order."""
        ops = {}
        for (key, grantee), before in self._before.items():
            after = self.held(key, grantee)
            eff = self.effective_grantor(key)
            obj = key[:3] if key[0] == 'column' else key
            column = key[3] if key[0] == 'column' else None
            for grantor in sorted(set(before) | set(after)):
                b, a = before.get(grantor, {}), after.get(grantor, {})
                setrole = None if grantor == eff else grantor
                changes = (('revoke', setrole, [p for p in b if p not in a]),
                           ('revoke_go', setrole, [p for p in b if p in a and b[p] and not a[p]]),
                           ('grant', None, [p for p in a if p not in b and not a[p]]),
                           ('grant_go', None, [p for p in a if a[p] and not b.get(p)]))
                for op, role, privs in changes:
                    if privs:
                        group = (op, role, obj[0], obj[1] if obj[0] in ('column', 'default') else None,
                                 obj if obj[0] in ('column', 'default') else None, tuple(sorted(privs)), grantee, column)
                        ops.setdefault(group, [])
                        if obj not in ops[group]:
                            ops[group].append(obj)
        return ops

    @property
    def statements(self):
        out = []
        rank = dict(revoke_go=0, revoke=1, grant=2, grant_go=2)
        ops = self._net()
        # Revokes before grants; otherwise in first-touched order (dicts keep insertion order).
        for group in sorted(ops, key=lambda g: rank[g[0]]):
            op, setrole, kind, _scope, _obj, privs, grantee, column = group
            if setrole:
                out.append(stmt('SET ROLE {r}', r=ident(setrole)))
            out.extend(self._render(op, kind, ops[group], privs, grantee, column))
            if setrole:
                out.append(Statement(SQL('RESET ROLE')))
        return out

    def _object_sql(self, key):
        kind = key[0]
        if kind in ('database', 'schema'):
            return ident(key[2])
        if kind in ('function', 'procedure'):
            info = self.current['objects'][key]
            # The argument list is the server's own pg_get_function_identity_arguments() text.
            return SQL('{}({})').format(ident(key[1], info['name']), SQL(info['args']))
        return ident(key[1], key[2])

    def _render(self, op, kind, objects, privs, grantee, column):
        to = SQL('PUBLIC') if grantee is PUBLIC else ident(grantee)
        verb = {'grant': 'GRANT {p} ON {o} TO {g}', 'grant_go': 'GRANT {p} ON {o} TO {g} WITH GRANT OPTION',
                'revoke': 'REVOKE {p} ON {o} FROM {g}', 'revoke_go': 'REVOKE GRANT OPTION FOR {p} ON {o} FROM {g}'}[op]
        if kind == 'default':
            _k, role, schema, objtype = objects[0]
            word = [v[0] for v in DEFAULT_KINDS.values() if v[1] == objtype][0]
            scope = SQL(' IN SCHEMA {}').format(ident(schema)) if schema is not None else SQL('')
            return [stmt('ALTER DEFAULT PRIVILEGES FOR ROLE {r}{s} ' + verb, r=ident(role), s=scope,
                         p=SQL(', '.join(privs)), o=SQL(word), g=to)]
        if kind == 'column':
            p = join(', ', [SQL('{} ({})').format(SQL(pr), ident(column)) for pr in privs])
            return [stmt(verb, p=p, o=SQL('TABLE {}').format(ident(objects[0][1], objects[0][2])), g=to)]
        word = KEYWORD[kind]
        return [stmt(verb, p=SQL(', '.join(privs)),
                     o=SQL(word + ' {}').format(join(', ', [self._object_sql(k) for k in objects])), g=to)]


def _resolve(entry, current):
    """The object keys an entry covers; PlanError for missing objects unless state=absent."""
    kind, schema, opt = entry['kind'], entry['schema'], entry['where']
    strict = entry['state'] != 'absent'
    if kind == 'default_privileges':
        targets = entry['targets'] or [current['current_user']]
        for t in targets:
            if t not in current['roles'] and t != current['current_user'] and strict:
                raise PlanError(opt + 'target_roles', 'role %r does not exist' % t)
        if schema is not None and schema not in current['schemas'] and strict:
            raise PlanError(opt + 'schema', 'schema %r does not exist' % schema)
        return [(('default', t, schema, DEFAULT_KINDS[k][1]), k) for t in targets for k in entry['objects']]
    if schema is not None and schema not in current['schemas']:
        if strict:
            raise PlanError(opt + 'schema', 'schema %r does not exist' % schema)
        return []
    names = current['all'].get((kind, schema), []) if entry['all_in_schema'] else entry['objects']
    keys = []
    aliases = current.get('routines') or {}
    for name in names:
        if isinstance(name, RoutineRef):  # {schema, name, args}: found by exact names and argument type OIDs
            key = aliases.get((name.schema, name.declared))
            if key is not None and (kind, name.schema, key) in current['objects']:
                keys.append(((kind, name.schema, key), None))
            elif strict:
                other = [k for k in current['objects'] if key is not None and k[1:] == (name.schema, key) and k[0] != kind]
                raise PlanError('%sobjects[%d]' % (opt, name.index), '%s %s does not exist%s' % (
                    kind, name.label, ' (it is a %s)' % other[0][0] if other else ''))
            continue
        # A function declared as f(int4, varchar) or f(a integer, b text) is known by the server's one key.
        name = aliases.get((schema, name), name) if kind in ('function', 'procedure') else name
        if kind == 'column':
            if ('table', schema, name) not in current['objects']:
                if strict:
                    raise PlanError(opt + 'objects', 'table %r.%r does not exist' % (schema, name))
                continue
            for col in entry['columns']:
                key = ('column', schema, name, col)
                if key in current['objects']:
                    keys.append((key, None))
                elif strict:
                    raise PlanError(opt + 'columns', 'column %r of table %r.%r does not exist' % (col, schema, name))
            continue
        key = (kind, None, name) if kind in ('database', 'schema') else (kind, schema, name)
        if key in current['objects']:
            keys.append((key, None))
        elif strict:
            other = [k for k in current['objects'] if k[1:] == key[1:] and k[0] != kind]
            hint = ' (it is a %s)' % other[0][0] if other else ''
            raise PlanError(opt + 'objects', '%s %r does not exist%s' % (
                kind, name if schema is None else '%s.%s' % (schema, name), hint))
    return keys


def plan_grants(current, desired):
    """The plan taking `current` to `desired`; PlanError before any statement when input is wrong."""
    plan = GrantPlan(current)
    for entry in desired:
        strict = entry['state'] != 'absent'
        grantees = []
        for g in entry['grantees']:
            if g is PUBLIC or g in current['roles']:
                grantees.append(g)
            elif strict:
                raise PlanError(entry['where'] + 'roles', 'role %r does not exist' % g)
        for key, default_kind in _resolve(entry, current):
            want = entry['privileges'][default_kind]
            for g in grantees:
                _plan_one(plan, entry, key, g, want)
    return plan


def _plan_one(plan, entry, key, grantee, want):
    state, go = entry['state'], entry['grant_option']
    held = plan.held(key, grantee)
    have = set(p for by in held.values() for p in by)
    grantable = set(p for by in held.values() for p, g in by.items() if g)
    if state == 'absent':
        plan.revoke(key, grantee, want, option_only=bool(go))
        return
    if state == 'exact':
        plan.revoke(key, grantee, have - want, option_only=False)
    if go:
        plan.grant(key, grantee, want - grantable, True)
    else:
        plan.grant(key, grantee, want - have, False)
        if go is False:
            plan.revoke(key, grantee, want & grantable, option_only=True)
