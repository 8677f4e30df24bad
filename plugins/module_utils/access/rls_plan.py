# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Row-level security: desired policies validated, and plan(current, desired, normalised)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.six import string_types
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access import sql_lexer
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, SQL, ident, join, stmt)

COMMANDS = dict(all='*', select='r', insert='a', update='w', delete='d')
POLICY_OPTIONS = dict(
    name=dict(type='str', required=True),
    command=dict(type='str', choices=sorted(COMMANDS), default='all'),
    permissive=dict(type='bool', default=True),
    roles=dict(type='list', elements='str'),
    using=dict(type='str'),
    with_check=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)


def check_expression(text, option, standard_strings=True):
    """Refuse what could escape the surrounding parentheses: `;`, comments, unbalanced quotes or parentheses.

    An expression is SQL by nature; this guard makes sure it stays one expression, split into
    tokens as the server's scanner splits it (sql_lexer), before any of it reaches the server.
    """
    try:
        return sql_lexer.check_expression(text, standard_strings)
    except sql_lexer.LexError as e:
        raise PlanError(option, str(e))


def desired_policies(policies, standard_strings=True):
    """Declared policies checked and normalised; standard_strings is the session's standard_conforming_strings."""
    out, seen = [], set()
    for i, p in enumerate(policies or []):
        where = 'policies[%d].' % i
        name = p.get('name')
        if not isinstance(name, string_types) or not name or len(name.encode('utf-8')) > 63 or '\x00' in name:
            raise PlanError(where + 'name', 'a policy name of 1 to 63 bytes is required')
        if name.startswith('pgwarden_probe_'):
            raise PlanError(where + 'name', 'names starting with pgwarden_probe_ are reserved')
        if name in seen:
            raise PlanError(where + 'name', 'policy %r is declared twice' % name)
        seen.add(name)
        state = p.get('state') or 'present'
        if state == 'absent':
            out.append(dict(name=name, state='absent', where=where))
            continue
        command = p.get('command') or 'all'
        using, check = p.get('using'), p.get('with_check')
        if command == 'insert' and using is not None:
            raise PlanError(where + 'using', 'an INSERT policy takes only with_check')
        if command in ('select', 'delete') and check is not None:
            raise PlanError(where + 'with_check', 'a %s policy takes only using' % command.upper())
        if using is None and check is None:
            raise PlanError(where + 'using', 'give using, with_check or both')
        for opt, value in (('using', using), ('with_check', check)):
            if value is not None:
                if '\x00' in value:
                    raise PlanError(where + opt, 'must not contain a NUL character')
                if not value.strip():
                    raise PlanError(where + opt, 'must not be empty')
                check_expression(value, where + opt, standard_strings)
        roles = []
        for r in p.get('roles') or ['PUBLIC']:
            r = None if r.lower() == 'public' else r
            if r not in roles:
                roles.append(r)
        named = [r for r in roles if r is not None]
        if None in roles:
            roles = [None]  # PUBLIC covers every role: the server stores PUBLIC alone
        out.append(dict(name=name, state='present', command=command, permissive=p.get('permissive', True) is not False,
                        roles=roles, named_roles=named, using=using, with_check=check, where=where))
    return out


def _roles_sql(roles):
    return join(', ', [SQL('PUBLIC') if r is None else ident(r) for r in roles])


def _exprs(p):
    parts = []
    if p['using'] is not None:
        parts.append(SQL(' USING ({})').format(SQL(p['using'])))
    if p['with_check'] is not None:
        parts.append(SQL(' WITH CHECK ({})').format(SQL(p['with_check'])))
    return SQL('').join(parts)


def policy_statement(schema, table, p):
    """CREATE POLICY for a desired policy (also used, under another name, by the probe)."""
    return stmt('CREATE POLICY {n} ON {t} AS {k} FOR {c} TO {r}{e}', n=ident(p['name']), t=ident(schema, table),
                k=SQL('PERMISSIVE' if p['permissive'] else 'RESTRICTIVE'), c=SQL(p['command'].upper()),
                r=_roles_sql(p['roles']), e=_exprs(p))


def _same_roles(a, b):
    return sorted(a, key=str) == sorted(b, key=str)


def needs_probe(current, desired):
    """Declared policies that are new or whose expressions differ as text from the stored ones.

    The probe gives the server's deparse of the existing ones, and proves every one of them
    makes a valid policy before anything changes.
    """
    out = []
    for p in desired:
        have = current['policies'].get(p['name'])
        if p['state'] == 'present' and (have is None or (have['using'], have['with_check']) != (p['using'], p['with_check'])):
            out.append(p)
    return out


def _view(p):
    if p is None:
        return {}
    cmd = p['command']
    cmd = [k for k, v in COMMANDS.items() if v == cmd][0] if len(cmd) == 1 else cmd
    return dict(command=cmd, permissive=p['permissive'], roles=['PUBLIC' if r is None else r for r in p['roles']],
                using=p['using'], with_check=p['with_check'])


def plan_rls(current, desired, params, normalised):
    """Statements taking the table's RLS flags and policies to the declared ones."""
    schema, table = params['schema'], params['table']
    if current['table'] is None:
        raise PlanError('table', 'table %r.%r does not exist' % (schema, table))
    t = ident(schema, table)
    statements, before, after = [], {}, {}
    for flag, on, off, key in (('enable', 'ENABLE', 'DISABLE', 'rls'), ('force', 'FORCE', 'NO FORCE', 'force')):
        want = params.get(flag)
        if want is not None and want != current['table'][key]:
            statements.append(stmt('ALTER TABLE {t} %s ROW LEVEL SECURITY' % (on if want else off), t=t))
            before[flag], after[flag] = current['table'][key], want
    for p in desired:
        missing = [r for r in p.get('named_roles', p.get('roles', [])) if r is not None and r not in current['roles']]
        if missing:
            raise PlanError(p['where'] + 'roles', 'role %r does not exist' % missing[0])
    for p in desired:
        have = current['policies'].get(p['name'])
        n = ident(p['name'])
        if p['state'] == 'absent':
            if have:
                statements.append(stmt('DROP POLICY {n} ON {t}', n=n, t=t))
                before[p['name']], after[p['name']] = _view(have), {}
            continue
        want_view = _view(dict(p, command=COMMANDS[p['command']]))
        if have is None:
            statements.append(policy_statement(schema, table, p))
            before[p['name']], after[p['name']] = {}, want_view
            continue
        exprs = normalised.get(p['name'], (p['using'], p['with_check']))
        same_exprs = tuple(exprs) == (have['using'], have['with_check'])
        if have['command'] != COMMANDS[p['command']] or have['permissive'] != p['permissive'] or \
                (not same_exprs and ((p['using'] is None) != (have['using'] is None)
                                     or (p['with_check'] is None) != (have['with_check'] is None))):
            statements.append(stmt('DROP POLICY {n} ON {t}', n=n, t=t))
            statements.append(policy_statement(schema, table, p))
        elif not same_exprs or not _same_roles(p['roles'], have['roles']):
            statements.append(stmt('ALTER POLICY {n} ON {t} TO {r}{e}', n=n, t=t, r=_roles_sql(p['roles']), e=_exprs(p)))
        else:
            continue
        before[p['name']], after[p['name']] = _view(have), want_view
    if params.get('exclusive'):
        declared = set(p['name'] for p in desired)
        for name in sorted(set(current['policies']) - declared):
            statements.append(stmt('DROP POLICY {n} ON {t}', n=ident(name), t=t))
            before[name], after[name] = _view(current['policies'][name]), {}
    return statements, before, after
