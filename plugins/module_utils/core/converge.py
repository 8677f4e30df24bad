# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole life of a state-changing SQL module: connect, read and plan, apply, exit.

Modules pass one function, read_and_plan(conn) -> (statements, before, after) or
(statements, before, after, facts); everything else, including the error messages that
promise nothing was changed, lives here once.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import DatabaseError, connect
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import ApplyError, apply, shorten
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.lock_watch import LockWatch
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError


def converge(module, read_and_plan, what='the catalog'):
    """Run read_and_plan on a fresh connection, apply its statements (not in check mode), exit the module.

    A statement cancelled by lock_timeout fails the module naming the blocking session(s).
    """
    conn = connect(module)
    watch = LockWatch(module.params, conn)
    try:
        result = read_and_plan(conn)
    except PlanError as e:
        watch.stop()
        conn.close()
        module.fail_json(msg=str(e), option=e.option)
    except DatabaseError as e:
        watch.stop()
        conn.close()
        module.fail_json(msg='Reading %s failed, nothing was changed: %s%s' % (what, str(e).strip(), watch.explain(e)))
    statements, before, after = result[:3]
    facts = result[3] if len(result) > 3 else {}
    try:
        queries = apply(conn, statements, module.check_mode)
    except ApplyError as e:
        watch.stop()
        module.fail_json(msg='No change was made: statement %s failed: %s%s' % (shorten(e.statement), e.error, watch.explain(e)),
                         queries=e.done, failed_statement=e.statement)
    finally:
        watch.stop()
        conn.close()
    module.exit_json(changed=bool(queries), queries=queries, diff=dict(before=before, after=after), **facts)
