"""Render psycopg2.sql composables without a connection, for planner unit tests.

Quotes like PostgreSQL with standard_conforming_strings on: identifiers in double
quotes, literals in single quotes, the quote character doubled.
"""
from psycopg2 import sql

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import MASK, Secret


def text(composable):
    if isinstance(composable, Secret):
        return MASK
    if isinstance(composable, sql.Composed):
        return ''.join(text(p) for p in composable.seq)
    if isinstance(composable, sql.SQL):
        return composable.string
    if isinstance(composable, sql.Identifier):
        return '.'.join('"%s"' % s.replace('"', '""') for s in composable.strings)
    if isinstance(composable, sql.Literal):
        v = composable.wrapped
        if v is None:
            return 'NULL'
        if isinstance(v, bool):
            return 'true' if v else 'false'
        if isinstance(v, int):
            return str(v)
        return "'%s'" % str(v).replace("'", "''")
    raise TypeError(composable)


def texts(statements):
    return [text(s.query) for s in statements]


def secrets(composable):
    """The values of the Secret literals inside a composable."""
    if isinstance(composable, Secret):
        return [composable.wrapped]
    if isinstance(composable, sql.Composed):
        return [v for p in composable.seq for v in secrets(p)]
    return []
