# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""read -> plan -> apply for modules managing one object (database, schema, extension)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.connection import DatabaseError, connect
from ansible_collections.pgwarden.postgresql.plugins.module_utils.executor import ApplyError, apply, read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.statements import PlanError


def run(module, query, query_params, planner, **facts):
    """Read with one query, plan with planner(snapshot, module.params), apply, exit the module."""
    conn = connect(module)
    try:
        snap = read_one(conn, query, query_params)
        statements, before, after = planner(snap, module.params)
    except PlanError as e:
        conn.close()
        module.fail_json(msg=str(e), option=e.option)
    except DatabaseError as e:
        conn.close()
        module.fail_json(msg='Reading the catalog failed, nothing was changed: %s' % str(e).strip())
    try:
        queries = apply(conn, statements, module.check_mode)
    except ApplyError as e:
        module.fail_json(msg='Statement %s failed: %s' % (e.statement, e.error), queries=e.done,
                         failed_statement=e.statement)
    finally:
        conn.close()
    module.exit_json(changed=bool(queries), queries=queries, diff=dict(before=before, after=after), **facts)
