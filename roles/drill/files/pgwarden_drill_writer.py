# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client side of a failover drill (playbooks/failover_drill.yml).

write: commits numbered rows, one transaction each, through a libpq conninfo naming every
member (host=a,b,c target_session_attrs=read-write), reconnecting after every error, and
records what the client saw: each acknowledged id with the time of its acknowledgement, each
failed attempt (time, error) and the ids whose commit failed (in doubt: the server may or
may not have committed them). A status file is rewritten about twice a second so the
playbook can wait for load before the kill and for stable writes after it. The run ends
when the stop file appears (or after --max-seconds); the records go to --out as JSON.

check: connects read-write (the leader), prints the run's ids present in the table and the
leader's pg_stat_replication as JSON (its state needs superuser or pg_monitor).

The password comes from PGPASSWORD (or ~/.pgpass), never from the command line.
Times are time.time() of this host: the kill's time must come from a synchronised clock.
"""
import argparse
import json
import os
import sys
import time

import psycopg2

# schema-qualified: sessions resolve names in pg_catalog only (where nothing may be created)
TABLE = 'public.pgwarden_drill_writes'


def _write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f)
    os.rename(tmp, path)


def _connect(conninfo):
    # names resolve in pg_catalog only (a database owner's objects never shadow ours)
    conn = psycopg2.connect(conninfo, application_name='pgwarden-drill', options='-c search_path=pg_catalog,pg_temp')
    conn.autocommit = False
    return conn


def _server(conn):
    try:
        return '%s:%s' % (conn.info.host, conn.info.port)
    except Exception:  # noqa: BLE001 - only informative
        return None


def _error(exc):
    text = str(exc).strip().splitlines()
    return '%s: %s' % (type(exc).__name__, text[0] if text else '')


def write(args):
    run, interval = args.run, args.interval
    started = time.time()
    rec = dict(run=run, started=started, interval=interval, acks=[], failures=[], in_doubt=[], servers={})
    status = dict(run=run, acked=0, failures=0, last_ok=None, last_failure=None, first_ok_after_failure=None,
                  server=None, error=None, done=False)
    conn, next_id, last_status = None, 1, 0.0
    while True:
        now = time.time()
        if os.path.exists(args.stop_file) or now - started > args.max_seconds:
            break
        ident, committing = next_id, False
        try:
            if conn is None:
                conn = _connect(args.conninfo)
                with conn.cursor() as cur:
                    cur.execute('CREATE TABLE IF NOT EXISTS %s (run text, id int, client_ts float8, '
                                'PRIMARY KEY (run, id))' % TABLE)
                conn.commit()
            next_id += 1
            with conn.cursor() as cur:
                cur.execute('INSERT INTO %s (run, id, client_ts) VALUES (%%s, %%s, %%s)' % TABLE,
                            (run, ident, time.time()))
            committing = True
            conn.commit()
            ack = time.time()
            server = _server(conn)
            rec['acks'].append([ident, round(ack, 4)])
            rec['servers'][server] = rec['servers'].get(server, 0) + 1
            status.update(acked=status['acked'] + 1, last_ok=ack, server=server)
            if status['first_ok_after_failure'] is None:
                status['first_ok_after_failure'] = ack
        except Exception as exc:  # noqa: BLE001 - every failure is a record, then reconnect
            ts = time.time()
            if committing:
                rec['in_doubt'].append(ident)
            rec['failures'].append([round(ts, 4), _error(exc)])
            status.update(failures=status['failures'] + 1, last_failure=ts, first_ok_after_failure=None,
                          error=_error(exc))
            try:
                if conn is not None:
                    conn.close()
            except Exception:  # noqa: BLE001
                pass
            conn = None
        if time.time() - last_status >= 0.5:
            _write_json(args.status, status)
            last_status = time.time()
        time.sleep(interval)
    if conn is not None:
        conn.close()
    rec['finished'] = time.time()
    _write_json(args.out, rec)
    status['done'] = True
    _write_json(args.status, status)
    return 0


def check(args):
    conn = _connect(args.conninfo)
    try:
        with conn.cursor() as cur:
            cur.execute('SELECT id FROM %s WHERE run = %%s ORDER BY id' % TABLE, (args.run,))
            present = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT application_name, state, sync_state FROM pg_stat_replication "
                        "ORDER BY application_name")
            replication = [dict(name=r[0], state=r[1], sync_state=r[2]) for r in cur.fetchall()]
            cur.execute('SELECT pg_is_in_recovery()')
            in_recovery = cur.fetchone()[0]
        conn.rollback()
    finally:
        conn.close()
    json.dump(dict(run=args.run, ts=time.time(), present=present, server=_server(conn), in_recovery=in_recovery,
                   replication=replication), sys.stdout)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.add_argument('mode', choices=['write', 'check'])
    p.add_argument('--conninfo', required=True, help='libpq conninfo without a password')
    p.add_argument('--run', required=True, help='the drill run id (rows of other runs are ignored)')
    p.add_argument('--interval', type=float, default=0.1, help='seconds between commits')
    p.add_argument('--out', help='records JSON (write)')
    p.add_argument('--status', help='status JSON rewritten while writing')
    p.add_argument('--stop-file', help='the writer stops when this file exists')
    p.add_argument('--max-seconds', type=float, default=600)
    args = p.parse_args(argv)
    if args.mode == 'write':
        if not (args.out and args.status and args.stop_file):
            p.error('write needs --out, --status and --stop-file')
        return write(args)
    return check(args)


if __name__ == '__main__':
    sys.exit(main())
