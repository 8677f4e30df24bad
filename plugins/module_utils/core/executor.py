# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one executor: runs a plan in a single transaction, or only shows it in check mode."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

try:
    import psycopg2
except ImportError:  # pragma: no cover
    psycopg2 = None

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import render


def read_one(conn, query, params=None):
    """Run one read query and return its single value (a catalog snapshot as JSON)."""
    with conn.cursor() as cur:
        cur.execute(query, params)
        row = cur.fetchone()
    return row[0] if row else None


def rendered(conn, plan):
    """The queries of a plan as text, secrets masked: what `queries` returns."""
    return [render(s.query, conn) for s in plan]


def _groups(plan):
    """Consecutive transactional statements together, each other statement alone."""
    group = []
    for s in plan:
        if s.transactional:
            group.append(s)
            continue
        if group:
            yield True, group
            group = []
        yield False, [s]
    if group:
        yield True, group


SHORT_STATEMENT = 300


def shorten(text, limit=SHORT_STATEMENT):
    """The start of a long statement and its length, for error messages (pure)."""
    if len(text) <= limit:
        return text
    return '%s... (%d characters)' % (text[:limit], len(text))


class ApplyError(Exception):
    """A statement of the plan failed; `pgcode` is the server's SQLSTATE (55P03: lock timeout)."""

    def __init__(self, statement, error, done, pgcode=None):
        self.statement = statement
        self.error = error
        self.done = done
        self.pgcode = pgcode
        super(ApplyError, self).__init__('%s: %s' % (shorten(statement), error))


def apply(conn, plan, check_mode):
    """Execute a plan; returns the rendered queries.

    Check mode returns the same queries without executing anything. Transactional
    statements run in one transaction that is rolled back as a whole on error, so
    a failed apply leaves the server as it was.
    """
    queries = rendered(conn, plan)
    conn.rollback()  # end the read transaction; the plan starts its own
    if check_mode or not plan:
        return queries
    committed = []
    for transactional, group in _groups(plan):
        conn.autocommit = not transactional
        current = None
        try:
            with conn.cursor() as cur:
                for s in group:
                    current = s
                    cur.execute(s.query)
            if transactional:
                conn.commit()
        except psycopg2.Error as e:
            if transactional:
                conn.rollback()
            raise ApplyError(render(current.query, conn), str(e).strip(), committed, pgcode=e.pgcode)
        finally:
            conn.autocommit = False
        committed.extend(render(s.query, conn) for s in group)
    return queries
