"""A throwaway PostgreSQL cluster for module tests (see shared TESTING.md)."""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import psycopg2

LOG_PREFIX = '%m [%p] app=%a user=%u db=%d '


def _bindir():
    override = os.environ.get('PGWARDEN_PG_BINDIR')
    if override:
        return override
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'), key=lambda p: int(p.split('/')[4]))
    if not found:
        raise RuntimeError('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)')
    return os.path.dirname(found[-1])


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer(object):
    def __init__(self):
        self.bindir = _bindir()
        self.root = tempfile.mkdtemp(prefix='pgwarden-it-')
        self.data = os.path.join(self.root, 'data')
        self.log = os.path.join(self.root, 'server.log')
        self.port = _free_port()
        self.socket_dir = self.root
        self.as_user = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as postgres
            pw = pwd.getpwnam('postgres')
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            os.chmod(self.root, 0o755)
            self.as_user = ['runuser', '-u', 'postgres', '--']

    def _run(self, *args):
        subprocess.run(self.as_user + [os.path.join(self.bindir, args[0])] + list(args[1:]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def start(self):
        self._run('initdb', '-D', self.data, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8',
                  '--auth-local=trust', '--auth-host=scram-sha-256')
        opts = ' '.join([
            '-c listen_addresses=127.0.0.1', '-p %d' % self.port, "-k '%s'" % self.socket_dir,
            '-c log_statement=all', "-c log_line_prefix='%s'" % LOG_PREFIX, '-c fsync=off',
            '-c password_encryption=scram-sha-256', '-c max_connections=200'])
        self._opts = opts
        self._run('pg_ctl', '-D', self.data, '-l', self.log, '-o', opts, '-w', '-t', '300', 'start')
        return self

    def restart(self):
        """Restart with the same options (for settings that need it, e.g. archive_mode)."""
        self._run('pg_ctl', '-D', self.data, '-l', self.log, '-o', self._opts, '-w', '-m', 'fast', 'restart')

    def stop(self):
        try:
            self._run('pg_ctl', '-D', self.data, '-m', 'immediate', 'stop')
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def connect(self, dbname='postgres', user='postgres', **kw):
        conn = psycopg2.connect(host=kw.pop('host', self.socket_dir), port=self.port, dbname=dbname, user=user, **kw)
        conn.autocommit = True
        return conn

    def query(self, sql, params=None, dbname='postgres'):
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def log_size(self):
        return os.path.getsize(self.log)

    def statements_since(self, offset, app='pgwarden'):
        """Statements the server logged for application `app` after byte `offset` of the log."""
        time.sleep(0.2)  # let the server flush its log line
        with open(self.log, 'rb') as f:
            f.seek(offset)
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return [line.split('statement: ', 1)[1] for line in lines
                if ' app=%s ' % app in line and 'statement: ' in line]

    def log_text(self):
        with open(self.log, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def connection_args(self):
        """Module options that reach this server."""
        return dict(login_unix_socket=self.socket_dir, port=self.port, login_user='postgres')
