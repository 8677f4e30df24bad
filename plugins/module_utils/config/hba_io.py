# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activating a pg_hba.conf candidate only after the server has judged it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.files import atomic_write, file_mode

# What the login may do, read without failing: hba_file only for those allowed to see it.
ACCESS_QUERY = """
SELECT json_build_object(
  'user', current_user,
  'read_settings', pg_has_role(current_user, 'pg_read_all_settings', 'USAGE'),
  'hba_rules', has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE'),
  'reload', has_function_privilege('pg_catalog.pg_reload_conf()', 'EXECUTE'),
  'hba_file', CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'USAGE')
                   THEN current_setting('hba_file') END)
"""
# pg_hba_file_rules parses the file on disk now, with the server's own parser.
HBA_ERRORS_QUERY = """
SELECT COALESCE(json_agg(json_build_object('line', line_number, 'error', error) ORDER BY line_number), '[]'::json)
FROM pg_hba_file_rules WHERE error IS NOT NULL
"""


class RejectedByServer(Exception):
    def __init__(self, errors):
        self.errors = errors
        super(RejectedByServer, self).__init__('; '.join('line %s: %s' % (e['line'], e['error']) for e in errors))


def missing_privileges(access, reload):
    """What the login lacks for a server-validated run, as one message, or None (pure)."""
    user = access['user']
    missing = []
    if not access['read_settings']:
        missing.append("reading the hba_file setting needs superuser or the privileges of pg_read_all_settings "
                       "(GRANT pg_read_all_settings TO %s)" % user)
    if not access['hba_rules']:
        missing.append('letting the server judge the file (validate=server) needs pg_hba_file_rules(), which only '
                       'superusers may run by default (GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO %s)' % user)
    if reload and not access['reload']:
        missing.append('the reload needs pg_reload_conf() (GRANT EXECUTE ON FUNCTION pg_reload_conf() TO %s, '
                       'or reload=false)' % user)
    if not missing:
        return None
    return ('login_user: %r may not manage pg_hba.conf with validate=server: %s. Connect as a superuser, grant '
            'these, or use validate=local with path; nothing was changed' % (user, '; '.join(missing)))


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
        os.unlink(os.path.realpath(path))
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
