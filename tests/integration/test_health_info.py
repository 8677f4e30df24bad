"""pgwarden.postgresql.health_info against a real PostgreSQL: each condition is created,
flagged, then cleared and seen back at ok."""
import json
import re
import threading
import time
import uuid

import psycopg2
import pytest

from runner import run_module

WRITES = re.compile(r'^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE|VACUUM|ANALYZE|GRANT|REVOKE|COPY|CLUSTER|'
                    r'REINDEX|COMMENT|SELECT\s+pg_(cancel|terminate))', re.I)


@pytest.fixture
def health(pg):
    def run(**args):
        return run_module('pgwarden.postgresql.health_info', dict(pg.connection_args(), **args))
    return run


@pytest.fixture
def db(pg):
    name = 'hc_' + uuid.uuid4().hex[:8]
    pg.query('CREATE DATABASE %s' % name)
    yield name
    pg.query('DROP DATABASE %s WITH (FORCE)' % name)


def wait_for(pg, sql, params=None, dbname='postgres', timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if pg.query(sql, params, dbname=dbname)[0][0]:
            return
        time.sleep(0.2)
    raise AssertionError('condition never became true: %s' % sql)


def test_all_checks_report_and_change_nothing(pg, health):
    offset = pg.log_size()
    res = health()
    assert res['changed'] is False
    assert set(res['checks']) == {
        'connections', 'disk', 'long_running_queries', 'idle_in_transaction', 'replication_lag',
        'replication_slots', 'wraparound', 'wal_archiving', 'backup_age', 'restore_test', 'top_statements', 'table_bloat',
        'index_bloat', 'unused_indexes', 'invalid_indexes', 'duplicate_indexes', 'dead_tuples'}
    for name, check in res['checks'].items():
        assert check['status'] in ('ok', 'warning', 'critical', 'unknown'), name
        assert {'value', 'threshold', 'unit', 'message', 'items', 'count'} <= set(check), name
    conn = res['checks']['connections']
    assert conn['status'] == 'ok' and 0 < conn['value'] < 5
    # max_connections=200 minus superuser_reserved_connections=3 in the fixture
    assert conn['items'][0]['available'] == 200 - 3
    assert res['checks']['disk']['items'][0]['path'] == pg.data
    assert res['checks']['wraparound']['status'] == 'ok'
    assert res['checks']['restore_test']['status'] == 'unknown'
    assert res['checks']['top_statements']['status'] == 'unknown'
    assert 'postgres' in res['databases']
    statements = pg.statements_since(offset)
    assert statements, 'the module ran no statement through the pgwarden connection'
    assert not [s for s in statements if WRITES.match(s)], 'health_info must only read'


def test_long_running_query_is_flagged_then_clears(pg, health):
    conn = pg.connect()
    errors = []

    def sleeper():
        try:
            with conn.cursor() as cur:
                cur.execute('SELECT pg_sleep(600) /* hc-long */')
        except psycopg2.Error as e:
            errors.append(e)
    th = threading.Thread(target=sleeper)
    th.start()
    try:
        wait_for(pg, "SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%%hc-long */' AND state = 'active' "
                     "AND now() - query_start > interval '1 second'")
        res = health(checks=['long_running_queries'], thresholds=dict(long_query_warning_seconds=1))
        check = res['checks']['long_running_queries']
        assert check['status'] == 'warning' and check['value'] >= 1
        item = [i for i in check['items'] if 'hc-long' in i['query']][0]
        assert item['pid'] == conn.get_backend_pid() and item['user'] == 'postgres' and item['query_start']
        res = health(checks=['long_running_queries'],
                     thresholds=dict(long_query_warning_seconds=0.5, long_query_critical_seconds=1))
        assert res['checks']['long_running_queries']['status'] == 'critical'
        assert res['status'] == 'critical'
    finally:
        pg.query('SELECT pg_cancel_backend(%s)', (conn.get_backend_pid(),))
        th.join()
        conn.close()
    assert isinstance(errors[0], psycopg2.errors.QueryCanceled)
    res = health(checks=['long_running_queries'], thresholds=dict(long_query_warning_seconds=1))
    assert res['checks']['long_running_queries']['status'] == 'ok' and res['status'] == 'ok'


def test_idle_in_transaction_is_flagged_then_clears(pg, health):
    conn = pg.connect()
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute('SELECT 1 /* hc-idle */')
    wait_for(pg, "SELECT count(*) > 0 FROM pg_stat_activity WHERE state = 'idle in transaction' "
                 "AND now() - state_change > interval '1 second'")
    res = health(checks=['idle_in_transaction'], thresholds=dict(idle_in_transaction_warning_seconds=1))
    check = res['checks']['idle_in_transaction']
    assert check['status'] == 'warning'
    assert conn.get_backend_pid() in [i['pid'] for i in check['items']]
    conn.commit()
    conn.close()
    res = health(checks=['idle_in_transaction'], thresholds=dict(idle_in_transaction_warning_seconds=1))
    assert res['checks']['idle_in_transaction']['status'] == 'ok'


def test_connection_surge_is_flagged_then_clears(pg, health):
    thresholds = dict(connections_warning_percent=10, connections_critical_percent=50)
    assert health(checks=['connections'], thresholds=thresholds)['checks']['connections']['status'] == 'ok'
    surge = [pg.connect() for i in range(30)]
    try:
        check = health(checks=['connections'], thresholds=thresholds)['checks']['connections']
        assert check['status'] == 'warning'
        assert check['items'][0]['used'] >= 30 and check['value'] >= 30 * 100.0 / 197
    finally:
        for c in surge:
            c.close()
    wait_for(pg, "SELECT count(*) < 10 FROM pg_stat_activity WHERE backend_type = 'client backend'")
    assert health(checks=['connections'], thresholds=thresholds)['checks']['connections']['status'] == 'ok'


@pytest.mark.parametrize('exact', [False, True], ids=['estimate', 'pgstattuple'])
def test_bloated_table_is_flagged_then_clears(pg, health, db, exact):
    if exact:
        pg.query('CREATE EXTENSION pgstattuple', dbname=db)
    pg.query("CREATE TABLE bloated (id int PRIMARY KEY, v text, n int) WITH (autovacuum_enabled = false)", dbname=db)
    pg.query("INSERT INTO bloated SELECT g, repeat('x', 50), g FROM generate_series(1, 100000) g", dbname=db)
    pg.query('ANALYZE bloated', dbname=db)
    args = dict(databases=[db], checks=['table_bloat', 'dead_tuples'], thresholds=dict(bloat_min_bytes=0))
    before = health(**args)['checks']
    assert before['table_bloat']['status'] == 'ok' and before['dead_tuples']['status'] == 'ok'
    for i in range(2):
        pg.query('UPDATE bloated SET n = n + %s', (i + 1,), dbname=db)
    pg.query('ANALYZE bloated', dbname=db)
    after = health(**args)['checks']
    bloat = after['table_bloat']
    assert bloat['status'] == 'warning', bloat
    assert [(i['database'], i['table'], i['method']) for i in bloat['items']] == [
        (db, 'bloated', 'pgstattuple' if exact else 'estimate')]
    assert 55 < bloat['items'][0]['bloat_percent'] < 75  # two dead versions of every row
    dead = after['dead_tuples']
    assert dead['status'] == 'critical' and dead['items'][0]['n_dead_tup'] == 200000
    assert dead['items'][0]['last_vacuum'] is None and dead['items'][0]['last_autovacuum'] is None
    pg.query('VACUUM FULL bloated', dbname=db)
    pg.query('VACUUM ANALYZE bloated', dbname=db)
    cleared = health(**args)['checks']
    assert cleared['table_bloat']['status'] == 'ok' and cleared['dead_tuples']['status'] == 'ok'
    assert cleared['dead_tuples']['items'][0]['last_vacuum'] is not None


def test_unused_duplicate_and_invalid_indexes(pg, health, db):
    pg.query("CREATE TABLE t (id int PRIMARY KEY, n int)", dbname=db)
    pg.query("INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g", dbname=db)
    pg.query("CREATE INDEX t_n ON t (n)", dbname=db)
    pg.query("CREATE INDEX t_n_again ON t (n)", dbname=db)
    args = dict(databases=[db], checks=['unused_indexes', 'duplicate_indexes', 'invalid_indexes'],
                thresholds=dict(unused_index_min_bytes=0))
    res = health(**args)['checks']
    assert res['unused_indexes']['status'] == 'warning'
    assert sorted(i['index'] for i in res['unused_indexes']['items']) == ['t_n', 't_n_again']  # not the pkey
    assert res['duplicate_indexes']['items'][0]['indexes'] == ['t_n', 't_n_again']
    assert res['invalid_indexes']['status'] == 'ok'
    # Use one index, drop the other: the check returns to ok.
    c = pg.connect(db)
    with c.cursor() as cur:
        cur.execute('SET enable_seqscan = off; SET enable_bitmapscan = off')
        cur.execute('DROP INDEX t_n_again')
        cur.execute('SELECT n FROM t WHERE n = 42')
    c.close()
    wait_for(pg, "SELECT idx_scan > 0 FROM pg_stat_user_indexes WHERE indexrelname = 't_n'", dbname=db)
    res = health(**args)['checks']
    assert res['unused_indexes']['status'] == 'ok' and res['duplicate_indexes']['status'] == 'ok'
    # A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind.
    pg.query("UPDATE t SET n = 1 WHERE id < 3", dbname=db)
    with pytest.raises(psycopg2.errors.UniqueViolation):
        pg.query("CREATE UNIQUE INDEX CONCURRENTLY t_n_unique ON t (n)", dbname=db)
    res = health(**args)['checks']
    assert res['invalid_indexes']['status'] == 'warning'
    assert res['invalid_indexes']['items'][0]['index'] == 't_n_unique'


def test_restore_test_and_backup_status(health, tmp_path):
    status = tmp_path / 'restore-test.json'
    args = dict(checks=['restore_test', 'backup_age'], restore_test_status_file=str(status),
                pgbackrest_command='/nonexistent/pgbackrest')
    res = health(**args)['checks']
    assert res['restore_test']['status'] == 'unknown' and res['backup_age']['status'] == 'unknown'
    now = time.time()
    iso = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now - 3600))
    status.write_text(json.dumps(dict(result='passed', duration_seconds=42, finished_at=iso)))
    assert health(**args)['checks']['restore_test']['status'] == 'ok'
    # Monthly restore test: 10 days is fine, a run overdue (40 days) warns.
    old = time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime(now - 10 * 86400))
    status.write_text(json.dumps(dict(result='passed', duration_seconds=42, finished_at=old)))
    assert health(**args)['checks']['restore_test']['status'] == 'ok'
    old = time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime(now - 40 * 86400))
    status.write_text(json.dumps(dict(result='passed', duration_seconds=42, finished_at=old)))
    check = health(**args)['checks']['restore_test']
    assert check['status'] == 'warning' and 39.9 < check['value'] < 40.1
    status.write_text(json.dumps(dict(result='failed', duration_seconds=42, finished_at=iso)))
    assert health(**args)['checks']['restore_test']['status'] == 'critical'
    status.write_text('not json')
    assert health(**args)['checks']['restore_test']['status'] == 'unknown'


