"""Verify the backup scenario from outside: psql, pgbackrest, pg_ctl, pg_restore, systemd, files.

Nothing here reads the role's variables; paths are the documented defaults.
"""
import json
import time

MARKER = 'PGWARDEN-PLAINTEXT-MARKER-4e1d'
REPO = '/var/lib/pgbackrest'
SCRATCH = '/var/tmp/pitr-scratch'
PORT = 5498


def as_postgres(host, cmd):
    return host.run("runuser -u postgres -- sh -c %s" % _q(cmd))


def _q(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


def sql(host, query, db='postgres', port=5432, socket='/var/run/postgresql'):
    res = as_postgres(host, 'psql -XAtq -v ON_ERROR_STOP=1 -h %s -p %d -d %s -c %s' % (socket, port, db, _q(query)))
    assert res.rc == 0, res.stderr
    return res.stdout.strip()


def bindir(host):
    return '/usr/lib/postgresql/%s/bin' % sql(host, 'SHOW server_version_num')[:2]


def archive_now(host):
    res = as_postgres(host, 'pgbackrest --stanza=main check')  # switches WAL and waits until it is archived
    assert res.rc == 0, res.stderr + res.stdout


def test_configuration_is_private_and_encrypted(host):
    conf = host.file('/etc/pgbackrest/pgbackrest.conf')
    assert conf.user == 'root' and conf.group == 'postgres' and conf.mode == 0o640
    assert 'repo1-cipher-type=aes-256-cbc' in conf.content_string
    assert 'compress-type=zst' in conf.content_string
    assert sql(host, 'SHOW archive_mode') == 'on'
    assert sql(host, 'SHOW archive_timeout') == '2min'  # from the declared RPO of 120 s
    assert 'pgbackrest' in sql(host, 'SHOW archive_command')
    info = json.loads(as_postgres(host, 'pgbackrest --stanza=main --output=json info').stdout)
    assert info[0]['status']['code'] == 0 and info[0]['cipher'] == 'aes-256-cbc'
    assert any(b['type'] == 'full' for b in info[0]['backup'])


def test_timers_are_scheduled(host):
    for timer in ('pgwarden-backup-full', 'pgwarden-backup-diff', 'pgwarden-pg-dump', 'pgwarden-restore-test'):
        assert host.service(timer + '.timer').is_enabled
        assert host.run('systemctl is-active %s.timer' % timer).stdout.strip() == 'active'


def test_point_in_time_restore_into_a_scratch_directory(host):
    sql(host, 'DROP TABLE IF EXISTS pitr; CREATE TABLE pitr (id int, note text)')
    sql(host, "INSERT INTO pitr SELECT g, '%s' FROM generate_series(1, 10) g" % MARKER)
    time.sleep(1.1)
    target = sql(host, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.1)
    sql(host, 'INSERT INTO pitr SELECT g FROM generate_series(11, 25) g')
    archive_now(host)
    host.run('rm -rf %s %s.run' % (SCRATCH, SCRATCH))
    res = as_postgres(host, 'mkdir -m 700 -p %s %s.run && touch %s.run/postgresql.conf %s.run/pg_ident.conf && '
                      'echo "local all all peer" > %s.run/pg_hba.conf' % ((SCRATCH,) * 5))
    assert res.rc == 0, res.stderr
    res = as_postgres(host, "pgbackrest --stanza=main --pg1-path=%s --type=time '--target=%s' --target-action=promote "
                      "--archive-mode=off restore" % (SCRATCH, target))
    assert res.rc == 0, res.stderr + res.stdout
    run = SCRATCH + '.run'
    opts = ("-c config_file=%s/postgresql.conf -c hba_file=%s/pg_hba.conf -c ident_file=%s/pg_ident.conf -c port=%d "
            "-c listen_addresses= -c unix_socket_directories=%s -c archive_mode=off -c ssl=off" % (run, run, run, PORT, run))
    res = as_postgres(host, '%s/pg_ctl -D %s -l %s/log -o "%s" -w -t 300 start' % (bindir(host), SCRATCH, run, opts))
    assert res.rc == 0, res.stdout + host.run('cat %s/log' % run).stdout
    try:
        for _ in range(120):
            if sql(host, 'SELECT pg_is_in_recovery()', port=PORT, socket=run) == 'f':
                break
            time.sleep(1)
        assert sql(host, 'SELECT count(*), min(id), max(id) FROM pitr', port=PORT, socket=run) == '10|1|10'
    finally:
        as_postgres(host, '%s/pg_ctl -D %s -m fast -w stop' % (bindir(host), SCRATCH))
        host.run('rm -rf %s %s.run' % (SCRATCH, SCRATCH))
    assert sql(host, 'SELECT count(*) FROM pitr') == '25'


def test_repository_is_encrypted_and_verifies(host):
    sql(host, "CREATE TABLE IF NOT EXISTS marker (v text); INSERT INTO marker SELECT '%s' || g FROM generate_series(1, 2000) g"
        % MARKER)
    res = as_postgres(host, 'pgbackrest --stanza=main --type=incr backup')
    assert res.rc == 0, res.stderr
    archive_now(host)
    assert host.run('grep -r -a -l %s %s' % (MARKER, REPO)).rc == 1, 'plaintext marker found in the repository'
    # every repository file is OpenSSL aes-256-cbc output ("Salted__"), not bare zstd
    res = host.run("find %s -type f ! -name '*.ok' -exec sh -c 'head -c 8 \"$1\" | grep -q Salted__ || echo \"$1\"' _ {} \\;"
                   % REPO)
    assert res.rc == 0 and res.stdout.strip() == '', 'not encrypted: ' + res.stdout
    res = as_postgres(host, 'pgbackrest --stanza=main --log-level-console=info verify')
    assert res.rc == 0 and 'completed successfully' in res.stdout, res.stdout + res.stderr
    assert 'ERROR' not in res.stdout and 'WARN' not in res.stdout, res.stdout


def test_restore_test_job_writes_a_passing_status(host):
    sql(host, 'CREATE TABLE IF NOT EXISTS restore_probe (id int primary key); '
              'INSERT INTO restore_probe VALUES (1), (2), (3) ON CONFLICT DO NOTHING')
    archive_now(host)
    res = host.run('systemctl start pgwarden-restore-test.service')
    status = json.loads(host.file('/var/lib/pgwarden/restore-test.json').content_string)
    assert res.rc == 0 and status['result'] == 'passed', status
    assert status['duration_seconds'] > 0 and status['finished_at'] and status['within_rto'] is True
    rows = [c for c in status['checks'] if c['check'] == 'rows']
    assert rows and rows[0]['rows'] == 3
    assert not host.file('/var/lib/pgwarden/restore-test').exists


def test_logical_dump_restores_into_an_empty_database(host):
    res = host.run('systemctl start pgwarden-pg-dump.service')
    assert res.rc == 0, host.run('journalctl -u pgwarden-pg-dump.service -n 20 --no-pager').stdout
    newest = host.run("ls -1d /var/backups/pgwarden/pg_dump/*Z | tail -1").stdout.strip()
    dump = host.file(newest + '/postgres.dump')
    assert dump.exists and dump.user == 'postgres' and dump.mode == 0o600
    assert host.file('/var/backups/pgwarden/pg_dump').mode == 0o700
    sql(host, 'DROP DATABASE IF EXISTS dump_check')
    sql(host, 'CREATE DATABASE dump_check')
    res = as_postgres(host, 'pg_restore --exit-on-error --no-owner -d dump_check %s/postgres.dump' % newest)
    assert res.rc == 0, res.stderr
    assert sql(host, 'SELECT count(*) FROM pitr', db='dump_check') == '25'
    sql(host, 'DROP DATABASE dump_check')
