# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""read -> plan -> apply for modules managing one object (database, schema, extension)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.converge import converge
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one


def run(module, query, query_params, planner, **facts):
    """Read with one query, plan with planner(snapshot, module.params), apply, exit the module."""
    def read_and_plan(conn):
        statements, before, after = planner(read_one(conn, query, query_params), module.params)
        return statements, before, after, facts
    converge(module, read_and_plan)
