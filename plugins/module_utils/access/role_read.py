# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the current state of roles: one catalog query, whatever the number of roles."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import DatabaseError
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.role_model import ATTRIBUTES
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

_ROLE_COLUMNS = ', '.join("'%s', a.%s" % (opt, col) for opt, _t, _f, col in ATTRIBUTES)

# One round trip: server facts, the roles, their memberships and settings as one JSON document.
# %(all)s selects every role (exclusive mode); otherwise only the named ones.
_SNAPSHOT = """
SELECT json_build_object(
  'current_user', current_user,
  'bootstrap', (SELECT rolname FROM pg_roles WHERE oid = '10'::oid),
  'version', current_setting('server_version_num')::int,
  'databases', (SELECT coalesce(json_agg(datname), '[]') FROM pg_database),
  'roles', (SELECT coalesce(json_agg(json_build_object(
        'name', a.rolname, %(columns)s,
        'connection_limit', a.rolconnlimit,
        'valid_until', a.rolvaliduntil::text,
        'password', a.rolpassword)), '[]')
      FROM %(authid)s a
      WHERE %%(all)s OR a.rolname = ANY(%%(names)s::text[])),
  'members', (SELECT coalesce(json_agg(json_build_object(
        'member', m.rolname, 'group', g.rolname, 'grantor', gr.rolname,
        'admin', am.admin_option, %(member_options)s)), '[]')
      FROM pg_auth_members am
      JOIN pg_roles m ON m.oid = am.member
      JOIN pg_roles g ON g.oid = am.roleid
      LEFT JOIN pg_roles gr ON gr.oid = am.grantor
      WHERE %%(all)s OR m.rolname = ANY(%%(names)s::text[])),
  'settings', (SELECT coalesce(json_agg(json_build_object(
        'role', r.rolname, 'database', coalesce(d.datname, ''), 'config', s.setconfig)), '[]')
      FROM pg_db_role_setting s
      JOIN pg_roles r ON r.oid = s.setrole
      LEFT JOIN pg_database d ON d.oid = s.setdatabase
      WHERE %%(all)s OR r.rolname = ANY(%%(names)s::text[])),
  'valid_until', (SELECT coalesce(json_object_agg(v, v::timestamptz::text), '{}')
      FROM unnest(%%(valid_until)s::text[]) AS v)
)
"""


def snapshot_query(version, superuser):
    """The snapshot query text for this server (pg_authid needs superuser)."""
    member_options = ("'inherit', am.inherit_option, 'set', am.set_option" if version >= 160000
                      else "'inherit', NULL, 'set', NULL")
    return _SNAPSHOT % dict(columns=_ROLE_COLUMNS, member_options=member_options,
                            authid='pg_authid' if superuser else 'pg_roles')


def check_valid_until(conn, desired):
    """Let the server parse every declared valid_until before anything is read or changed.

    One query for all values; only when it fails, one query per value to name the
    option (roles[N].valid_until) that holds the value the server refuses.
    """
    values = sorted(set(r['valid_until'] for r in desired if r.get('valid_until')))
    if not values:
        return
    try:
        read_one(conn, 'SELECT count(v::timestamptz) FROM unnest(%(v)s::text[]) AS v', dict(v=values))
        return
    except DatabaseError:
        conn.rollback()
    for role in desired:
        if not role.get('valid_until'):
            continue
        try:
            read_one(conn, 'SELECT %(v)s::text::timestamptz', dict(v=role['valid_until']))
        except DatabaseError as e:
            conn.rollback()
            problem = (getattr(getattr(e, 'diag', None), 'message_primary', None) or str(e)).strip()
            raise PlanError(role['where'] + 'valid_until', 'PostgreSQL refuses %r as a timestamp (%s); nothing was changed'
                            % (role['valid_until'], problem))


def snapshot_params(desired, exclusive):
    names = set()
    for role in desired:
        names.add(role['name'])
        names.update((role.get('member_of') or {}).keys())
    valid_until = sorted(set(r['valid_until'] for r in desired if r.get('valid_until')))
    return {'all': bool(exclusive), 'names': sorted(names), 'valid_until': valid_until}


def parse_snapshot(doc, superuser):
    """The JSON document of snapshot_query as the planner's `current` dict."""
    roles = {}
    for r in doc['roles']:
        if not superuser:
            r['password'] = None
        roles[r['name']] = r
    members = {}
    for m in doc['members']:
        entry = members.setdefault(m['member'], {}).setdefault(
            m['group'], dict(admin=False, inherit=False, set=False, grantors=[]))
        for key in ('admin', 'inherit', 'set'):
            entry[key] = bool(entry[key] or m[key])
        if m['grantor']:
            entry['grantors'].append(m['grantor'])
    settings = {}
    for s in doc['settings']:
        values = {}
        for item in s['config'] or []:
            name, _sep, value = item.partition('=')
            values[name.lower()] = value  # the server stores TimeZone, DateStyle... as it spells them
        settings.setdefault(s['role'], {})[s['database']] = values
    return dict(
        current_user=doc['current_user'], bootstrap=doc['bootstrap'], version=doc['version'],
        databases=set(doc['databases']), roles=roles, members=members, settings=settings,
        valid_until=doc['valid_until'], password_readable=bool(superuser),
    )
