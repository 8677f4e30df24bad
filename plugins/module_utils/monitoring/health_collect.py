# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collect the facts the health checks evaluate: read-only SQL, statvfs, pgBackRest, status files.

Standard library and psycopg2 only, so the monitoring role's on-host checker runs this
same file. run_checks(connect, options) is the one entry point: `connect(dbname)` returns
a psycopg2 connection; every connection is switched to read-only autocommit here, so a
check can never change anything. A failing collector gives status unknown, not a crash.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import time

try:
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring import health_checks as hc
except ImportError:  # the on-host checker: health_checks.py sits next to this file
    import health_checks as hc

try:
    import psycopg2
    DB_ERRORS = (psycopg2.Error,)
except ImportError:  # pragma: no cover
    DB_ERRORS = ()

RESTORE_TEST_STATUS = '/var/lib/pgwarden/restore-test.json'
# libpq options of every session the on-host programs open (checker, repack): names resolve in
# pg_catalog, then pg_temp, never in a schema a database's owner controls (module_utils' connection.py
# pins the modules' sessions the same way).
PINNED_OPTIONS = '-c search_path=pg_catalog,pg_temp'
SCHEMA_FILTER = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'"

SQL_CONNECTIONS = """SELECT json_build_object(
  'used', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
  'max_connections', current_setting('max_connections')::int,
  'superuser_reserved', current_setting('superuser_reserved_connections')::int,
  'reserved', coalesce(current_setting('reserved_connections', true)::int, 0),
  'data_directory', current_setting('data_directory'))"""

SQL_SESSIONS = """SELECT coalesce(json_agg(json_build_object(
    'pid', pid, 'user', usename, 'database', datname, 'application', application_name,
    'client_addr', client_addr::text, 'state', state, 'query_start', query_start, 'xact_start', xact_start,
    'seconds', round(extract(epoch FROM clock_timestamp() - {since})::numeric, 3),
    'query', left(query, 500)) ORDER BY {since}), '[]')
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND {where}"""

# A standby's time lag is the age of its last replayed transaction only while WAL is waiting to be
# replayed: within one WAL page of what it received (a checkpoint or running-xacts record in flight on
# an idle site), that age says nothing about lag and is 0 (seen on the lab: 8192 bytes, "974 s behind").
SQL_REPLICATION = """SELECT json_build_object('in_recovery', pg_is_in_recovery(), 'items', CASE
  WHEN pg_is_in_recovery() THEN json_build_array(json_build_object('name', 'replay',
    'lag_bytes', pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),
    'lag_seconds', CASE WHEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
                              <= current_setting('wal_block_size')::numeric THEN 0
                   ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END))
  ELSE (SELECT coalesce(json_agg(json_build_object('name', application_name, 'client_addr', client_addr::text,
          'state', state, 'sync_state', sync_state,
          'lag_bytes', pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),
          'lag_seconds', coalesce(extract(epoch FROM replay_lag), 0))), '[]') FROM pg_stat_replication) END)"""

SQL_SLOTS = """SELECT coalesce(json_agg(json_build_object('slot_name', slot_name, 'slot_type', slot_type,
    'active', active, 'retained_bytes', coalesce(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()
      THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, restart_lsn), 0))), '[]')
  FROM pg_replication_slots"""

SQL_WRAPAROUND = """SELECT json_agg(json_build_object('database', datname, 'age', age(datfrozenxid))
  ORDER BY age(datfrozenxid) DESC) FROM pg_database"""

# pg_ls_archive_statusdir() needs pg_monitor (or superuser), like the rest of the checks.
SQL_ARCHIVER = """SELECT json_build_object(
  'archive_mode', current_setting('archive_mode'), 'in_recovery', pg_is_in_recovery(),
  'archived_count', archived_count, 'last_archived_wal', last_archived_wal,
  'last_archived_time', extract(epoch FROM last_archived_time),
  'failed_count', failed_count, 'last_failed_wal', last_failed_wal,
  'last_failed_time', extract(epoch FROM last_failed_time),
  'stats_reset', stats_reset, 'now', extract(epoch FROM clock_timestamp()),
  'archiving_since', extract(epoch FROM greatest(stats_reset, pg_postmaster_start_time())),
  'ready_count', (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name ~ '[.]ready$'))
  FROM pg_stat_archiver"""

# Every non-template database, with whether this login can connect to it: a database with
# datallowconn false, or without CONNECT for the login (REVOKE CONNECT ... FROM PUBLIC), is
# reported as not visible instead of failing the run.
SQL_DATABASES = """
SELECT d.datname, d.datallowconn, pg_catalog.has_database_privilege(d.oid, 'CONNECT')
FROM pg_catalog.pg_database d WHERE NOT d.datistemplate ORDER BY d.datname
"""

