"""pgwarden restore test: prove that the newest backup restores, and how long it takes.

Restores the newest pgBackRest backup (replaying the archived WAL) into a scratch
directory with archiving off, starts it on a spare port with its own socket, checks it
(connect, row counts of declared tables, amcheck on every btree index when available),
stops and removes it, and writes the result to a JSON status file that monitoring reads:
{"result": "passed"|"failed", "duration_seconds", "finished_at", ...}.
Exit status 0 only when the test passed. Configuration: /etc/pgwarden/restore-test.json
(or the path given as the first argument). Runs as the cluster's owner (postgres).
Managed by pgwarden.postgresql.pgbackrest.
"""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

CONTROL_SETTINGS = {  # pg_controldata line -> setting recovery needs at least as high as the primary's
    'max_connections setting': 'max_connections',
    'max_worker_processes setting': 'max_worker_processes',
    'max_wal_senders setting': 'max_wal_senders',
    'max_prepared_xacts setting': 'max_prepared_transactions',
    'max_locks_per_xact setting': 'max_locks_per_transaction',
}


# Our sessions resolve names in pg_catalog only: a database owner's functions or operators in the
# restored copy never shadow the ones our checks call.
PINNED_ENV = dict(os.environ, PGOPTIONS='-c search_path=pg_catalog,pg_temp')


def run(argv, **kw):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False, **kw)
    if proc.returncode != 0:
        raise RuntimeError('%s failed (rc=%d): %s' % (' '.join(argv[:3]), proc.returncode, proc.stdout.strip()[-800:]))
    return proc.stdout


def literal(text):
    return "'%s'" % text.replace("'", "''")


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')


def table_sql(table):
    schema, _dot, name = table.rpartition('.')
    return (quote_ident(schema) + '.' if schema else '') + quote_ident(name)


