# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired state of roles: the options of the role module, normalised and validated.

Pure functions: no connection. Every error is a PlanError naming the option.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six import string_types
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_values import split_list
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

NAMEDATALEN = 64  # identifiers are at most 63 bytes

# (option, keyword when true, keyword when false, pg_authid column)
ATTRIBUTES = (
    ('superuser', 'SUPERUSER', 'NOSUPERUSER', 'rolsuper'),
    ('createdb', 'CREATEDB', 'NOCREATEDB', 'rolcreatedb'),
    ('createrole', 'CREATEROLE', 'NOCREATEROLE', 'rolcreaterole'),
    ('inherit', 'INHERIT', 'NOINHERIT', 'rolinherit'),
    ('login', 'LOGIN', 'NOLOGIN', 'rolcanlogin'),
    ('replication', 'REPLICATION', 'NOREPLICATION', 'rolreplication'),
    ('bypassrls', 'BYPASSRLS', 'NOBYPASSRLS', 'rolbypassrls'),
)
# What CREATE ROLE gives an attribute that is not declared.
ATTRIBUTE_DEFAULTS = dict(superuser=False, createdb=False, createrole=False, inherit=True,
                          login=False, replication=False, bypassrls=False)

RESERVED_NAMES = ('public', 'none', 'current_user', 'session_user', 'current_role')
GUC_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$')
# Parameters whose value is a list; ALTER ROLE ... SET takes them as several literals.
LIST_GUCS = frozenset(('search_path', 'temp_tablespaces', 'session_preload_libraries',
                       'local_preload_libraries'))

MEMBER_OPTIONS = dict(
    name=dict(type='str', required=True),
    admin=dict(type='bool', default=False),
    inherit=dict(type='bool'),
    set=dict(type='bool'),
)

# The options of one role: top level (with `name`) or an element of `roles`.
ROLE_OPTIONS = dict(
    name=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent']),
    login=dict(type='bool'),
    superuser=dict(type='bool'),
    createdb=dict(type='bool'),
    createrole=dict(type='bool'),
    replication=dict(type='bool'),
    bypassrls=dict(type='bool'),
    inherit=dict(type='bool'),
    connection_limit=dict(type='int'),
    valid_until=dict(type='str'),
    password=dict(type='str', no_log=True),
    update_password=dict(type='str', choices=['always', 'on_create'], no_log=False),
    member_of=dict(type='list', elements='raw'),
    settings=dict(type='dict'),
    database_settings=dict(type='dict'),
)
PER_ROLE_ONLY = [k for k in ROLE_OPTIONS if k not in ('update_password',)]


def validate_name(name, option='name', predefined=False):
    """The name, or PlanError; predefined=True admits the pg_ roles (pg_monitor...) as groups to join."""
    if not isinstance(name, string_types) or name == '':
        raise PlanError(option, 'a role name must be a non-empty string')
    size = len(name.encode('utf-8'))
    if size >= NAMEDATALEN:
        raise PlanError(option, 'role name %r is %d bytes; PostgreSQL allows at most %d'
                        % (name, size, NAMEDATALEN - 1))
    if '\x00' in name:
        raise PlanError(option, 'role name %r contains a NUL byte' % name)
    if name.lower() in RESERVED_NAMES:
        raise PlanError(option, 'role name %r is reserved' % name)
    if name.startswith('pg_') and not predefined:
        raise PlanError(option, 'role name %r: names starting with pg_ are reserved for predefined roles' % name)
    return name


def setting_text(value):
    """A parameter value as PostgreSQL stores it in pg_db_role_setting (None resets).

    A list stays a list: each element is one item, sent as its own literal, so an
    item holding a comma is not split.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return 'on' if value else 'off'
    if isinstance(value, (list, tuple)):
        return [setting_text(v) for v in value]
    return str(value)


def list_items(value):
    """Items of a list parameter: a list as given, or text as the server writes it ('"a,b", c')."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return split_list(value)


def same_setting(name, stored, desired):
    if stored is None or desired is None:
        return stored == desired
    if name in LIST_GUCS:
        return list_items(stored) == list_items(desired)
    if isinstance(desired, list):
        desired = ', '.join(desired)
    return stored == desired


