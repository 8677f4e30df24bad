# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired privileges: the options of the grant module, normalised and validated.

Pure functions, no connection. Every error is a PlanError naming the option.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
from collections import namedtuple

from ansible.module_utils.six import string_types
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

PUBLIC = None  # the grantee PUBLIC (grantee oid 0 in an ACL)

TABLE_PRIVS = ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
# Privileges each object type accepts, in the order GRANT ALL grants them.
PRIVILEGES = dict(
    database=('CREATE', 'CONNECT', 'TEMPORARY'),
    schema=('USAGE', 'CREATE'),
    table=TABLE_PRIVS,
    sequence=('USAGE', 'SELECT', 'UPDATE'),
    function=('EXECUTE',),
    procedure=('EXECUTE',),
    type=('USAGE',),
    column=('SELECT', 'INSERT', 'UPDATE', 'REFERENCES'),
)
# Object kinds of ALTER DEFAULT PRIVILEGES: keyword, pg_default_acl.defaclobjtype, privileges.
DEFAULT_KINDS = dict(
    tables=('TABLES', 'r', TABLE_PRIVS),
    sequences=('SEQUENCES', 'S', PRIVILEGES['sequence']),
    functions=('FUNCTIONS', 'f', ('EXECUTE',)),
    types=('TYPES', 'T', ('USAGE',)),
    schemas=('SCHEMAS', 'n', PRIVILEGES['schema']),
)
TYPES = tuple(sorted(PRIVILEGES)) + ('default_privileges',)
IN_SCHEMA = ('table', 'sequence', 'function', 'procedure', 'type', 'column')
ALL_IN_SCHEMA = ('table', 'sequence', 'function', 'procedure')
ALIASES = {'TEMP': 'TEMPORARY', 'ALL PRIVILEGES': 'ALL'}

# The options of one grant entry: top level or an element of `grants`.
GRANT_OPTIONS = dict(
    type=dict(type='str', choices=list(TYPES)),
    roles=dict(type='list', elements='str'),
    privileges=dict(type='list', elements='str'),
    objects=dict(type='list', elements='raw'),
    schema=dict(type='str'),
    all_in_schema=dict(type='bool'),
    columns=dict(type='list', elements='str'),
    target_roles=dict(type='list', elements='str'),
    grant_option=dict(type='bool'),
    state=dict(type='str', choices=['present', 'absent', 'exact']),
)


def table_privileges(version):
    return TABLE_PRIVS + (('MAINTAIN',) if version >= 170000 else ())


def allowed_privileges(kind, version, default_kind=None):
    if kind == 'default_privileges':
        privs = DEFAULT_KINDS[default_kind][2]
        return table_privileges(version) if privs == TABLE_PRIVS else privs
    if kind == 'table':
        return table_privileges(version)
    return PRIVILEGES[kind]


def _name(value, option, what):
    if not isinstance(value, string_types) or value == '':
        raise PlanError(option, '%s must be a non-empty string' % what)
    if '\x00' in value:
        raise PlanError(option, '%s %r contains a NUL byte' % (what, value))
    if len(value.encode('utf-8')) > 63:
        raise PlanError(option, '%s %r is longer than 63 bytes' % (what, value))
    return value


def grantee(value, option):
    """A role name, or PUBLIC (any case) as None."""
    if isinstance(value, string_types) and value.lower() == 'public':
        return PUBLIC
    return _name(value, option, 'role name')


def privileges(values, kind, version, option, default_kind=None):
    allowed = allowed_privileges(kind, version, default_kind)
    out = set()
    for raw in values:
        p = ' '.join(str(raw).upper().split())
        p = ALIASES.get(p, p)
        if p == 'ALL':
            out.update(allowed)
        elif p in allowed:
            out.add(p)
        else:
            raise PlanError(option, 'privilege %r does not apply to %s (allowed: %s, ALL)'
                            % (raw, default_kind or kind, ', '.join(allowed)))
    return out


_ARG_PUNCTUATION = set(' \t\n,.()[]_$')


def check_arguments(text, args, option):
    """Refuse an argument list that is not a list of type names: no ;, quotes, comments or operators.

    Outside double quotes only letters, digits, white space and , . ( ) [ ] _ $ are allowed and
    parentheses must balance; inside double quotes anything but NUL.
    """
    depth, i = 0, 0
    while i < len(args):
        c = args[i]
        if c == '"':
            end = i + 1
            while True:
                end = args.find('"', end)
                if end < 0:
                    raise PlanError(option, 'function %r: unterminated double quote in the argument list' % text)
                if args[end + 1:end + 2] == '"':
                    end += 2
                    continue
                break
            if '\x00' in args[i:end]:
                raise PlanError(option, 'function %r contains a NUL byte' % text)
            i = end + 1
            continue
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
            if depth < 0:
                raise PlanError(option, 'function %r: unbalanced parentheses in the argument list' % text)
        elif not (c.isalnum() or c in _ARG_PUNCTUATION):
            raise PlanError(option, 'function %r: character %r is not allowed in an argument list '
                                    '(give type names, e.g. f(integer, text))' % (text, c))
        i += 1
    if depth:
        raise PlanError(option, 'function %r: unbalanced parentheses in the argument list' % text)


