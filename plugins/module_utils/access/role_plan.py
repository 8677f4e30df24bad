# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan(current, desired) for roles: a pure function from plain dicts to statements."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, Secret, SQL, ident, join, literal, stmt)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_model import (
    ATTRIBUTES, ATTRIBUTE_DEFAULTS, LIST_GUCS, list_items, same_setting)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access import scram


class RolePlan(object):
    """Statements in execution order plus what the diff and the result report."""

    def __init__(self):
        self.creates, self.alters, self.grants, self.revokes, self.settings, self.drops = [], [], [], [], [], []
        self.created, self.altered, self.dropped = [], [], []
        self.before, self.after = {}, {}

    @property
    def statements(self):
        return self.creates + self.alters + self.grants + self.revokes + self.settings + self.drops

    def touch(self, name):
        if name not in self.created and name not in self.dropped and name not in self.altered:
            self.altered.append(name)


def _keyword(option, value):
    for opt, on, off, _col in ATTRIBUTES:
        if opt == option:
            return SQL(on if value else off)
    raise KeyError(option)


def _password_clause(role, existing, current, new_verifier):
    """The PASSWORD clause to send, or None when the stored password is already right."""
    password = role['password']
    if password is None or (existing and role['update_password'] == 'on_create'):
        return None
    stored = existing['password'] if existing else None
    if password == '':
        if existing and stored is None and current['password_readable']:
            return None
        return SQL('PASSWORD NULL')
    if scram.is_verifier(password):
        if stored == password:
            return None
        return SQL('PASSWORD {}').format(Secret(password))
    if stored and scram.is_scram(stored) and scram.scram_matches(password, stored):
        return None
    # md5 verifiers and unknown passwords are replaced by a fresh SCRAM-SHA-256 verifier.
    return SQL('PASSWORD {}').format(Secret(new_verifier(password)))


def _view(role, members, settings):
    """What diff shows of one role (no password, only whether one is set)."""
    if role is None:
        return {}
    view = dict((opt, role[opt]) for opt, _on, _off, _col in ATTRIBUTES)
    view.update(connection_limit=role['connection_limit'], valid_until=role['valid_until'],
                password_set=role.get('password') is not None,
                member_of=dict((g, dict((k, v) for k, v in o.items() if k != 'grantors'))
                               for g, o in sorted((members or {}).items())),
                settings=settings or {})
    return view


def _role_clauses(role, existing, current, new_verifier):
    clauses, after = [], dict(existing or dict(ATTRIBUTE_DEFAULTS, connection_limit=-1, valid_until=None, password=None))
    for opt, value in sorted(role['attrs'].items()):
        if existing is None or existing[opt] != value:
            clauses.append(_keyword(opt, value))
        after[opt] = value
    limit = role['connection_limit']
    if limit is not None and (existing is None or existing['connection_limit'] != limit):
        clauses.append(SQL('CONNECTION LIMIT {}').format(literal(limit)))
        after['connection_limit'] = limit
    if role['valid_until'] is not None:
        normalised = current['valid_until'].get(role['valid_until'], role['valid_until'])
        if existing is None or existing['valid_until'] != normalised:
            clauses.append(SQL('VALID UNTIL {}').format(literal(role['valid_until'])))
        after['valid_until'] = normalised
    password = _password_clause(role, existing, current, new_verifier)
    if password is not None:
        clauses.append(password)
        after['password'] = None if role['password'] == '' else '(changed)'
    return clauses, after, password is not None


def _plan_memberships(plan, role, current, known, exclusive):
    name, version = role['name'], current['version']
    have = dict(current['members'].get(name, {}))
    want = role['member_of']
    if want is None:
        want = {} if exclusive else None
    if want is None:
        return have
    after = {} if exclusive else dict(have)
    for group, opts in sorted(want.items()):
        if group not in known:
            raise PlanError('member_of', 'role %r cannot join %r: no such role, and it is not declared' % (name, group))
        if known[group] == 'absent':
            raise PlanError('member_of', 'role %r cannot join %r: it is declared absent' % (name, group))
        cur = have.get(group)
        g, m = ident(group), ident(name)
        if cur is None:
            if version >= 160000:
                withs = [SQL('ADMIN {}').format(SQL('TRUE' if opts['admin'] else 'FALSE'))]
                withs += [SQL('%s %s' % (k.upper(), 'TRUE' if opts[k] else 'FALSE')) for k in ('inherit', 'set') if opts[k] is not None]
                plan.grants.append(stmt('GRANT {g} TO {m} WITH {w}', g=g, m=m, w=join(', ', withs)))
            elif opts['admin']:
                plan.grants.append(stmt('GRANT {g} TO {m} WITH ADMIN OPTION', g=g, m=m))
            else:
                plan.grants.append(stmt('GRANT {g} TO {m}', g=g, m=m))
            after[group] = dict(admin=opts['admin'], inherit=opts['inherit'], set=opts['set'])
            continue
        new = dict(cur)
        for key in ('admin', 'inherit', 'set'):
            if opts[key] is None or bool(cur[key]) == opts[key]:
                continue
            new[key] = opts[key]
            if opts[key]:
                plan.grants.append(stmt('GRANT {g} TO {m} WITH %s TRUE' % key.upper() if version >= 160000
                                        else 'GRANT {g} TO {m} WITH ADMIN OPTION', g=g, m=m))
            else:
                plan.revokes.append(stmt('REVOKE %s OPTION FOR {g} FROM {m}' % key.upper(), g=g, m=m))
        after[group] = new
    if exclusive:
        for group in sorted(set(have) - set(want)):
            for grantor in (sorted(set(have[group]['grantors'])) if version >= 160000 else [None]) or [None]:
                if grantor:
                    plan.revokes.append(stmt('REVOKE {g} FROM {m} GRANTED BY {by}', g=ident(group), m=ident(name), by=ident(grantor)))
                else:
                    plan.revokes.append(stmt('REVOKE {g} FROM {m}', g=ident(group), m=ident(name)))
    return after


