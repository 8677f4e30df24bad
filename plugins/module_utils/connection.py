# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to connect to PostgreSQL for every module of the collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

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
)


def connection_argument_spec(**extra):
    """The shared connection options merged with a module's own options."""
    spec = dict((k, dict(v)) for k, v in CONNECTION_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


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
    for opt, key in (('ssl_rootcert', 'sslrootcert'), ('ssl_cert', 'sslcert'), ('ssl_key', 'sslkey')):
        if params.get(opt):
            kw[key] = params[opt]
    return kw


def connect(module, dbname=None):
    """Open a connection (no autocommit) or fail the module with a clear message."""
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib('psycopg2'), exception=PSYCOPG2_IMPORT_ERROR)
    kw = connect_params(module.params)
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