_MODES = ('in', 'out', 'inout', 'variadic')
# Type names of more than one word, by their first two words (a parameter name goes before them).
_MULTIWORD = frozenset([('double', 'precision'), ('character', 'varying'), ('char', 'varying'), ('bit', 'varying'),
                        ('national', 'character'), ('national', 'char'), ('nchar', 'varying'), ('time', 'with'),
                        ('time', 'without'), ('timestamp', 'with'), ('timestamp', 'without')])


def _split_top(text, sep):
    """Split at `sep` (a comma or white space) outside double quotes, parentheses and brackets."""
    parts, cur, depth, quoted = [], [], 0, False
    for c in text:
        if c == '"':
            quoted = not quoted
        elif not quoted and c in '([':
            depth += 1
        elif not quoted and c in ')]':
            depth -= 1
        if not quoted and depth == 0 and (c == sep if sep == ',' else c.isspace()):
            parts.append(''.join(cur))
            cur = []
            continue
        cur.append(c)
    parts.append(''.join(cur))
    return [p.strip() for p in parts if p.strip()] if sep != ',' else [p.strip() for p in parts]


def argument_types(args, kind='function'):
    """The argument list as the types alone, as to_regprocedure() reads it.

    Modes (IN, OUT, INOUT, VARIADIC) and parameter names are dropped; OUT arguments are not
    part of a function's signature. 'a integer, OUT b text' -> 'integer'.
    """
    if not args.strip():
        return ''
    out = []
    for arg in _split_top(args, ','):
        words = _split_top(arg, ' ')
        mode = 'in'
        for _round in range(2):  # [mode] [name] type, or [name] [mode] type
            if len(words) > 1 and words[0].lower() in _MODES:
                mode = words.pop(0).lower()
            if len(words) > 1 and (words[0].split('(')[0].lower(), words[1].split('(')[0].lower()) not in _MULTIWORD \
                    and words[0].lower() not in _MODES:
                words.pop(0)
        if mode == 'out' and kind != 'procedure':
            continue
        out.append(' '.join(words))
    return ', '.join(out)


def split_routine(text, option):
    """'name(arg types)' -> ('name', 'arg types'); the name is taken literally (no case folding)."""
    if not text.endswith(')') or '(' not in text:
        raise PlanError(option, 'function %r: give it as name(argument types), e.g. f(integer, text) or f()' % text)
    name, _sep, args = text[:-1].partition('(')
    check_arguments(text, args, option)
    return _name(name, option, 'function name'), args.strip()


class RoutineRef(namedtuple('RoutineRef', 'schema name args index')):
    """A function or procedure given as {schema, name, args}: found in pg_proc by exact names and type OIDs.

    args: a tuple of type names as pg_catalog.to_regtype() reads them (str), or (schema, name)
    of a type matched exactly in pg_type. index: the position in `objects`, for messages.
    """
    __slots__ = ()

    @property
    def declared(self):
        """The text the snapshot query gets and hands back for this reference (never SQL)."""
        return json.dumps([self.schema, self.name, [a if isinstance(a, string_types) else list(a) for a in self.args]])

    @property
    def label(self):
        args = ', '.join(a if isinstance(a, string_types) else '{schema: %s, name: %s}' % a for a in self.args)
        return '{schema: %s, name: %s, args: [%s]}' % (self.schema, self.name, args)


def routine_ref(value, option, schema, index):
    """{schema, name, args: [type, ...]} as a RoutineRef; schema defaults to the entry's."""
    where = '%s[%d]' % (option, index)
    unknown = sorted(str(k) for k in value if k not in ('schema', 'name', 'args'))
    if unknown:
        raise PlanError(where, 'unknown key(s) %s (a function is given as {schema, name, args})' % ', '.join(unknown))
    name = _name(value.get('name'), where + '.name', 'function name')
    ref_schema = _name(value['schema'] if value.get('schema') is not None else schema, where + '.schema', 'schema name')
    args = value.get('args')
    if not isinstance(args, list):
        raise PlanError(where + '.args', 'give the argument types as a list, [] for none')
    out = []
    for j, a in enumerate(args):
        at = '%s.args[%d]' % (where, j)
        if isinstance(a, dict):
            extra = sorted(str(k) for k in a if k not in ('schema', 'name'))
            if extra or a.get('schema') is None:
                raise PlanError(at, 'a type given as a dict needs exactly schema and name')
            out.append((_name(a['schema'], at + '.schema', 'schema name'), _name(a['name'], at + '.name', 'type name')))
            continue
        if not isinstance(a, string_types) or not a.strip() or '\x00' in a:
            raise PlanError(at, 'a type name (e.g. integer, text[], app.money) or {schema, name} is required')
        check_arguments(a, a, at)
        if len(_split_top(a, ',')) > 1:
            raise PlanError(at, 'one type per element, got %r' % a)
        out.append(a.strip())
    return RoutineRef(ref_schema, name, tuple(out), index)


