# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  search_path:
    description:
      - The schemas in which names that you declare are resolved (for example a function in a policy
        expression, or a type in a function's argument list), in order, after C(pg_catalog) and before
        C(pg_temp). Give schema names as they are, unquoted; V($user) is the connecting role's schema.
      - The module's own SQL never uses this path. Every session of the collection resolves names in
        C(pg_catalog), then C(pg_temp), set when it connects, so an operator, function or aggregate that a
        database's owner creates cannot shadow the ones the module calls. This path is set
        (C(SET LOCAL)) only around the statements that parse or resolve your names, and those statements
        evaluate nothing.
      - Names that are schema-qualified in what you declare do not depend on it.
    type: list
    elements: str
    default: [public]
'''
