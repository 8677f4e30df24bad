"""Backup and restore durations of a test database with pgBackRest (encrypted aes-256-cbc, zst).

A throwaway PostgreSQL (tests/integration/pgserver.py) is filled with pgbench at the given
scale, archived to an encrypted repository in its temporary directory, then timed:
full backup, incremental backup after some pgbench traffic, restore into a scratch
directory, and restore + recovery until the copy accepts writes (the RTO of this database).
Prints one table; nothing is asserted. Run as root from the worktree root:

    .venv/bin/python benchmarks/pgbackrest/bench.py [--scale 20] [--process-max 2]
"""
import argparse
import json
import os
import pwd
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'integration'))
from pgserver import PgServer, _free_port  # noqa: E402


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scale', type=int, default=20)
    ap.add_argument('--process-max', type=int, default=2)
    opts = ap.parse_args()
    pg = PgServer().start()
    try:
        root, pw = pg.root, pwd.getpwnam('postgres')
        repo, conf = os.path.join(root, 'repo'), os.path.join(root, 'pgbackrest.conf')
        os.mkdir(repo, 0o750)
        os.chown(repo, pw.pw_uid, pw.pw_gid)
        with open(conf, 'w') as f:
            f.write('[global]\nrepo1-path=%s\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=bench-passphrase-0123456789\n'
                    'compress-type=zst\ncompress-level=3\nprocess-max=%d\nstart-fast=y\nlog-path=%s\nlock-path=%s\n'
                    '[b]\npg1-path=%s\npg1-socket-path=%s\npg1-port=%d\n'
                    % (repo, opts.process_max, root, root, pg.data, pg.socket_dir, pg.port))
        os.chmod(conf, 0o644)
        pg.query('ALTER SYSTEM SET archive_mode = on')
        pg.query("ALTER SYSTEM SET archive_command = %s", ('pgbackrest --config=%s --stanza=b archive-push %%p' % conf,))
        pg._run('pg_ctl', '-D', pg.data, '-l', pg.log, '-w', 'restart')
        as_pg = ['runuser', '-u', 'postgres', '--']

        def pgbackrest(*args):
            return subprocess.run(as_pg + ['pgbackrest', '--config=' + conf, '--stanza=b'] + list(args), check=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout

        pgbench = os.path.join(pg.bindir, 'pgbench')
        subprocess.run(as_pg + [pgbench, '-q', '-i', '-s', str(opts.scale), '-h', pg.socket_dir, '-p', str(pg.port),
                                'postgres'], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        size = pg.query('SELECT pg_database_size(current_database())')[0][0]
        pgbackrest('stanza-create')
        rows = []
        t, _out = timed(lambda: pgbackrest('--type=full', 'backup'))
        rows.append(('full backup', t))
        subprocess.run(as_pg + [pgbench, '-n', '-t', '2000', '-h', pg.socket_dir, '-p', str(pg.port), 'postgres'],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t, _out = timed(lambda: pgbackrest('--type=incr', 'backup'))
        rows.append(('incremental backup after 2000 pgbench transactions', t))
        pgbackrest('check')
        info = json.loads(pgbackrest('--output=json', 'info'))[0]
        full = info['backup'][0]
        scratch, port = os.path.join(root, 'scratch'), _free_port()
        t0 = time.monotonic()
        pgbackrest('--pg1-path=' + scratch, '--archive-mode=off', 'restore')
        rows.append(('restore (newest backup, files only)', time.monotonic() - t0))
        ctl = os.path.join(pg.bindir, 'pg_ctl')
        subprocess.run(as_pg + [ctl, '-D', scratch, '-l', scratch + '.log', '-w', '-o',
                                "-c port=%d -c listen_addresses='' -c unix_socket_directories='%s' -c max_connections=200 "
                                "-c archive_mode=off" % (port, scratch), 'start'], check=True, stdout=subprocess.DEVNULL)
        import psycopg2
        while True:
            try:
                c = psycopg2.connect(host=scratch, port=port, dbname='postgres', user='postgres')
                cur = c.cursor()
                cur.execute('SELECT pg_is_in_recovery()')
                done = not cur.fetchone()[0]
                c.close()
                if done:
                    break
            except psycopg2.Error:
                pass
            time.sleep(0.2)
        rows.append(('restore + WAL replay until the copy is promoted (RTO)', time.monotonic() - t0))
        subprocess.run(as_pg + [ctl, '-D', scratch, '-m', 'fast', '-w', 'stop'], check=True, stdout=subprocess.DEVNULL)
        print('pgBackRest %s, PostgreSQL %s, pgbench scale %d: database %.0f MiB, repository full backup %.1f MiB '
              '(aes-256-cbc + zst), process-max %d' % (
                  subprocess.run(['pgbackrest', 'version'], stdout=subprocess.PIPE, text=True, check=True).stdout.split()[-1],
                  pg.query('SHOW server_version')[0][0].split()[0], opts.scale, size / 1048576.0,
                  full['info']['repository']['size'] / 1048576.0, opts.process_max))
        print('%-58s %10s' % ('operation', 'seconds'))
        for name, seconds in rows:
            print('%-58s %10.2f' % (name, seconds))
    finally:
        pg.stop()


if __name__ == '__main__':
    main()