class Scratch(object):
    def __init__(self, cfg):
        self.cfg = cfg
        self.root = cfg['scratch_dir']
        self.data = os.path.join(self.root, 'data')
        self.sock = os.path.join(self.root, 'run')
        self.port = int(cfg['port'])
        self.bindir = None

    def psql(self, sql, db='postgres'):
        return run([os.path.join(self.bindir, 'psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1', '-h', self.sock,
                    '-p', str(self.port), '-d', db, '-c', sql], env=PINNED_ENV).strip()

    def clean(self):
        if os.path.exists(os.path.join(self.data, 'postmaster.pid')) and self.bindir:
            subprocess.run([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-m', 'immediate', 'stop'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def restore(self):
        os.makedirs(self.data, 0o700)
        os.makedirs(self.sock, 0o700)
        config = ['--config=%s' % self.cfg['config']] if self.cfg.get('config') else []
        out = run([self.cfg.get('pgbackrest', 'pgbackrest')] + config
                  + ['--stanza=%s' % self.cfg['stanza'], '--pg1-path=%s' % self.data, '--archive-mode=off',
                     '--log-level-console=info', 'restore'])
        label = re.search(r'restore backup set (\S+?),?\s', out)
        with open(os.path.join(self.data, 'PG_VERSION')) as f:
            self.bindir = '/usr/lib/postgresql/%s/bin' % f.read().strip()
        return label.group(1) if label else None

    def start(self):
        control = run([os.path.join(self.bindir, 'pg_controldata'), self.data], env=dict(os.environ, LC_ALL='C'))
        opts = ['-c port=%d' % self.port, "-c listen_addresses=''", "-c unix_socket_directories='%s'" % self.sock,
                '-c archive_mode=off', '-c ssl=off', '-c logging_collector=off', "-c log_destination=stderr",
                "-c hba_file='%s/pg_hba.conf'" % self.root, "-c ident_file='%s/pg_ident.conf'" % self.root,
                "-c config_file='%s/postgresql.conf'" % self.root, '-c shared_buffers=64MB', '-c cluster_name=restore-test',
                # No connections before the promotion: with hot_standby on, WAL that raised max_connections (or another
                # of CONTROL_SETTINGS) after the backup pauses recovery for good ("insufficient parameter settings").
                '-c hot_standby=off',
                # CREATE EXTENSION amcheck must not fire the databases' event triggers (pgaudit's need its library,
                # which a repository host does not have): the scratch copy runs as a replica would.
                '-c session_replication_role=replica']
        for line, setting in sorted(CONTROL_SETTINGS.items()):
            m = re.search(r'^%s:\s*(\d+)' % re.escape(line), control, re.M)
            if m:
                opts.append('-c %s=%s' % (setting, m.group(1)))
        with open(os.path.join(self.root, 'postgresql.conf'), 'w') as f:
            f.write('# restore test: everything is given on the command line\n')
        with open(os.path.join(self.root, 'pg_hba.conf'), 'w') as f:
            f.write('local all all peer\n')
        open(os.path.join(self.root, 'pg_ident.conf'), 'w').close()
        run([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-l', os.path.join(self.root, 'server.log'),
             '-o', ' '.join(opts), '-w', '-t', str(self.cfg.get('start_timeout', 600)), 'start'])

    def wait_promoted(self, timeout):
        deadline = time.time() + timeout
        while True:
            try:
                if self.psql('SELECT pg_is_in_recovery()') == 'f':
                    return
            except RuntimeError:
                pass
            if time.time() > deadline:
                raise RuntimeError('the restored copy was still in recovery after %d s' % timeout)
            time.sleep(1)

    def checks(self):
        results = []
        dbs = self.psql("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1").splitlines()
        results.append(dict(check='connect', ok=True, databases=dbs))
        for spec in self.cfg.get('tables', []):
            db, table, want = spec['database'], spec['table'], int(spec.get('min_rows', 0))
            try:
                # a table only: counting a view (something a database's owner can put in its place)
                # would run the owner's functions as the superuser
                kind = self.psql("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)"
                                 % literal(table_sql(table)), db)
                if kind not in ('r', 'p', 'm'):
                    raise RuntimeError('%s is not a table in database %s (relkind %r)' % (table, db, kind or 'none'))
                rows = int(self.psql('SELECT count(*) FROM %s' % table_sql(table), db))
                results.append(dict(check='rows', database=db, table=table, rows=rows, min_rows=want, ok=rows >= want))
            except RuntimeError as e:
                results.append(dict(check='rows', database=db, table=table, ok=False, error=str(e)))
        if self.cfg.get('amcheck', True) and self.psql("SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'") == '1':
            for db in dbs:
                if db == 'template0':
                    continue
                try:
                    # sessions resolve names in pg_catalog only: amcheck gets a schema of its own in the scratch
                    # copy (unless the database has it already), and its function is called schema-qualified
                    self.psql('CREATE SCHEMA IF NOT EXISTS pgwarden_amcheck; '
                              'CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA pgwarden_amcheck', db)
                    schema = self.psql("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                       "WHERE e.extname = 'amcheck'", db)
                    n = self.psql("SELECT count(%s.bt_index_check(c.oid::regclass)) FROM pg_index i "
                                  "JOIN pg_class c ON c.oid = i.indexrelid "
                                  "JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND i.indisvalid "
                                  "AND i.indisready AND c.relpersistence <> 't'" % quote_ident(schema), db)
                    results.append(dict(check='amcheck', database=db, indexes=int(n), ok=True))
                except RuntimeError as e:
                    results.append(dict(check='amcheck', database=db, ok=False, error=str(e)))
        return results

    def stop(self):
        run([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-m', 'fast', '-w', 'stop'])


def write_status(path, status):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(status, f, indent=2, sort_keys=True)
        f.write('\n')
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def main():
    with open(sys.argv[1] if len(sys.argv) > 1 else '/etc/pgwarden/restore-test.json') as f:
        cfg = json.load(f)
    scratch = Scratch(cfg)
    started, t0 = datetime.datetime.now(datetime.timezone.utc), time.monotonic()
    status = dict(result='failed', host=socket.getfqdn(), stanza=cfg['stanza'], started_at=started.isoformat(),
                  port=scratch.port, checks=[], backup_label=None, error=None)
    try:
        scratch.clean()
        status['backup_label'] = scratch.restore()
        status['restore_seconds'] = round(time.monotonic() - t0, 3)
        scratch.start()
        scratch.wait_promoted(int(cfg.get('recovery_timeout', 3600)))
        status['recovered_seconds'] = round(time.monotonic() - t0, 3)
        status['checks'] = scratch.checks()
        scratch.stop()
        failed = [c for c in status['checks'] if not c['ok']]
        status['result'] = 'failed' if failed else 'passed'
        if failed:
            status['error'] = '%d check(s) failed' % len(failed)
    except (RuntimeError, OSError, ValueError) as e:
        status['error'] = str(e)
    finally:
        scratch.clean()
    status['duration_seconds'] = round(time.monotonic() - t0, 3)
    status['finished_at'] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    rto = cfg.get('rto_seconds')
    status['rto_seconds'] = rto
    status['within_rto'] = None if rto is None else status.get('recovered_seconds', float('inf')) <= rto
    write_status(cfg['status_file'], status)
    print(json.dumps(dict((k, status[k]) for k in ('result', 'duration_seconds', 'backup_label', 'error', 'within_rto'))))
    return 0 if status['result'] == 'passed' else 1


if __name__ == '__main__':
    sys.exit(main())