# Our sessions resolve names in pg_catalog only: an extension's objects are named with the schema it
# lives in ({ext}, from the catalog), and called with their exact argument types, so no overload a
# schema's owner adds can match better.
SQL_EXTENSION_SCHEMA = """SELECT to_json(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = %s"""

SQL_TOP_STATEMENTS = """SELECT coalesce(json_agg(s), '[]') FROM (
  SELECT r.rolname AS user, d.datname AS database, s.calls, s.rows,
         round(s.total_exec_time::numeric, 3) AS total_ms, round(s.mean_exec_time::numeric, 3) AS mean_ms,
         left(s.query, 500) AS query
    FROM {ext}.pg_stat_statements s LEFT JOIN pg_roles r ON r.oid = s.userid LEFT JOIN pg_database d ON d.oid = s.dbid
   ORDER BY s.total_exec_time DESC LIMIT %(limit)s) s"""

# Estimate: expected heap pages from pg_stats row widths (24-byte tuple header, 4-byte line
# pointer, 8-byte alignment, 24-byte page header, fillfactor) against relpages.
SQL_TABLE_BLOAT_ESTIMATE = """SELECT coalesce(json_agg(x), '[]') FROM (
 SELECT t.nspname AS schema, t.relname AS table, t.relpages::bigint * t.bs AS bytes, 'estimate' AS method,
        round(greatest(100.0 * (t.relpages - ceil(t.reltuples * (28 + ceil(w.width / 8.0) * 8)
          / ((t.bs - 24) * t.ff / 100.0))) / t.relpages, 0)::numeric, 1) AS bloat_percent
   FROM (SELECT c.oid, n.nspname, c.relname, c.reltuples, c.relpages, current_setting('block_size')::int AS bs,
                coalesce((SELECT split_part(o, '=', 2)::int FROM unnest(c.reloptions) o
                           WHERE o LIKE 'fillfactor=%%'), 100) AS ff
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND """ + SCHEMA_FILTER + """ AND c.reltuples >= 0 AND c.relpages > 0
            AND c.relpages::bigint * current_setting('block_size')::int >= %(min_bytes)s) t
   JOIN (SELECT schemaname, tablename, sum((1 - null_frac) * avg_width) + max(CASE WHEN null_frac > 0
                THEN 8 ELSE 0 END) AS width
           FROM pg_stats GROUP BY 1, 2) w ON w.schemaname = t.nspname AND w.tablename = t.relname) x"""

SQL_TABLE_BLOAT_EXACT = """SELECT coalesce(json_agg(x), '[]') FROM (
 SELECT n.nspname AS schema, c.relname AS table, c.relpages::bigint * current_setting('block_size')::int AS bytes,
        'pgstattuple' AS method,
        round(greatest(s.approx_free_percent + s.dead_tuple_percent - (100 - coalesce((SELECT split_part(o, '=', 2)::int
          FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%%'), 100)), 0)::numeric, 1) AS bloat_percent
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, LATERAL {ext}.pgstattuple_approx(c.oid::pg_catalog.regclass) s
  WHERE c.relkind IN ('r', 'm') AND """ + SCHEMA_FILTER + """
    AND c.relpages::bigint * current_setting('block_size')::int >= %(min_bytes)s) x"""

# B-tree indexes on plain columns: leaf pages expected from the column widths at the
# default fillfactor 90 (8-byte index tuple header, 4-byte line pointer, 16-byte special space).
SQL_INDEX_BLOAT_ESTIMATE = """SELECT coalesce(json_agg(x), '[]') FROM (
 SELECT i.nspname AS schema, i.tblname AS table, i.idxname AS index, i.relpages::bigint * i.bs AS bytes,
        'estimate' AS method,
        round(greatest(100.0 * (i.relpages - 1 - ceil(i.reltuples * (12 + ceil(i.width / 8.0) * 8)
          / ((i.bs - 40) * 0.9))) / i.relpages, 0)::numeric, 1) AS bloat_percent
   FROM (SELECT n.nspname, t.relname AS tblname, ic.relname AS idxname, ic.relpages, ic.reltuples,
                current_setting('block_size')::int AS bs, sum(s.avg_width) AS width, count(s.*) AS ncols,
                x.indnatts
           FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey)
           LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
          WHERE x.indexprs IS NULL AND """ + SCHEMA_FILTER + """ AND ic.reltuples >= 0 AND ic.relpages > 1
            AND ic.relpages::bigint * current_setting('block_size')::int >= %(min_bytes)s
          GROUP BY 1, 2, 3, 4, 5, 6, x.indnatts) i
  WHERE i.ncols = i.indnatts) x"""

