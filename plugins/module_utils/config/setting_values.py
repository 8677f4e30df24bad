# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server parameter values compared the way PostgreSQL reads them (pure, no database).

A parameter is described by its pg_settings row (vartype, unit, enumvals, min_val,
max_val). `normalise(value, info)` turns anything a user or a configuration file may
write ('1GB', '131072', '5min', 'On', ['a', 'b']) into one comparable value:
a number in the parameter's own unit, 'on'/'off', a lower-case enum label, a list
of list items, or the string itself. It raises ValueError with a readable problem.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Memory units in bytes and time units in milliseconds, as in guc.c (case-sensitive).
MEMORY_UNITS = {'B': 1, 'kB': 1024, 'MB': 1024 ** 2, 'GB': 1024 ** 3, 'TB': 1024 ** 4}
TIME_UNITS = {'us': 0.001, 'ms': 1, 's': 1000, 'min': 60000, 'h': 3600000, 'd': 86400000}

# Parameters whose value is a list (GUC_LIST_INPUT). Items are compared one by one.
LIST_PARAMS = frozenset([
    'shared_preload_libraries', 'session_preload_libraries', 'local_preload_libraries',
    'search_path', 'temp_tablespaces', 'unix_socket_directories', 'listen_addresses',
    'log_destination', 'pgaudit.log', 'debug_io_direct',
])
# Lists whose declared entries are added to the existing ones by default, so that
# several roles can each need a library without dropping the others'.
MERGE_DEFAULT = ['shared_preload_libraries', 'session_preload_libraries', 'local_preload_libraries']

_NUMBER = re.compile(r'^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$')
_HEX = re.compile(r'^\s*([-+]?)0[xX]([0-9a-fA-F]+)\s*$')
_BOOL = {'on': True, 'off': False, 'true': True, 'false': False, 'yes': True, 'no': False, '1': True, '0': False}
# Labels PostgreSQL accepts for an enum but hides from pg_settings.enumvals (guc_tables.c):
# every enum offering both on and off also takes the other boolean spellings, and
# wal_level keeps its pre-9.6 names. Matching is case-insensitive and exact (no prefixes).
_ONOFF_SYNONYMS = {'true': 'on', 'yes': 'on', '1': 'on', 'false': 'off', 'no': 'off', '0': 'off'}
HIDDEN_ENUM_LABELS = {'wal_level': {'archive': 'replica', 'hot_standby': 'replica'}}


def _unit_scale(unit):
    """(kind, scale) of a pg_settings unit such as '8kB', '16MB', 'ms', 'min' or None."""
    if not unit:
        return None, 1
    m = re.match(r'^(\d*)\s*(\w+)$', unit)
    mult = int(m.group(1)) if m and m.group(1) else 1
    base = m.group(2) if m else unit
    if base in MEMORY_UNITS:
        return 'memory', mult * MEMORY_UNITS[base]
    if base in TIME_UNITS:
        return 'time', mult * TIME_UNITS[base]
    return None, 1


def to_text(value):
    """How a YAML value is written into ALTER SYSTEM: True -> 'on', 5 -> '5'."""
    if isinstance(value, bool):
        return 'on' if value else 'off'
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def split_list(value):
    """Items of a list-valued parameter: a YAML list, or text like '"$user", public'."""
    if isinstance(value, (list, tuple)):
        return [to_text(v).strip() for v in value if to_text(v).strip() != '']
    text, items, cur, quoted, i = to_text(value), [], [], False, 0
    had_quotes = False
    while i < len(text):
        c = text[i]
        if c == '"':
            if quoted and i + 1 < len(text) and text[i + 1] == '"':
                cur.append('"')
                i += 1
            else:
                quoted = not quoted
                had_quotes = True
        elif c == ',' and not quoted:
            items.append((''.join(cur).strip(), had_quotes))
            cur, had_quotes = [], False
        else:
            cur.append(c)
        i += 1
    items.append((''.join(cur).strip(), had_quotes))
    return [v for v, q in items if v != '' or q]


def parse_bool(text):
    t = text.strip().lower()
    if t in _BOOL:
        return _BOOL[t]
    for word, val in (('true', True), ('false', False), ('yes', True), ('no', False)):
        if t and word.startswith(t):
            return val
    if len(t) >= 2 and 'off'.startswith(t):
        return False
    raise ValueError('%r is not a boolean (on/off, true/false, yes/no, 1/0)' % text)


def parse_number(text, info):
    """A number in the parameter's own unit, rounded like PostgreSQL for integers."""
    kind, scale = _unit_scale(info.get('unit'))
    hexm = _HEX.match(text)
    if hexm:
        number, unit = float(int(hexm.group(2), 16)) * (-1 if hexm.group(1) == '-' else 1), ''
    else:
        m = _NUMBER.match(text)
        if not m:
            raise ValueError('%r is not a number%s' % (text, ' with an optional unit' if kind else ''))
        number, unit = float(m.group(1)), m.group(2)
    if unit:
        table = MEMORY_UNITS if kind == 'memory' else TIME_UNITS if kind == 'time' else {}
        if unit not in table:
            valid = ', '.join(sorted(table, key=table.get)) if table else 'none (the parameter has no unit)'
            raise ValueError('unit %r of %r is not valid here; valid units: %s' % (unit, text, valid))
        number = number * table[unit] / scale
    if info.get('vartype') == 'integer':
        if not unit and '.' not in text and 'e' not in text.lower() and not hexm and number != int(number):
            raise ValueError('%r is not an integer' % text)
        number = float(_rint(number))
    for bound, cmp, word in (('min_val', lambda a, b: a < b, 'below the minimum'),
                             ('max_val', lambda a, b: a > b, 'above the maximum')):
        if info.get(bound) not in (None, '') and cmp(number, float(info[bound])):
            raise ValueError('%r is %s %s%s' % (text, word, info[bound], info.get('unit') or ''))
    return number


def _rint(x):
    """C rint(): round half to even, like PostgreSQL when converting units."""
    return int(round(x))


def normalise(value, info, name=''):
    """A comparable form of `value` for the parameter described by `info` (a pg_settings row)."""
    if name in LIST_PARAMS or isinstance(value, (list, tuple)):
        if name not in LIST_PARAMS:
            raise ValueError('a list was given but the parameter takes a single value')
        return tuple(split_list(value))
    text = to_text(value)
    vartype = info.get('vartype')
    if vartype == 'bool':
        return 'on' if parse_bool(text) else 'off'
    if vartype in ('integer', 'real'):
        return parse_number(text, info)
    if vartype == 'enum':
        return enum_label(text, info, name)
    return text


def enum_label(text, info, name=''):
    """The lower-case enum label PostgreSQL reads `text` as, synonyms included."""
    labels = [label.lower() for label in info.get('enumvals') or []]
    wanted = text.strip().lower()
    if wanted in labels:
        return wanted
    if 'on' in labels and 'off' in labels and wanted in _ONOFF_SYNONYMS:
        return _ONOFF_SYNONYMS[wanted]
    hidden = HIDDEN_ENUM_LABELS.get(name, {})
    if wanted in hidden:
        return hidden[wanted]
    raise ValueError('%r is not one of %s' % (text, ', '.join(info.get('enumvals') or [])))


def same(a, b):
    """Normalised values equal (reals within a relative 1e-9)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def merged(current_items, desired_items):
    """The current items followed by the declared ones that are missing, in order."""
    out = list(current_items)
    for item in desired_items:
        if item not in out:
            out.append(item)
    return tuple(out)
