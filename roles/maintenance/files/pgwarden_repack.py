# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repack the tables the table_bloat health check flags, with pg_repack (online, no long lock).

Finds the tables with the collection's own bloat check (health_collect.py next to this file),
so the maintenance job and the monitoring agree on what is bloated.
Usage: pgwarden-repack --config /etc/pgwarden/maintenance.json
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import health_collect  # noqa: E402
import psycopg2  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--config', default='/etc/pgwarden/maintenance.json')
    p.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with open(args.config) as f:
        cfg = json.load(f)
    conn_cfg, repack = cfg['connection'], cfg['repack']

    def connect(db):
        return psycopg2.connect(host=conn_cfg['host'], port=conn_cfg['port'], user=conn_cfg['user'],
                                dbname=db or 'postgres', application_name='pgwarden-repack',
                                options=health_collect.PINNED_OPTIONS)
    thresholds = dict(table_bloat_warning_percent=repack['bloat_percent'],
                      table_bloat_critical_percent=max(repack['bloat_percent'], 70),
                      bloat_min_bytes=repack['min_bytes'])
    options = dict(checks=['table_bloat'], thresholds=thresholds, databases=repack.get('databases') or [],
                   max_items=1000)
    results = health_collect.run_checks(connect, options)[0]
    items = results['table_bloat']['items']
    print('%d table(s) over %s%% bloat and %d bytes' % (len(items), repack['bloat_percent'], repack['min_bytes']))
    rc = 0
    for db in sorted(set(i['database'] for i in items)):
        if args.dry_run:
            break
        conn = connect(db)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute('CREATE EXTENSION IF NOT EXISTS pg_repack')
        conn.close()
    for item in items:
        table = '"%s"."%s"' % (item['schema'].replace('"', '""'), item['table'].replace('"', '""'))
        cmd = [repack['command'], '--no-password', '-h', conn_cfg['host'], '-p', str(conn_cfg['port']),
               '-U', conn_cfg['user'], '-d', item['database'], '-t', table]
        print('%s.%s: %s%% bloat -> %s' % (item['database'], table, item['bloat_percent'], ' '.join(cmd)))
        sys.stdout.flush()
        if not args.dry_run:
            rc = max(rc, subprocess.call(cmd))
    return rc


if __name__ == '__main__':
    sys.exit(main())
