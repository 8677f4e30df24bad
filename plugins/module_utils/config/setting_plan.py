# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, plan and describe server parameters set with ALTER SYSTEM.

read: one query returns pg_settings rows and the pg_file_settings entries of the
managed parameters; plan: pure, compares the value the server will use after a
reload or restart (the winning configuration file entry, else the running value)
with the desired one after unit normalisation.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.setting_values import (
    LIST_PARAMS, merged, normalise, same, split_list, to_text)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, Statement, SQL, join, literal, stmt)

try:
    from psycopg2 import sql
except ImportError:  # pragma: no cover
    sql = None

AUTO_CONF = 'postgresql.auto.conf'
# What pg_file_settings says, after a reload, of a valid entry that waits for a restart.
PENDING_RESTART_ERROR = 'setting could not be applied'
RELOADABLE = frozenset(['sighup', 'superuser', 'user', 'backend', 'superuser-backend'])
# Sources that beat the configuration files: ALTER SYSTEM cannot change what the server uses.
OVERRIDING = frozenset(['command line', 'override'])
_NAME = re.compile(r'^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$')

SNAPSHOT_QUERY = """
SELECT json_build_object(
  'settings', COALESCE((SELECT json_object_agg(lower(name), json_build_object(
      'setting', setting, 'unit', unit, 'vartype', vartype, 'context', context, 'enumvals', enumvals,
      'min_val', min_val, 'max_val', max_val, 'source', source, 'boot_val', boot_val,
      'pending_restart', pending_restart))
    FROM pg_settings WHERE lower(name) = ANY(%(names)s)), '{}'::json),
  'files', COALESCE((SELECT json_agg(json_build_object(
      'name', lower(name), 'setting', setting, 'sourcefile', sourcefile, 'error', error) ORDER BY seqno)
    FROM pg_file_settings WHERE lower(name) = ANY(%(names)s)), '[]'::json))
"""


def parse_snapshot(doc):
    """{name: {info, file (winning raw value or None), auto (raw value in postgresql.auto.conf or None),
    below (winning raw value without postgresql.auto.conf or None)}}."""
    out = {}
    for name, info in (doc.get('settings') or {}).items():
        out[name] = dict(info=info, file=None, auto=None, below=None)
    for row in doc.get('files') or []:
        if row.get('error') and row['error'] != PENDING_RESTART_ERROR:
            continue
        entry = out.setdefault(row['name'], dict(info=None, file=None, auto=None, below=None))
        entry['file'] = row['setting']
        if os.path.basename(row.get('sourcefile') or '') == AUTO_CONF:
            entry['auto'] = row['setting']
        else:
            entry['below'] = row['setting']
    return out


class SettingPlan(object):
    def __init__(self):
        self.statements = []
        self.changed = []
        self.restart_required = []
        self.reload_pending = []
        self.warnings = []
        self.before = {}
        self.after = {}
        self.settings = {}


def _check_name(name):
    if not _NAME.match(name):
        raise PlanError('settings', '%r is not a valid parameter name' % name)


def _info(name, entry):
    info = (entry or {}).get('info')
    if info is None:
        hint = ''
        if '.' in name:  # PostgreSQL refuses ALTER SYSTEM for a custom parameter nobody defined
            hint = '; the library that defines it must be loaded first (shared_preload_libraries and a restart)'
        raise PlanError('settings.%s' % name, 'unknown parameter (not in pg_settings)%s' % hint)
    if info.get('context') == 'internal':
        raise PlanError('settings.%s' % name, 'is an internal parameter and cannot be set')
    return info


def _running(info):
    return info.get('setting')


def _default(info):
    """What the server uses when no configuration file sets the parameter."""
    if info.get('source') in OVERRIDING or info.get('source') in ('default', 'environment variable'):
        return info.get('setting')
    return info.get('boot_val')


def _norm(value, info, name, option):
    try:
        return normalise(value, info, name)
    except ValueError as e:
        raise PlanError(option, str(e))


