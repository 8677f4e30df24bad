# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who blocks us: names the sessions holding the lock a statement waited for until lock_timeout.

When lock_timeout cancels a statement the wait is over, so the server can no longer say who
held the lock. A watcher thread therefore looks while the module runs: a few times per
lock_timeout it asks, on its own connection (application_name pgwarden-lockwatch, opened only
once the module has run that long), which sessions block the module's backend, and keeps the
last answer for the error message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import connect_params, parse_lock_timeout, session_options

try:
    import psycopg2
except ImportError:  # pragma: no cover
    psycopg2 = None

LOCK_NOT_AVAILABLE = '55P03'
WATCH_APPLICATION_NAME = 'pgwarden-lockwatch'
QUERY_CHARS = 120

BLOCKERS = """
SELECT coalesce(json_agg(json_build_object('pid', a.pid, 'user', a.usename, 'application_name', a.application_name,
                                           'state', a.state, 'query', left(a.query, %(chars)s)) ORDER BY a.pid), '[]')
FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids(%(pid)s))
"""


def describe_blockers(blockers):
    """One line per blocking session (pure)."""
    if not blockers:
        return 'the blocking session was not seen (it may have finished)'
    return '; '.join('pid %s (user %s, application_name %r, state %s, query %r)'
                     % (b.get('pid'), b.get('user'), b.get('application_name') or '', b.get('state'),
                        ' '.join((b.get('query') or '').split())) for b in blockers)


def is_lock_timeout(error):
    return getattr(error, 'pgcode', None) == LOCK_NOT_AVAILABLE


class LockWatch(object):
    """watch = LockWatch(params, conn); ...; watch.explain(error); watch.stop()."""

    def __init__(self, params, conn, dbname=None):
        self.blockers = []
        self.setting = None
        self._stop = threading.Event()
        self._thread = None
        try:
            self.setting, seconds = parse_lock_timeout(params.get('lock_timeout'))
            kw = connect_params(params)
        except (ValueError, KeyError):
            return
        if not seconds or psycopg2 is None:
            return
        kw['options'] = session_options()  # the pinned search path, without our lock_timeout
        kw.update(application_name=WATCH_APPLICATION_NAME, connect_timeout=max(1, min(int(kw.get('connect_timeout') or 5), 5)))
        if dbname:
            kw['dbname'] = dbname
        self._kw = kw
        self._pid = conn.get_backend_pid()
        self._interval = min(max(seconds / 4.0, 0.05), 1.0)
        self._thread = threading.Thread(target=self._run, name='pgwarden-lockwatch')
        self._thread.daemon = True
        self._thread.start()

    def _run(self):
        conn = None
        try:
            while not self._stop.wait(self._interval):
                if conn is None:
                    conn = psycopg2.connect(**self._kw)
                    conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(BLOCKERS, dict(pid=self._pid, chars=QUERY_CHARS))
                    found = cur.fetchone()[0]
                if found:
                    self.blockers = found
        except Exception:  # pylint: disable=broad-except
            # the watcher never fails the module
            pass
        finally:
            if conn is not None:
                conn.close()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)

    def explain(self, error):
        """' (waited ...: blockers)' for a lock timeout, '' for any other error."""
        if not is_lock_timeout(error):
            return ''
        return ('; it waited longer than lock_timeout=%s for a lock held by %s'
                % (self.setting, describe_blockers(self.blockers)))