SQL_INDEX_BLOAT_EXACT = """SELECT coalesce(json_agg(x), '[]') FROM (
 SELECT n.nspname AS schema, t.relname AS table, ic.relname AS index, pg_relation_size(ic.oid) AS bytes,
        'pgstattuple' AS method, round(greatest(100 - s.avg_leaf_density * 100 / 90, 0)::numeric, 1) AS bloat_percent
   FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
   JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree',
   LATERAL {ext}.pgstatindex(ic.oid::pg_catalog.regclass) s
  WHERE """ + SCHEMA_FILTER + """ AND x.indisvalid AND s.leaf_pages > 0
    AND pg_relation_size(ic.oid) >= %(min_bytes)s) x"""

SQL_UNUSED_INDEXES = """SELECT coalesce(json_agg(json_build_object('schema', s.schemaname, 'table', s.relname,
    'index', s.indexrelname, 'bytes', pg_relation_size(s.indexrelid), 'idx_scan', s.idx_scan)), '[]')
  FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
   AND pg_relation_size(s.indexrelid) >= %(min_bytes)s"""

SQL_INVALID_INDEXES = """SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'table', t.relname,
    'index', ic.relname)), '[]')
  FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE NOT x.indisvalid"""

SQL_DUPLICATE_INDEXES = """SELECT coalesce(json_agg(d), '[]') FROM (
  SELECT n.nspname AS schema, t.relname AS table, array_agg(ic.relname::text ORDER BY ic.relname) AS indexes,
         sum(pg_relation_size(ic.oid)) AS bytes
    FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE """ + SCHEMA_FILTER + """
   GROUP BY n.nspname, t.relname, x.indrelid, ic.relam, x.indkey::text, x.indclass::text, x.indcollation::text,
            coalesce(pg_get_expr(x.indexprs, x.indrelid), ''), coalesce(pg_get_expr(x.indpred, x.indrelid), '')
  HAVING count(*) > 1) d"""

SQL_DEAD_TUPLES = """SELECT coalesce(json_agg(d ORDER BY d.n_dead_tup DESC), '[]') FROM (
  SELECT schemaname AS schema, relname AS table, n_live_tup, n_dead_tup,
         round(100.0 * n_dead_tup / greatest(n_live_tup + n_dead_tup, 1), 1) AS dead_percent,
         last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
    FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT %(limit)s) d"""