def _shown(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ', '.join(value)
    return to_text(value)


def _value_sql(name, value):
    if name in LIST_PARAMS:
        items = split_list(value) if not isinstance(value, (list, tuple)) else list(value)
        return join(', ', [literal(i) for i in items]) if items else literal('')
    return literal(to_text(value))


def _param(name):
    return sql.Identifier(*name.split('.')) if '.' in name else sql.Identifier(name)


def probeable(info, superuser):
    """Whether a parameter (its pg_settings row) can be set in a session by the connecting role."""
    context = (info or {}).get('context')
    return context == 'user' or (context == 'superuser' and bool(superuser))


def probe_values(current, desired, superuser):
    """{name: text} of the values to ask the server about: declared values and configured ones.

    Only parameters a session can set (setting_probe.probeable) and that are not lists.
    Returns (declared, configured), each {name: text}.
    """
    declared, configured = {}, {}
    for raw_name, value in desired.items():
        name = raw_name.lower()
        entry = current.get(name) or {}
        info = entry.get('info')
        if info is None or name in LIST_PARAMS or not probeable(info, superuser):
            continue
        if value is not None and not isinstance(value, (dict, list, tuple)):
            declared[name] = to_text(value)
        if entry.get('file') is not None:
            configured[name] = entry['file']
    return declared, configured


def _reload_pending(info, configured_norm, name, option):
    """Whether the server runs with another value than its configuration files give (a reload is due)."""
    if info.get('context') not in RELOADABLE or info.get('source') not in ('default', 'configuration file'):
        return False
    if configured_norm is None or info.get('setting') is None:
        return False
    try:
        running = _norm(info['setting'], info, name, option)
    except PlanError:
        return False
    if isinstance(running, str) and isinstance(configured_norm, str):
        return running.lower() != configured_norm.lower()
    return not same(running, configured_norm)


def plan_settings(current, desired, merge_lists=(), reload=True, probed=None):
    """Plan ALTER SYSTEM SET/RESET for `desired` ({name: value or None}) against `current`.

    `probed` is {'declared': {name: setting}, 'configured': {name: setting}}: how the
    server itself read the declared and the configured values (setting_probe), which
    wins over the pure normalisation where present.
    """
    p = SettingPlan()
    probed = probed or {}
    by_server = dict(declared=probed.get('declared') or {}, configured=probed.get('configured') or {})
    reloadable = False
    for raw_name in sorted(desired):
        name = raw_name.lower()
        _check_name(name)
        option = 'settings.%s' % raw_name
        entry = current.get(name) or {}
        info = _info(name, entry)
        value = desired[raw_name]
        configured = entry.get('file')
        now = configured if configured is not None else _default(info)
        if configured is not None and name in by_server['configured']:
            now_norm = _norm(by_server['configured'][name], info, name, option)
        else:
            now_norm = _norm(now, info, name, option) if now is not None else None
        if value is None:
            if entry.get('auto') is None:
                new, new_norm, query = now, now_norm, None
            else:
                new = entry.get('below') if entry.get('below') is not None else _default(info)
                new_norm = _norm(new, info, name, option) if new is not None else None
                query = stmt('ALTER SYSTEM RESET {p}', transactional=False, p=_param(name))
        else:
            if isinstance(value, dict):
                raise PlanError(option, 'a parameter value must be a string, number, boolean, list or null')
            new_norm = _norm(value, info, name, option)
            if name in by_server['declared']:
                new_norm = _norm(by_server['declared'][name], info, name, option)
            new = value
            if name in merge_lists and now_norm is not None:
                new_norm = merged(now_norm, new_norm)
                new = list(new_norm)
            changed = now_norm is None or not same(now_norm, new_norm)
            query = stmt('ALTER SYSTEM SET {p} TO {v}', transactional=False, p=_param(name),
                         v=_value_sql(name, new)) if changed else None
        running = _running(info)
        restart = False
        if info.get('context') == 'postmaster' and running is not None and new_norm is not None:
            restart = not same(_norm(running, info, name, option), new_norm)
        pending = query is None and _reload_pending(info, now_norm, name, option)
        p.settings[name] = dict(before=_shown(now), after=_shown(new), context=info.get('context'),
                                restart_required=restart, reload_required=pending or (
                                    query is not None and info.get('context') in RELOADABLE),
                                changed=query is not None)
        if restart:
            p.restart_required.append(name)
        if pending:
            p.reload_pending.append(name)
            reloadable = True
        if query is None:
            continue
        p.statements.append(query)
        p.changed.append(name)
        p.before[name] = _shown(now)
        p.after[name] = _shown(new) if value is not None else None
        reloadable = reloadable or info.get('context') in RELOADABLE
        if info.get('source') in OVERRIDING:
            p.warnings.append('%s is set on the server command line (source %r); ALTER SYSTEM does not '
                              'change the value the server uses' % (name, info.get('source')))
    if reloadable and reload:
        p.statements.append(Statement(SQL('SELECT pg_reload_conf()')))
    elif p.reload_pending:
        p.warnings.append('the server does not yet use the configured value of %s: reload=false, so no reload '
                          'was done' % ', '.join(p.reload_pending))
    return p