@pytest.mark.parametrize('args,option', [
    (dict(thresholds=dict(long_query_warning_seconds=600, long_query_critical_seconds=60)), 'thresholds'),
    (dict(thresholds=dict(disk_warning_percent=-1)), 'thresholds'),
    (dict(databases=['no_such_db']), 'databases'),
    (dict(max_items=0), 'max_items'),
])
def test_bad_input_fails_naming_the_option(health, args, option):
    res = health(**args)
    assert res.get('failed') is True
    assert res['msg'].startswith(option), res['msg']


def test_fail_on_gate(pg, health):
    res = health(checks=['connections'], fail_on='warning', thresholds=dict(connections_warning_percent=0.1))
    assert res.get('failed') is True and res['status'] == 'warning' and 'connections' in res['msg']


def test_databases_the_login_cannot_connect_to_are_not_visible(pg, health):
    """REVOKE CONNECT from PUBLIC with a non-superuser login, and datallowconn false: reported, the rest still runs."""
    tag = uuid.uuid4().hex[:8]
    closed, barred, login = 'hc_closed_' + tag, 'hc_barred_' + tag, 'hc_mon_' + tag
    pg.query('CREATE DATABASE %s' % closed)
    pg.query('CREATE DATABASE %s' % barred)
    pg.query('REVOKE CONNECT ON DATABASE %s FROM PUBLIC' % closed)
    pg.query('ALTER DATABASE %s ALLOW_CONNECTIONS false' % barred)
    pg.query('CREATE ROLE %s LOGIN IN ROLE pg_monitor' % login)
    try:
        per_db = ['table_bloat', 'dead_tuples', 'unused_indexes']
        for args in (dict(), dict(databases=['postgres', closed, barred])):
            offset = pg.log_size()
            res = health(login_user=login, **args)
            assert not res.get('failed'), res.get('msg')
            reasons = dict((n['database'], n['reason']) for n in res['not_visible'])
            assert 'CONNECT privilege' in reasons[closed] and 'datallowconn' in reasons[barred]
            assert closed not in res['databases'] and barred not in res['databases'] and 'postgres' in res['databases']
            # The server checks and the per-database checks in the visible databases still ran.
            assert res['checks']['connections']['status'] == 'ok' and res['checks']['wraparound']['status'] == 'ok'
            for name in per_db:
                assert res['checks'][name]['status'] != 'unknown', (name, res['checks'][name])
                assert closed in res['checks'][name]['message'] and barred in res['checks'][name]['message']
                assert not any(i['database'] in (closed, barred) for i in res['checks'][name]['items'])
            assert all(not WRITES.match(s) for s in pg.statements_since(offset))
        # A superuser can connect to the database without CONNECT for PUBLIC, never to datallowconn false.
        res = health(checks=['dead_tuples'])
        assert closed in res['databases'] and [n['database'] for n in res['not_visible'] if n['database'] in (closed, barred)] == [barred]
    finally:
        pg.query('DROP DATABASE %s WITH (FORCE)' % closed)
        pg.query('DROP DATABASE %s' % barred)
        pg.query('DROP ROLE %s' % login)


def test_a_database_pg_hba_refuses_is_not_visible(pg, health):
    """A connection pg_hba.conf rejects is a database this login cannot see, not a failed run."""
    db = 'hc_hba_' + uuid.uuid4().hex[:8]
    hba = pg.query('SHOW hba_file')[0][0]
    with open(hba) as f:
        original = f.read()
    pg.query('CREATE DATABASE %s' % db)
    try:
        with open(hba, 'w') as f:
            f.write('local %s all reject\n' % db + original)
        pg.query('SELECT pg_reload_conf()')
        time.sleep(0.5)
        res = health(databases=['postgres', db], checks=['dead_tuples', 'connections'])
        assert not res.get('failed'), res.get('msg')
        reasons = dict((n['database'], n['reason']) for n in res['not_visible'])
        assert 'cannot connect' in reasons[db] and 'pg_hba.conf rejects' in reasons[db]
        assert res['databases'] == ['postgres'] and res['checks']['connections']['status'] == 'ok'
        assert db in res['checks']['dead_tuples']['message']
    finally:
        with open(hba, 'w') as f:
            f.write(original)
        pg.query('SELECT pg_reload_conf()')
        time.sleep(0.5)
        pg.query('DROP DATABASE %s' % db)