def read_json(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        row = cur.fetchone()
    return row[0] if row else None


def extension_schema(conn, name):
    """The schema an extension is installed in, or None."""
    with conn.cursor() as cur:
        cur.execute(SQL_EXTENSION_SCHEMA, (name,))
        row = cur.fetchone()
    return row[0] if row else None


def in_schema(conn, query, schema):
    """query with {ext} replaced by the schema name (read from the catalog), quoted by libpq."""
    from psycopg2.extensions import quote_ident
    return query.replace('{ext}', quote_ident(schema, conn))


def _disk(path_of):
    items = []
    for name, path in path_of:
        real = os.path.realpath(path)
        st = os.statvfs(real)
        total = (st.f_blocks - st.f_bfree + st.f_bavail) * st.f_frsize
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        items.append(dict(name=name, path=real, total_bytes=total, used_bytes=used,
                          used_percent=round(100.0 * used / max(total, 1), 2)))
    return dict(items=items)


def collect_server(conn, name, t, options):
    """Raw facts of one server-wide check (may raise; run_checks turns errors into unknown)."""
    if name == 'connections':
        return read_json(conn, SQL_CONNECTIONS)
    if name == 'disk':
        data = read_json(conn, "SELECT current_setting('data_directory')")
        return _disk([('data', data), ('wal', os.path.join(data, 'pg_wal'))])
    if name == 'long_running_queries':
        return dict(items=read_json(conn, SQL_SESSIONS.format(since='query_start', where="state = 'active'")))
    if name == 'idle_in_transaction':
        return dict(items=read_json(conn, SQL_SESSIONS.format(
            since='state_change', where="state IN ('idle in transaction', 'idle in transaction (aborted)')")))
    if name == 'replication_lag':
        return read_json(conn, SQL_REPLICATION)
    if name == 'replication_slots':
        return dict(items=read_json(conn, SQL_SLOTS))
    if name == 'wraparound':
        return dict(items=read_json(conn, SQL_WRAPAROUND))
    if name == 'wal_archiving':
        return read_json(conn, SQL_ARCHIVER)
    if name == 'backup_age':
        return pgbackrest_info(options.get('pgbackrest_command') or 'pgbackrest')
    if name == 'restore_test':
        return restore_test_status(options.get('restore_test_status_file') or RESTORE_TEST_STATUS)
    if name == 'top_statements':
        schema = extension_schema(conn, 'pg_stat_statements')
        if schema is None:
            return dict(error='pg_stat_statements is not installed in database %s' % conn.info.dbname)
        return dict(items=read_json(conn, in_schema(conn, SQL_TOP_STATEMENTS, schema), dict(limit=options.get('top_statements', 10))))
    raise ValueError(name)


def collect_database(conn, name, t, options):
    """Raw items of one per-database check in the connected database."""
    exact = options.get('_pgstattuple')
    if name == 'table_bloat':
        return read_json(conn, in_schema(conn, SQL_TABLE_BLOAT_EXACT, exact) if exact else SQL_TABLE_BLOAT_ESTIMATE,
                         dict(min_bytes=t['bloat_min_bytes']))
    if name == 'index_bloat':
        return read_json(conn, in_schema(conn, SQL_INDEX_BLOAT_EXACT, exact) if exact else SQL_INDEX_BLOAT_ESTIMATE,
                         dict(min_bytes=t['bloat_min_bytes']))
    if name == 'unused_indexes':
        return read_json(conn, SQL_UNUSED_INDEXES, dict(min_bytes=t['unused_index_min_bytes']))
    if name == 'invalid_indexes':
        return read_json(conn, SQL_INVALID_INDEXES)
    if name == 'duplicate_indexes':
        return read_json(conn, SQL_DUPLICATE_INDEXES)
    if name == 'dead_tuples':
        return read_json(conn, SQL_DEAD_TUPLES, dict(limit=max(int(options.get('max_items') or 20), 1) * 5))
    raise ValueError(name)


PGBACKREST_CONFIG = '/etc/pgbackrest/pgbackrest.conf'


def parse_pgbackrest_conf(text):
    """{section: {option: value}} of a pgbackrest.conf (pure)."""
    sections, current = {}, None
    for line in (text or '').split('\n'):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        m = re.match(r'^\[(.+)\]$', line)
        if m:
            current = sections.setdefault(m.group(1), {})
        elif '=' in line and current is not None:
            k, v = line.split('=', 1)
            current[k.strip()] = v.strip()
    return sections


def stanza_names(conf):
    """The stanzas of a parsed pgbackrest.conf: its sections but global, without command suffixes (pure)."""
    names = set(s.split(':', 1)[0] for s in conf)
    names.discard('global')
    return sorted(n for n in names if n)


def configured_stanzas(path=PGBACKREST_CONFIG):
    """The stanzas of pgBackRest's configuration (its conf.d included); [] when unreadable."""
    confd = os.path.join(os.path.dirname(path), 'conf.d')
    paths = [path] + sorted(os.path.join(confd, f) for f in (os.listdir(confd) if os.path.isdir(confd) else [])
                            if f.endswith('.conf'))
    conf = {}
    for p in paths:
        try:
            with open(p) as f:
                conf.update(parse_pgbackrest_conf(f.read()))
        except (IOError, OSError):
            continue
    return stanza_names(conf)


def pgbackrest_info(command, config=PGBACKREST_CONFIG):
    """Newest successful backup per stanza from `pgbackrest info --output=json`.

    One `info --stanza` per configured stanza: a repository host's TLS server authorises clients per
    stanza and refuses an `info` over all of them ("access denied").
    """
    exe = shutil.which(command)
    if not exe:
        return dict(error='pgbackrest is not installed (%s not found)' % command)
    doc = []
    for stanza in configured_stanzas(config) or [None]:
        argv = [exe, '--output=json'] + (['--stanza=%s' % stanza] if stanza else []) + ['info']
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120, check=False)
        if proc.returncode != 0:
            return dict(error='pgbackrest info failed (rc=%d): %s' % (proc.returncode, proc.stderr.strip()[-300:]))
        doc.extend(json.loads(proc.stdout or '[]'))
    return dict(items=parse_pgbackrest_info(doc))


def parse_pgbackrest_info(doc):
    stanzas = []
    for s in doc:
        good = [b for b in s.get('backup', []) if not b.get('error')]
        newest = max(good, key=lambda b: b['timestamp']['stop']) if good else None
        stanzas.append(dict(stanza=s.get('name'), status=(s.get('status') or {}).get('message'),
                            backups=len(s.get('backup', [])),
                            newest_stop=newest['timestamp']['stop'] if newest else None,
                            newest_label=newest.get('label') if newest else None,
                            newest_type=newest.get('type') if newest else None,
                            cipher=_cipher(s), cipher_known=bool(_ciphers(s))))
    return stanzas


