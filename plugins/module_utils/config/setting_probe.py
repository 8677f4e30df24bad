# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask the server how it reads parameter values, before anything is written.

A value the server can take in a session (context user or superuser) is applied with
set_config(name, value, true) inside the read transaction, which is rolled back: the
server's own parser and check hooks validate it (a time zone, a date style, an enum
synonym) and pg_settings then shows it in the parameter's own unit. Name and value are
bound parameters. Parameters that cannot be set in a session (postmaster, sighup, ...)
are left to the pure checks of setting_values.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import DatabaseError
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one

_SET = 'SELECT count(set_config(n, v, true)) FROM unnest(%(n)s::text[], %(v)s::text[]) AS x(n, v)'
_READ = ("SELECT coalesce(json_object_agg(lower(name), setting), '{}'::json) FROM pg_settings "
         "WHERE lower(name) = ANY(%(n)s::text[])")


class ProbeError(Exception):
    """The server refused a value: name is the parameter, problem its message."""

    def __init__(self, name, problem):
        self.name = name
        self.problem = problem
        super(ProbeError, self).__init__('%s: %s' % (name, problem))


def _message(error):
    diag = getattr(error, 'diag', None)
    text = getattr(diag, 'message_primary', None) or str(error)
    return text.strip()


def _round(conn, values):
    names = sorted(values)
    params = dict(n=names, v=[values[n] for n in names])
    read_one(conn, _SET, params)
    return read_one(conn, _READ, params)


def probe(conn, values):
    """{name: text} -> {name: pg_settings.setting after the server parsed text}; ProbeError on a refused value.

    One round trip to set and one to read for all values; only when the server refuses
    one, each value is tried alone to name it. The transaction is rolled back.
    """
    if not values:
        return {}
    try:
        return _round(conn, values)
    except DatabaseError:
        conn.rollback()
    finally:
        conn.rollback()
    for name in sorted(values):
        try:
            _round(conn, {name: values[name]})
        except DatabaseError as e:
            conn.rollback()
            raise ProbeError(name, _message(e))
        finally:
            conn.rollback()
    return {}  # pragma: no cover - every value passed alone, but not together
