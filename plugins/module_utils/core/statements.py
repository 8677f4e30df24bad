# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Statements a planner returns: psycopg2.sql composables, never string formatting.

Planners are pure: they build Statement objects from plain data and never touch a
connection. Rendering (for `queries`, check mode and diff) and execution happen in
the executor, with the live connection quoting identifiers and literals.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

try:
    from psycopg2 import sql
    HAS_PSYCOPG2 = True
except ImportError:  # pragma: no cover
    sql = None
    HAS_PSYCOPG2 = False

MASK = "'********'"


class PlanError(Exception):
    """Desired state that cannot be planned; the message names the option."""

    def __init__(self, option, problem):
        self.option = option
        self.problem = problem
        super(PlanError, self).__init__('%s: %s' % (option, problem))


if HAS_PSYCOPG2:
    class Secret(sql.Literal):
        """A literal that is executed as is but shown as '********'."""
else:  # pragma: no cover
    Secret = None


class Statement(object):
    """One SQL statement of a plan.

    transactional=False marks statements PostgreSQL refuses inside a transaction
    block (CREATE DATABASE, ALTER SYSTEM, ...): the executor runs them on their own.
    """
    __slots__ = ('query', 'transactional')

    def __init__(self, query, transactional=True):
        self.query = query
        self.transactional = transactional

    def __eq__(self, other):
        return isinstance(other, Statement) and (self.query, self.transactional) == (other.query, other.transactional)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return 'Statement(%r)' % (self.query,)


def SQL(text):
    return sql.SQL(text)


def ident(*names):
    """A possibly qualified identifier: ident('schema', 'table')."""
    return sql.Identifier(*names)


def literal(value):
    return sql.Literal(value)


def join(sep, parts):
    return sql.SQL(sep).join(parts)


def stmt(template, transactional=True, **parts):
    """Statement('GRANT {role} TO {member}', role=ident(g), member=ident(m))."""
    return Statement(sql.SQL(template).format(**parts), transactional=transactional)


def render(composable, context, masked=True):
    """The text of a composable, with Secret literals replaced by a mask."""
    if masked and isinstance(composable, Secret):
        return MASK
    if isinstance(composable, sql.Composed):
        return ''.join(render(part, context, masked) for part in composable.seq)
    return composable.as_string(context)


def search_path_list(schemas):
    """The declared schemas as a search_path value (then pg_temp), a psycopg2 composable.

    Raises PlanError naming search_path[N] for an element that cannot be a schema name.
    """
    for i, name in enumerate(schemas or []):
        if not isinstance(name, str) or not name or '\x00' in name or len(name.encode('utf-8')) > 63:
            raise PlanError('search_path[%d]' % i, '%r is not a schema name (1 to 63 bytes, no NUL)' % (name,))
    names = [s for s in (schemas or []) if s != 'pg_temp']
    return sql.SQL(', ').join([sql.Identifier(s) for s in names] + [sql.SQL('pg_temp')])


def user_search_path(schemas):
    """SET LOCAL search_path to the schemas a user declared (then pg_temp).

    For statements that resolve names the user wrote (a policy expression, a function's argument
    types); the caller sets PINNED_SEARCH_PATH back right after (reset_search_path()). Nothing is
    evaluated under it: the statements parse and resolve only.
    """
    return sql.SQL('SET LOCAL search_path TO {}').format(search_path_list(schemas))


def reset_search_path():
    """The statement that puts the pinned search path back inside the transaction."""
    return sql.SQL('SET LOCAL search_path TO pg_catalog, pg_temp')