def _ciphers(stanza):
    found = [r.get('cipher') for r in stanza.get('repo') or [] if r.get('cipher')]
    return found or ([stanza['cipher']] if stanza.get('cipher') else [])


def _cipher(stanza):
    """The repository cipher of a stanza: 'none' when any of its repositories is unencrypted."""
    found = _ciphers(stanza)
    return 'none' if 'none' in found else (found[0] if found else None)


def restore_test_status(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (IOError, OSError) as e:
        return dict(error='no restore test status: %s' % e)
    except ValueError as e:
        return dict(error='%s is not JSON: %s' % (path, e))
    if not isinstance(doc, dict):
        return dict(error='%s does not hold a JSON object' % path)
    return dict(status=doc, path=path)


def _guard(fn, *args):
    try:
        return fn(*args)
    except DB_ERRORS + (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as e:
        return dict(error='%s: %s' % (type(e).__name__, str(e).strip()))


def run_checks(connect, options, now=None):
    """Collect and evaluate the selected checks.

    options: thresholds (dict), checks (names, empty = all), databases (empty = every
    database that accepts connections), max_items, top_statements, pgbackrest_command,
    restore_test_status_file, restore_test_schedule (derives the restore test thresholds
    that `thresholds` does not give). Returns (results, overall status, databases checked,
    not visible: [{database, reason}] of the databases the per-database checks could not look into).
    """
    t = hc.thresholds_with_defaults(options.get('thresholds'), options.get('restore_test_schedule'))
    wanted = options.get('checks') or hc.CHECKS
    unknown = [c for c in wanted if c not in hc.CHECKS]
    if unknown:
        raise ValueError('checks: unknown check(s) %s (known: %s)' % (', '.join(unknown), ', '.join(hc.CHECKS)))
    raw = {}
    conn = connect(None)
    try:
        conn.set_session(readonly=True, autocommit=True)
        for name in hc.SERVER_CHECKS:
            if name in wanted:
                raw[name] = _guard(collect_server, conn, name, t, options)
        found = _rows(conn, SQL_DATABASES)
    finally:
        conn.close()
    barred = dict((name, 'does not allow connections (datallowconn is false)' if not allowed else
                   'the login has no CONNECT privilege on it') for name, allowed, can in found if not (allowed and can))
    missing = [d for d in options.get('databases') or [] if d not in set(r[0] for r in found)]
    if missing:
        raise ValueError('databases: no such database: %s' % ', '.join(missing))
    selected = options.get('databases') or [r[0] for r in found]
    not_visible = [dict(database=d, reason=barred[d]) for d in selected if d in barred]
    selected = [d for d in selected if d not in barred]
    per_db = [c for c in hc.DATABASE_CHECKS if c in wanted]
    for name in per_db:
        raw[name] = dict(items=[])
    for db in (selected if per_db else []):
        refused = _collect_in(connect, db, per_db, raw, t, options)
        if refused:
            not_visible.append(dict(database=db, reason=refused))
    results, status = hc.evaluate_all(raw, t, time.time() if now is None else now)
    limit = int(options.get('max_items') or 20)
    for name, r in results.items():
        if raw[name].get('errors'):  # databases that could not be checked
            r['errors'] = raw[name]['errors']
            r['message'] += '; not checked: %s' % '; '.join(raw[name]['errors'])
        if name in per_db and not_visible:
            r['message'] += '; not visible to this login: %s' % '; '.join('%s (%s)' % (n['database'], n['reason']) for n in not_visible)
        r['count'] = len(r['items'])
        r['items'] = r['items'][:limit]
    checked = [d for d in selected if d not in set(n['database'] for n in not_visible)]
    return results, status, checked, not_visible


def _collect_in(connect, db, names, raw, t, options):
    """Collect the per-database checks in db; the reason when the connection is refused."""
    try:
        conn = connect(db)
    except DB_ERRORS as e:
        return 'cannot connect: %s' % str(e).strip()
    try:
        conn.set_session(readonly=True, autocommit=True)
        schema = _guard(extension_schema, conn, 'pgstattuple')
        opts = dict(options, _pgstattuple=schema if isinstance(schema, str) else None)
        for name in names:
            got = _guard(collect_database, conn, name, t, opts)
            if isinstance(got, dict):
                raw[name].setdefault('errors', []).append('%s: %s' % (db, got['error']))
                continue
            for item in got:
                item['database'] = db
            raw[name]['items'].extend(got)
    finally:
        conn.close()


def _rows(conn, query):
    with conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()