def _settings(opt, value):
    """{lower-case name: value}; names are folded as the server folds them."""
    out = {}
    for name, v in (value or {}).items():
        if not GUC_NAME_RE.match(str(name)):
            raise PlanError(opt, 'invalid parameter name %r' % (name,))
        if isinstance(v, dict) or (isinstance(v, (list, tuple)) and any(isinstance(i, (dict, list, tuple)) for i in v)):
            raise PlanError(opt, 'parameter %r: a value is a string, number, boolean, list of those, or null' % (name,))
        key = str(name).lower()
        if key in out:
            raise PlanError(opt, 'parameter %r is given twice (names are case-insensitive)' % (name,))
        out[key] = setting_text(v)
    return out


def _members(opt, entries, own_name, version):
    out = {}
    for entry in entries:
        if isinstance(entry, string_types):
            entry = dict(name=entry)
        if not isinstance(entry, dict) or 'name' not in entry:
            raise PlanError(opt, 'each entry is a role name or a dict with name, admin, inherit, set')
        unknown = set(entry) - set(MEMBER_OPTIONS)
        if unknown:
            raise PlanError(opt, 'unknown keys %s in the entry for %r' % (', '.join(sorted(unknown)), entry['name']))
        group = validate_name(entry['name'], opt, predefined=True)
        if group == own_name:
            raise PlanError(opt, 'role %r cannot be a member of itself' % own_name)
        opts = dict(admin=bool(entry.get('admin', False)), inherit=entry.get('inherit'), set=entry.get('set'))
        for key in ('inherit', 'set'):
            if opts[key] is not None:
                opts[key] = bool(opts[key])
                if version < 160000:
                    raise PlanError(opt, '%s option of membership in %r needs PostgreSQL 16 or later'
                                    % (key.upper(), group))
        out[group] = opts
    return out


def desired_role(item, where, defaults, version):
    """One normalised desired role from a dict of ROLE_OPTIONS."""
    name = validate_name(item.get('name'), where + 'name')
    state = item.get('state') or 'present'
    if state == 'absent':
        extra = [k for k in ROLE_OPTIONS if k not in ('name', 'state', 'update_password') and item.get(k) is not None]
        if extra:
            raise PlanError(where + extra[0], 'not allowed with state=absent (role %r)' % name)
        return dict(name=name, state='absent')
    limit = item.get('connection_limit')
    if limit is not None and limit < -1:
        raise PlanError(where + 'connection_limit', 'must be -1 (no limit) or more, got %d' % limit)
    settings = {}
    if item.get('settings'):
        settings[''] = _settings(where + 'settings', item['settings'])
    for db, values in (item.get('database_settings') or {}).items():
        if not isinstance(values, dict):
            raise PlanError(where + 'database_settings', 'database %r: expected a dict of parameters' % db)
        settings[str(db)] = _settings(where + 'database_settings', values)
    member_of = item.get('member_of')
    return dict(
        name=name, state='present',
        attrs=dict((a[0], item[a[0]]) for a in ATTRIBUTES if item.get(a[0]) is not None),
        connection_limit=limit,
        valid_until=item.get('valid_until'),
        where=where,
        password=item.get('password'),
        update_password=item.get('update_password') or defaults['update_password'],
        member_of=None if member_of is None else _members(where + 'member_of', member_of, name, version),
        settings=settings,
    )


def desired_roles(params, version):
    """All declared roles from the module parameters, validated."""
    defaults = dict(update_password=params.get('update_password') or 'always')
    if params.get('roles') is not None:
        stray = [k for k in PER_ROLE_ONLY if params.get(k) is not None]
        if stray:
            raise PlanError(stray[0], 'give it inside each element of roles, not at the top level with roles')
        items = [(item, 'roles[%d].' % i) for i, item in enumerate(params['roles'])]
    elif params.get('name') is not None:
        items = [(params, '')]
    elif params.get('exclusive'):
        items = []
    else:
        raise PlanError('name', 'one of name or roles is required')
    if params.get('exclusive') and not params.get('allow_empty_exclusive') and \
            not any((item.get('state') or 'present') == 'present' for item, _where in items):
        raise PlanError('roles', 'exclusive=true with no role declared present would drop every role that is not '
                                 'protected; nothing was changed. If that is really wanted, set allow_empty_exclusive=true')
    out, seen = [], {}
    for item, where in items:
        role = desired_role(item, where, defaults, version)
        if role['name'] in seen:
            raise PlanError(where + 'name', 'role %r is declared twice (also at %s)' % (role['name'], seen[role['name']] or 'top level'))
        seen[role['name']] = where.rstrip('.')
        out.append(role)
    return out