def _setting_value(name, value):
    """One literal, or one literal per item of a list (the server quotes each item of a list parameter)."""
    if name in LIST_GUCS or isinstance(value, list):
        items = list_items(value)
        return join(', ', [literal(v) for v in items]) if items else literal('')
    return literal(value)


def _plan_settings(plan, role, current, exclusive):
    name = role['name']
    have = current['settings'].get(name, {})
    after = dict((db, dict(v)) for db, v in have.items())
    dbs = set(role['settings']) | (set(have) if exclusive else set())
    for db in sorted(dbs):
        if db and db not in current['databases']:
            raise PlanError('database_settings', 'database %r does not exist (role %r)' % (db, name))
        want = role['settings'].get(db, {})
        cur = have.get(db, {})
        keys = set(want) | (set(cur) if exclusive else set())
        scope = SQL(' IN DATABASE {}').format(ident(db)) if db else SQL('')
        for key in sorted(keys):
            value = want.get(key)
            guc = join('.', [ident(p) for p in key.split('.')])
            if value is None:
                if key in cur:
                    plan.settings.append(stmt('ALTER ROLE {r}{scope} RESET {k}', r=ident(name), scope=scope, k=guc))
                    after.get(db, {}).pop(key, None)
            elif not same_setting(key, cur.get(key), value):
                plan.settings.append(stmt('ALTER ROLE {r}{scope} SET {k} TO {v}', r=ident(name), scope=scope,
                                          k=guc, v=_setting_value(key, value)))
                after.setdefault(db, {})[key] = value
    return dict((db, v) for db, v in after.items() if v)


def _protected(current):
    return set([current['current_user'], current['bootstrap']])


def plan_roles(current, desired, exclusive=False, new_verifier=scram.scram_verifier):
    """The statements that take `current` to `desired`; raises PlanError before any of them runs."""
    plan = RolePlan()
    roles = current['roles']
    protected = _protected(current)
    # In exclusive mode undeclared roles are dropped, so only declared, protected
    # and predefined roles can be membership targets.
    known = dict((n, 'present') for n in roles
                 if not exclusive or n in protected or n.startswith('pg_'))
    known.update((r['name'], r['state']) for r in desired)
    for role in desired:
        name, existing = role['name'], roles.get(role['name'])
        if role['state'] == 'absent':
            if name in protected:
                raise PlanError('state', 'refusing to drop %r: it is the connecting role or the bootstrap superuser' % name)
            if existing is not None:
                plan.drops.append(stmt('DROP ROLE {r}', r=ident(name)))
                plan.dropped.append(name)
                plan.before[name] = _view(existing, current['members'].get(name), current['settings'].get(name))
                plan.after[name] = {}
            continue
        if name in protected and (role['attrs'].get('login') is False or role['attrs'].get('superuser') is False):
            raise PlanError('login' if role['attrs'].get('login') is False else 'superuser',
                            'refusing to take LOGIN or SUPERUSER from %r: the collection connects as it' % name)
        count = len(plan.statements)
        clauses, after, _pw = _role_clauses(role, existing, current, new_verifier)
        if existing is None:
            tail = SQL(' WITH {}').format(join(' ', clauses)) if clauses else SQL('')
            plan.creates.append(stmt('CREATE ROLE {r}{tail}', r=ident(name), tail=tail))
            plan.created.append(name)
        elif clauses:
            plan.alters.append(stmt('ALTER ROLE {r} WITH {c}', r=ident(name), c=join(' ', clauses)))
        members_after = _plan_memberships(plan, role, current, known, exclusive)
        settings_after = _plan_settings(plan, role, current, exclusive)
        if len(plan.statements) != count:
            plan.touch(name)
            plan.before[name] = _view(existing, current['members'].get(name), current['settings'].get(name))
            plan.after[name] = _view(after, members_after, settings_after)
    if exclusive:
        declared = set(r['name'] for r in desired)
        for name in sorted(set(roles) - declared - protected):
            if name.startswith('pg_'):
                continue
            plan.drops.append(stmt('DROP ROLE {r}', r=ident(name)))
            plan.dropped.append(name)
            plan.before[name] = _view(roles[name], current['members'].get(name), current['settings'].get(name))
            plan.after[name] = {}
    return plan