def _object(o, option):
    """A scalar object name as Ansible's str elements had it (numbers become text)."""
    if isinstance(o, (int, float)) and not isinstance(o, bool):
        o = str(o)
    if isinstance(o, dict):
        raise PlanError(option, 'an object given as {schema, name, args} is only for type=function and type=procedure')
    if not isinstance(o, string_types):
        raise PlanError(option, 'object %r must be a name (a string)' % (o,))
    return o


def _entry(item, where, version):
    kind = item.get('type') or 'table'
    state = item.get('state') or 'present'

    def opt(name):
        return where + name

    roles = item.get('roles')
    if not roles:
        raise PlanError(opt('roles'), 'at least one grantee (a role name or PUBLIC) is required')
    grantees = []
    for r in roles:
        g = grantee(r, opt('roles'))
        if g not in grantees:
            grantees.append(g)
    schema = item.get('schema')
    all_in = bool(item.get('all_in_schema'))
    objects = item.get('objects') or []
    if kind not in ('function', 'procedure'):
        objects = [_object(o, opt('objects')) for o in objects]
    columns = item.get('columns') or []
    if kind == 'default_privileges':
        if item.get('all_in_schema') is not None or columns:
            raise PlanError(opt('all_in_schema' if item.get('all_in_schema') is not None else 'columns'),
                            'not used with type=default_privileges')
        if not objects:
            raise PlanError(opt('objects'), 'type=default_privileges needs the object kinds: %s' % ', '.join(sorted(DEFAULT_KINDS)))
        kinds = []
        for o in objects:
            k = str(o).lower()
            if k not in DEFAULT_KINDS:
                raise PlanError(opt('objects'), 'unknown kind %r for default privileges (allowed: %s)' % (o, ', '.join(sorted(DEFAULT_KINDS))))
            if k == 'schemas' and schema is not None:
                raise PlanError(opt('schema'), 'default privileges on schemas cannot be limited to a schema')
            kinds.append(k)
        objects = kinds
        targets = [_name(t, opt('target_roles'), 'role name') for t in item.get('target_roles') or []]
    else:
        if item.get('target_roles'):
            raise PlanError(opt('target_roles'), 'only used with type=default_privileges')
        targets = []
        if kind in IN_SCHEMA:
            schema = _name(schema if schema is not None else 'public', opt('schema'), 'schema name')
        elif schema is not None:
            raise PlanError(opt('schema'), 'not used with type=%s' % kind)
        if all_in and kind not in ALL_IN_SCHEMA:
            raise PlanError(opt('all_in_schema'), 'only for types %s' % ', '.join(ALL_IN_SCHEMA))
        if all_in and objects:
            raise PlanError(opt('objects'), 'give either objects or all_in_schema=true, not both')
        if not all_in and not objects:
            raise PlanError(opt('objects'), 'at least one object is required (or all_in_schema=true)')
        if kind in ('function', 'procedure'):
            objects = [routine_ref(o, opt('objects'), schema, i) if isinstance(o, dict) else _object(o, opt('objects'))
                       for i, o in enumerate(objects)]
            for o in objects:
                if not isinstance(o, RoutineRef):
                    split_routine(o, opt('objects'))
        else:
            objects = [_name(o, opt('objects'), 'object name') for o in objects]
        if kind == 'column':
            if not columns:
                raise PlanError(opt('columns'), 'type=column needs the column names')
            columns = [_name(c, opt('columns'), 'column name') for c in columns]
        elif columns:
            raise PlanError(opt('columns'), 'only used with type=column')
    privs_given = item.get('privileges')
    if privs_given is None:
        if state != 'absent':
            raise PlanError(opt('privileges'), 'required with state=%s' % state)
        privs_given = ['ALL']
    if state == 'present' and not privs_given:
        raise PlanError(opt('privileges'), 'an empty list grants nothing; use state=exact to revoke everything')
    privs = {}
    for k in (objects if kind == 'default_privileges' else [None]):
        privs[k] = privileges(privs_given, kind, version, opt('privileges'), k)
    grant_option = item.get('grant_option')
    if state == 'exact' and grant_option is None:
        grant_option = False
    return dict(kind=kind, state=state, grantees=grantees, schema=schema, all_in_schema=all_in,
                objects=list(objects), columns=list(columns), targets=targets, grant_option=grant_option,
                privileges=privs, where=where)


def desired_grants(params, version):
    """All declared grant entries from the module parameters, validated."""
    if params.get('grants') is not None:
        stray = [k for k in GRANT_OPTIONS if params.get(k) is not None]
        if stray:
            raise PlanError(stray[0], 'give it inside each element of grants, not at the top level with grants')
        items = [(item, 'grants[%d].' % i) for i, item in enumerate(params['grants'])]
    else:
        items = [(params, '')]
    return [_entry(item, where, version) for item, where in items]
