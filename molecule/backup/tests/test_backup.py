"""Verify the backup scenario from outside: psql, pgbackrest, pg_ctl, pg_restore, systemd, files.

Nothing here reads the role's variables; paths are the documented defaults. Each step is
one shell script on the host (testinfra's ansible backend costs seconds per command).
"""
import json

MARKER = 'PGWARDEN-PLAINTEXT-MARKER-4e1d'
REPO = '/var/lib/pgbackrest'


def _q(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


def as_postgres(host, script):
    """Run a shell script as postgres (set -eu); fail the test with its output when it fails."""
    res = host.run('runuser -u postgres -- sh -euc %s' % _q(script))
    assert res.rc == 0, 'rc=%d\nstdout:\n%s\nstderr:\n%s' % (res.rc, res.stdout, res.stderr)
    return res.stdout.strip()


PSQL = 'psql -XAtq -v ON_ERROR_STOP=1 -d postgres'


def test_configuration_is_private_archiving_and_encrypted(host):
    res = host.run("stat -c '%U:%G:%a' /etc/pgbackrest/pgbackrest.conf && "
                   "grep -E '^(repo1-cipher-type|compress-type)=' /etc/pgbackrest/pgbackrest.conf")
    assert res.stdout.split() == ['root:postgres:640', 'repo1-cipher-type=aes-256-cbc', 'compress-type=zst']
    out = as_postgres(host, PSQL + " -c \"SELECT current_setting('archive_mode'), current_setting('archive_timeout'), "
                      "current_setting('archive_command')\"")
    mode, timeout, command = out.split('|')
    assert (mode, timeout) == ('on', '2min')  # archive_timeout from the declared RPO of 120 s
    assert command.startswith('pgbackrest') and 'archive-push' in command
    info = json.loads(as_postgres(host, 'pgbackrest --stanza=main --output=json info'))[0]
    assert info['status']['code'] == 0 and info['cipher'] == 'aes-256-cbc'
    assert any(b['type'] == 'full' for b in info['backup'])


def test_timers_are_scheduled(host):
    timers = ' '.join('pgwarden-%s.timer' % t for t in ('backup-full', 'backup-diff', 'pg-dump', 'restore-test'))
    res = host.run('systemctl is-enabled %s && systemctl is-active %s' % (timers, timers))
    assert res.rc == 0 and res.stdout.split() == ['enabled'] * 4 + ['active'] * 4


PITR = r'''
scratch=/var/tmp/pitr-scratch; run=/var/tmp/pitr-run; bin=/usr/lib/postgresql/$(cat $scratch.version)/bin
rm -rf $scratch $run; mkdir -m 700 $scratch $run
touch $run/postgresql.conf $run/pg_ident.conf; echo 'local all all peer' > $run/pg_hba.conf
pgbackrest --stanza=main --pg1-path=$scratch --type=time "--target=$TARGET" --target-action=promote \
  --archive-mode=off restore
stop() { $bin/pg_ctl -D $scratch -m fast -w stop >/dev/null 2>&1 || true; rm -rf $scratch $run $scratch.version; }
trap stop EXIT
$bin/pg_ctl -D $scratch -l $run/log -w -t 300 -o "-c config_file=$run/postgresql.conf -c hba_file=$run/pg_hba.conf \
  -c ident_file=$run/pg_ident.conf -c port=5498 -c listen_addresses= -c unix_socket_directories=$run \
  -c archive_mode=off -c ssl=off" start >/dev/null || { cat $run/log; exit 1; }
for i in $(seq 300); do
  [ "$(psql -XAtq -h $run -p 5498 -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 1
done
psql -XAtq -h $run -p 5498 -d postgres -c 'SELECT count(*), min(id), max(id) FROM pitr'
'''


def test_point_in_time_restore_into_a_scratch_directory_has_exactly_the_rows_at_t(host):
    target = as_postgres(host, '''
        %(psql)s -c 'DROP TABLE IF EXISTS pitr' -c 'CREATE TABLE pitr (id int, note text)'
        %(psql)s -c "INSERT INTO pitr SELECT g, '%(marker)s' FROM generate_series(1, 10) g"
        sleep 1.1
        %(psql)s -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"
        sleep 1.1
        %(psql)s -c 'INSERT INTO pitr SELECT g FROM generate_series(11, 25) g'
        pgbackrest --stanza=main check   # switches WAL and waits until it is archived
        %(psql)s -c 'SHOW server_version_num' | cut -c1-2 > /var/tmp/pitr-scratch.version
    ''' % dict(psql=PSQL, marker=MARKER))
    assert target.startswith('20')
    counted = as_postgres(host, 'TARGET=%s\n%s' % (_q(target), PITR))
    assert counted.splitlines()[-1] == '10|1|10', counted  # exactly the rows committed before T
    assert as_postgres(host, PSQL + " -c 'SELECT count(*) FROM pitr'") == '25'


def test_repository_is_encrypted_and_verifies_clean(host):
    as_postgres(host, '''
        %(psql)s -c 'CREATE TABLE IF NOT EXISTS marker (v text)'
        %(psql)s -c "INSERT INTO marker SELECT '%(marker)s' || g FROM generate_series(1, 2000) g"
        pgbackrest --stanza=main --type=incr backup
        pgbackrest --stanza=main check
    ''' % dict(psql=PSQL, marker=MARKER))
    res = host.run('grep -r -a -l %s %s' % (MARKER, REPO))
    assert res.rc == 1 and res.stdout == '', 'plaintext marker found in: ' + res.stdout
    # every repository file is OpenSSL aes-256-cbc output ("Salted__"), not bare zstd or INI text
    res = host.run("find %s -type f -exec sh -c 'head -c 8 \"$1\" | grep -q Salted__ || echo \"$1\"' _ {} \\; ; "
                   "find %s -type f | wc -l" % (REPO, REPO))
    assert res.rc == 0 and res.stdout.split()[:-1] == [] and int(res.stdout.split()[-1]) > 10, res.stdout
    out = as_postgres(host, 'pgbackrest --stanza=main --log-level-console=info verify 2>&1')
    assert 'verify command end: completed successfully' in out, out
    assert 'ERROR' not in out and 'WARN' not in out and 'invalid' not in out, out


def test_restore_test_job_writes_a_passing_status(host):
    as_postgres(host, '''
        %s -c 'CREATE TABLE IF NOT EXISTS restore_probe (id int primary key)' \
           -c 'INSERT INTO restore_probe VALUES (1), (2), (3) ON CONFLICT DO NOTHING'
        pgbackrest --stanza=main check
    ''' % PSQL)
    res = host.run('systemctl start pgwarden-restore-test.service; echo "rc=$?"; '
                   'cat /var/lib/pgwarden/restore-test.json; test ! -e /var/lib/pgwarden/restore-test')
    rc_line, _nl, status_text = res.stdout.partition('\n')
    status = json.loads(status_text)
    assert rc_line == 'rc=0' and status['result'] == 'passed', res.stdout
    assert status['duration_seconds'] > 0 and status['finished_at'] and status['within_rto'] is True
    rows = [c for c in status['checks'] if c['check'] == 'rows']
    assert rows and rows[0]['rows'] == 3 and rows[0]['ok']
    assert any(c['check'] == 'amcheck' and c['indexes'] > 0 for c in status['checks'])
    assert res.rc == 0, 'the scratch directory was not removed'


def test_logical_dump_restores_into_an_empty_database(host):
    res = host.run('systemctl start pgwarden-pg-dump.service')
    assert res.rc == 0, host.run('journalctl -u pgwarden-pg-dump.service -n 30 --no-pager').stdout
    out = as_postgres(host, '''
        dir=$(ls -1d /var/backups/pgwarden/pg_dump/*Z | tail -1)
        stat -c '%%U:%%a' /var/backups/pgwarden/pg_dump "$dir/postgres.dump" "$dir/globals.sql"
        %(psql)s -c 'DROP DATABASE IF EXISTS dump_check' -c 'CREATE DATABASE dump_check'
        pg_restore --exit-on-error --no-owner -d dump_check "$dir/postgres.dump"
        psql -XAtq -d dump_check -c 'SELECT count(*) FROM pitr'
        %(psql)s -c 'DROP DATABASE dump_check'
    ''' % dict(psql=PSQL))
    assert out.split() == ['postgres:700', 'postgres:600', 'postgres:600', '25'], out
