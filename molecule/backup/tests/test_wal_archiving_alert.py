"""Break archive_command on the backup host and see the wal_archiving check turn critical
(pgwarden.postgresql.health_info with fail_on=critical, the same check the monitoring role's
checker runs), then put the role's command back and see it return to ok."""
import json
import os
import subprocess
import time

from test_backup import PSQL, as_postgres

# The database hosts; the repository host is checked from test_repo_host.py.
testinfra_only = ['pgw-backup-deb12', 'pgw-backup-deb13']

ARCHIVER = PSQL + ' -c "SELECT failed_count, coalesce(last_archived_time > last_failed_time, false) FROM pg_stat_archiver"'


def health(name):
    res = subprocess.run(['ansible', name, '-i', os.environ['MOLECULE_INVENTORY_FILE'], '-b', '--become-user',
                          'postgres', '-m', 'pgwarden.postgresql.health_info',
                          '-a', json.dumps(dict(checks=['wal_archiving'], fail_on='critical'))],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return res.returncode, res.stdout


def wait_for(host, predicate, timeout=120):
    end = time.time() + timeout
    while True:
        row = as_postgres(host, ARCHIVER).split('|')
        if predicate(int(row[0]), row[1] == 't'):
            return
        assert time.time() < end, 'pg_stat_archiver never got there: %s' % row
        time.sleep(1)


def test_broken_archive_command_raises_the_alert(host):
    name = host.backend.get_hostname()
    command = as_postgres(host, PSQL + ' -c "SHOW archive_command"')
    failed = int(as_postgres(host, ARCHIVER).split('|')[0])
    try:
        as_postgres(host, PSQL + " -c \"ALTER SYSTEM SET archive_command = 'false'\" -c 'SELECT pg_reload_conf()'")
        time.sleep(1)
        as_postgres(host, PSQL + " -c 'CREATE TABLE IF NOT EXISTS wal_alert_probe (i int)' "
                    "-c 'INSERT INTO wal_alert_probe VALUES (1)' -c 'SELECT pg_switch_wal()'")
        wait_for(host, lambda count, recovered: count > failed)
        rc, out = health(name)
        assert rc != 0 and 'wal_archiving: archive_command is failing' in out, out[-3000:]
    finally:
        as_postgres(host, PSQL + ' -c "ALTER SYSTEM SET archive_command = %s" -c "SELECT pg_reload_conf()"'
                    % ("'" + command.replace("'", "''") + "'").replace('"', '\\"'))
    wait_for(host, lambda count, recovered: recovered)
    rc, out = health(name)
    assert rc == 0 and '"status": "ok"' in out, out[-3000:]
