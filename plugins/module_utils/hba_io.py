# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activating a pg_hba.conf candidate only after the server has judged it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pgwarden.postgresql.plugins.module_utils.executor import read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.files import atomic_write, file_mode

HBA_FILE_QUERY = "SELECT current_setting('hba_file')"
# pg_hba_file_rules parses the file on disk now, with the server's own parser.
HBA_ERRORS_QUERY = """
SELECT COALESCE(json_agg(json_build_object('line', line_number, 'error', error) ORDER BY line_number), '[]'::json)
FROM pg_hba_file_rules WHERE error IS NOT NULL
"""


class RejectedByServer(Exception):
    def __init__(self, errors):
        self.errors = errors
        super(RejectedByServer, self).__init__('; '.join('line %s: %s' % (e['line'], e['error']) for e in errors))


def same_file(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


def server_errors(conn):
    errors = read_one(conn, HBA_ERRORS_QUERY) or []
    conn.rollback()
    return errors


def write_judged(conn, path, old_text, new_text, mode):
    """Write the candidate; if the server finds an error in it, put the previous file back
    (content and mode) and raise RejectedByServer. Without a connection, just write."""
    old_mode = file_mode(path)
    atomic_write(path, new_text, mode, owner_of=os.path.dirname(os.path.abspath(path)))
    if conn is None:
        return
    try:
        errors = server_errors(conn)
    except BaseException:
        _restore(path, old_text, old_mode)
        raise
    if errors:
        _restore(path, old_text, old_mode)
        raise RejectedByServer(errors)


def _restore(path, old_text, old_mode):
    if old_text is None:
        os.unlink(path)
    else:
        atomic_write(path, old_text, old_mode if old_mode is not None else 0o640)


def explain(errors, line_numbers):
    """Server errors with the rule index they belong to."""
    by_line = dict((n, i) for i, n in enumerate(line_numbers))
    out = []
    for e in errors:
        where = 'rules[%d]' % by_line[e['line']] if e['line'] in by_line else 'line %s' % e['line']
        out.append('%s: %s' % (where, e['error']))
    return out
