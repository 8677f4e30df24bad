# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to connect to PostgreSQL for every module of the collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import traceback

PSYCOPG2_IMPORT_ERROR = None
try:
    import psycopg2
    import psycopg2.extras
    HAS_PSYCOPG2 = True
    DatabaseError = psycopg2.Error
except ImportError:  # pragma: no cover - reported through missing_required_lib
    HAS_PSYCOPG2 = False
    DatabaseError = Exception
    PSYCOPG2_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.basic import missing_required_lib

APPLICATION_NAME = 'pgwarden'

# Every session the collection opens resolves names in pg_catalog, then pg_temp, and nowhere else:
# set at connection time (libpq options, a client setting that outranks ALTER ROLE/DATABASE ... SET),
# so an operator, function or aggregate that a database's owner creates in public can never shadow
# pg_catalog's in our own SQL. Names the user declares are resolved with the user's search path,
# set for that one statement only (user_search_path()).
PINNED_SEARCH_PATH = 'pg_catalog, pg_temp'
PINNED_OPTIONS = '-c search_path=pg_catalog,pg_temp'

# Options of the shared doc fragment pgwarden.postgresql.connection, in one place.
CONNECTION_ARGUMENT_SPEC = dict(
    login_user=dict(type='str', default='postgres'),
    login_password=dict(type='str', no_log=True),
    login_host=dict(type='str', default=''),
    login_unix_socket=dict(type='str', default=''),
    port=dict(type='int', default=5432, aliases=['login_port']),
    login_db=dict(type='str', default='postgres'),
    ssl_mode=dict(type='str', default='prefer',
                  choices=['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']),
    ssl_rootcert=dict(type='path', aliases=['ca_cert']),
    ssl_cert=dict(type='path'),
    ssl_key=dict(type='path', no_log=False),
    connect_timeout=dict(type='int', default=10),
    lock_timeout=dict(type='str', default='5s'),
)

_LOCK_TIMEOUT_UNITS = dict(ms=0.001, s=1, min=60, h=3600, d=86400)
_LOCK_TIMEOUT = re.compile(r'^\s*([0-9]+)\s*(ms|s|min|h|d)?\s*$')


def connection_argument_spec(**extra):
    """The shared connection options merged with a module's own options."""
    spec = dict((k, dict(v)) for k, v in CONNECTION_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


def parse_lock_timeout(value):
    """(server setting, seconds) of a lock_timeout option: 5000 (milliseconds), 5s, 500ms, 1min, 0 (no limit).

    Raises ValueError naming the option for anything else.
    """
    m = _LOCK_TIMEOUT.match(str(value)) if value is not None else None
    if not m:
        raise ValueError('lock_timeout: %r is not a duration such as 5s, 500ms, 1min or 0 (no limit)' % (value,))
    digits, unit = m.group(1), m.group(2)
    seconds = int(digits) * _LOCK_TIMEOUT_UNITS[unit or 'ms']
    if seconds * 1000 > 2147483647:
        raise ValueError('lock_timeout: %r is longer than PostgreSQL allows' % (value,))
    return '%s%s' % (int(digits), unit or 'ms'), seconds


def connect_params(params):
    """psycopg2.connect() keyword arguments from module parameters (pure)."""
    kw = dict(
        user=params['login_user'],
        dbname=params.get('login_db') or 'postgres',
        port=params['port'],
        sslmode=params['ssl_mode'],
        connect_timeout=params['connect_timeout'],
        application_name=APPLICATION_NAME,
    )
    # The unix socket is the default; an explicit host wins over it.
    host = params.get('login_host') or params.get('login_unix_socket') or ''
    if host:
        kw['host'] = host
    if params.get('login_password'):
        kw['password'] = params['login_password']
    kw['options'] = session_options(params.get('lock_timeout'))
    for opt, key in (('ssl_rootcert', 'sslrootcert'), ('ssl_cert', 'sslcert'), ('ssl_key', 'sslkey')):
        if params.get(opt):
            kw[key] = params[opt]
    return kw


def session_options(lock_timeout=None, environ=None):
    """libpq `options` of every session: PGOPTIONS from the environment first, then ours (later -c wins).

    The pinned search path always comes last, so nothing in the environment can move it.
    """
    env = (os.environ if environ is None else environ).get('PGOPTIONS') or ''
    parts = [env.strip()] if env.strip() else []
    if lock_timeout is not None:
        parts.append('-c lock_timeout=%s' % parse_lock_timeout(lock_timeout)[0])
    parts.append(PINNED_OPTIONS)
    return ' '.join(parts)


def connect(module, dbname=None, session_lock_timeout=True):
    """Open a connection (no autocommit) or fail the module with a clear message.

    session_lock_timeout=False validates the lock_timeout option but leaves the session with
    the server's own value: the setting module takes no table lock (ALTER SYSTEM), and it must
    see the server's lock_timeout as the server runs it, not as this session overrides it.
    """
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib('psycopg2'), exception=PSYCOPG2_IMPORT_ERROR)
    try:
        kw = connect_params(module.params)
    except ValueError as e:
        module.fail_json(msg=str(e), option='lock_timeout')
    if not session_lock_timeout:
        kw['options'] = session_options()
    if dbname:
        kw['dbname'] = dbname
    try:
        conn = psycopg2.connect(**kw)
    except psycopg2.Error as e:
        where = kw.get('host') or 'the default unix socket'
        module.fail_json(msg='Unable to connect to database %r on %s port %s as %r: %s'
                         % (kw['dbname'], where, kw['port'], kw['user'], str(e).strip()))
    conn.autocommit = False
    return conn


def server_version(conn):
    """server_version_num as an int, e.g. 150004."""
    return conn.server_version
