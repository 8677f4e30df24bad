# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  login_user:
    description:
      - The PostgreSQL role to connect as.
      - With the default unix socket and peer authentication, run the task as the
        same operating system user (C(become_user=postgres)).
    type: str
    default: postgres
  login_password:
    description:
      - Password of O(login_user). Never logged.
    type: str
  login_host:
    description:
      - Host name or address to connect to. Empty means the unix socket.
      - A path starting with C(/) is a unix socket directory.
    type: str
    default: ''
  login_unix_socket:
    description:
      - Directory of the unix socket, used when O(login_host) is empty.
      - Empty means libpq's default (C(/var/run/postgresql) on Debian).
    type: str
    default: ''
  port:
    description:
      - Port to connect to (also selects the unix socket file).
    type: int
    default: 5432
    aliases: [login_port]
  login_db:
    description:
      - Database to connect to.
    type: str
    default: postgres
  ssl_mode:
    description:
      - libpq sslmode. Use V(verify-full) with O(ssl_rootcert) for remote servers.
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ssl_rootcert:
    description:
      - CA certificate file used to verify the server certificate.
    type: path
    aliases: [ca_cert]
  ssl_cert:
    description:
      - Client certificate file, for certificate authentication.
    type: path
  ssl_key:
    description:
      - Private key of O(ssl_cert).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the connection.
    type: int
    default: 10
  lock_timeout:
    description:
      - Longest wait for a lock, set as the session's C(lock_timeout) when connecting, so that a
        run queued behind a long transaction fails instead of blocking every other session that
        needs the same object.
      - A number of milliseconds or a duration with a unit C(ms), C(s), C(min), C(h) or C(d)
        (V(5s), V(500ms), V(1min)); V(0) waits without limit.
      - When a statement gives up, the module fails and nothing is changed; M(pgwarden.postgresql.role),
        M(pgwarden.postgresql.grant), M(pgwarden.postgresql.rls_policy), M(pgwarden.postgresql.database),
        M(pgwarden.postgresql.schema) and M(pgwarden.postgresql.extension) name the blocking session(s)
        (pid, user, application_name, state, start of the query) in the message.
    type: str
    default: 5s
requirements:
  - psycopg2 on the managed host (Debian package C(python3-psycopg2))
notes:
  - The module connects with C(application_name=pgwarden), so its statements can be
    found in the server log and in C(pg_stat_activity).
'''
