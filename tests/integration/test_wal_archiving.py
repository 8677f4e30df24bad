"""The wal_archiving check of health_info against a throwaway server whose archive_command is
broken, then repaired: critical while it fails, ok once the archiver has caught up."""
import os
import pwd
import time

import pytest

from pgserver import PgServer
from runner import run_module


@pytest.fixture(scope='module')
def archiving():
    """A server of this file's own (archive_mode needs a restart) with a failing archive_command."""
    pg = PgServer().start()
    archive = os.path.join(pg.root, 'archive')
    pw = pwd.getpwnam('postgres')
    os.mkdir(archive, 0o750)
    os.chown(archive, pw.pw_uid, pw.pw_gid)
    pg.archive = archive
    pg.query("ALTER SYSTEM SET archive_mode = on")
    pg.query("ALTER SYSTEM SET archive_command = 'false'")
    pg._run('pg_ctl', '-D', pg.data, '-l', pg.log, '-w', 'restart')
    yield pg
    pg.stop()


def archiver(pg):
    return pg.query("SELECT failed_count, last_failed_time, last_archived_time FROM pg_stat_archiver")[0]


def wait_for(what, timeout=90):
    end = time.time() + timeout
    while not what():
        assert time.time() < end, 'timed out'
        time.sleep(0.3)


def health(pg, **args):
    return run_module('pgwarden.postgresql.health_info',
                      dict(pg.connection_args(), checks=['wal_archiving'], **args))


def switch_wal(pg):
    pg.query("CREATE TABLE IF NOT EXISTS wal_probe (i int); INSERT INTO wal_probe VALUES (1)")
    pg.query("SELECT pg_switch_wal()")


def test_failing_archive_command_is_critical_then_ok_when_repaired(archiving):
    pg = archiving
    switch_wal(pg)
    wait_for(lambda: archiver(pg)[0] > 0)
    res = health(pg)
    check = res['checks']['wal_archiving']
    assert check['status'] == 'critical', check
    assert check['message'].startswith('archive_command is failing'), check['message']
    item = check['items'][0]
    assert item['failed_count'] > 0 and item['ready_count'] >= 1 and item['last_archived_wal'] is None
    gate = health(pg, fail_on='critical')
    assert gate['failed'] and 'wal_archiving: archive_command is failing' in gate['msg']

    pg.query("ALTER SYSTEM SET archive_command = %s", ('test ! -f %s/%%f && cp %%p %s/%%f' % (pg.archive, pg.archive),))
    pg.query("SELECT pg_reload_conf()")
    wait_for(lambda: archiver(pg)[2] is not None and archiver(pg)[2] > archiver(pg)[1])
    wait_for(lambda: pg.query("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name ~ '[.]ready$'")[0][0] == 0)
    check = health(pg)['checks']['wal_archiving']
    assert (check['status'], check['value']) == ('ok', 0), check
    assert check['message'] == 'every completed WAL segment is archived'
    assert os.listdir(pg.archive)


def test_archive_lag_over_the_rpo_warns(archiving):
    pg = archiving
    pg.query("ALTER SYSTEM SET archive_command = 'sleep 30'")  # hangs: nothing fails, WAL waits
    pg.query("SELECT pg_reload_conf()")
    time.sleep(0.5)
    switch_wal(pg)
    switch_wal(pg)
    wait_for(lambda: pg.query("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name ~ '[.]ready$'")[0][0] > 0)
    time.sleep(2.5)
    check = health(pg, thresholds=dict(archive_lag_warning_seconds=2, archive_lag_critical_seconds=3600))[
        'checks']['wal_archiving']
    assert check['status'] == 'warning' and check['value'] >= 2, check
