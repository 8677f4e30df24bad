"""Verify the backup scenario from outside: psql, pgbackrest, pg_ctl, pg_restore, gpg, systemd, files.

Nothing here reads the role's variables; paths are the documented defaults and the values
converge.yml sets. Each step is one shell script on the host. `repo_side` (conftest.py) is the
host holding the repositories: the repository host for pgw-backup-deb12, the host itself otherwise;
backups, `verify` and the restore test run there. Every test creates the rows it
checks, so verify can run twice and the tests in any order.
"""
import json
import os
import re
import time

# The database hosts; the repository host is checked from test_repo_host.py.
testinfra_only = ['pgw-backup-deb12', 'pgw-backup-deb13']

MARKER = 'PGWARDEN-PLAINTEXT-MARKER-4e1d'
REPO = '/var/lib/pgbackrest'
REPO2 = '/var/lib/pgbackrest-repo2'
DUMP_PASSPHRASE = 'molecule-only-dump-passphrase-Xr7t'  # converge.yml
DUMPS = '/var/backups/pgwarden/pg_dump'
OFFHOST = '/var/backups/pgwarden-offhost'


def _q(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


def as_postgres(host, script):
    """Run a shell script as postgres (set -eu); fail the test with its output when it fails."""
    res = host.run('runuser -u postgres -- sh -euc %s' % _q(script))
    assert res.rc == 0, 'rc=%d\nstdout:\n%s\nstderr:\n%s' % (res.rc, res.stdout, res.stderr)
    return res.stdout.strip()


PSQL = 'psql -XAtq -v ON_ERROR_STOP=1 -d postgres'


def test_configuration_is_private_archiving_and_encrypted(host, repo_side):
    res = repo_side.run("stat -c '%U:%G:%a' /etc/pgbackrest/pgbackrest.conf && "
                        "grep -E '^(repo1-cipher-type|repo2-cipher-type|compress-type)=' /etc/pgbackrest/pgbackrest.conf")
    assert res.stdout.split() == ['root:postgres:640', 'repo1-cipher-type=aes-256-cbc',
                                  'repo2-cipher-type=aes-256-cbc', 'compress-type=zst']
    if repo_side is not host:  # the database host reaches both repositories over TLS, encrypting itself
        res = host.run("stat -c '%U:%G:%a' /etc/pgbackrest/pgbackrest.conf && "
                       "grep -E '^repo[12]-(cipher-type|host-type)=' /etc/pgbackrest/pgbackrest.conf")
        assert res.stdout.split() == ['root:postgres:640', 'repo1-host-type=tls', 'repo1-cipher-type=aes-256-cbc',
                                      'repo2-host-type=tls', 'repo2-cipher-type=aes-256-cbc'], res.stdout
    out = as_postgres(host, PSQL + " -c \"SELECT current_setting('archive_mode'), current_setting('archive_timeout'), "
                      "current_setting('archive_command')\"")
    mode, timeout, command = out.split('|')
    assert (mode, timeout) == ('on', '2min')  # archive_timeout from the declared RPO of 120 s
    assert command.startswith('pgbackrest') and 'archive-push' in command
    info = json.loads(as_postgres(host, 'pgbackrest --stanza=main --output=json info'))[0]
    assert info['status']['code'] == 0 and info['cipher'] == 'aes-256-cbc'
    assert any(b['type'] == 'full' for b in info['backup'])


SCHEDULES = {  # the role's default OnCalendar values, as systemd normalizes them
    'pgwarden-backup-full.timer': 'Sun *-*-* 01:00:00',
    'pgwarden-backup-diff.timer': 'Mon..Sat *-*-* 01:00:00',
    'pgwarden-pg-dump.timer': '*-*-* 02:30:00',
    'pgwarden-restore-test.timer': '*-*-01 04:00:00',
}


def test_timers_are_scheduled(host, repo_side):
    # backups and the restore test where the repositories are; the logical dump on the database host
    on = {t: (host if t == 'pgwarden-pg-dump.timer' else repo_side) for t in SCHEDULES}
    for timer, schedule in SCHEDULES.items():
        res = on[timer].run('systemctl is-enabled %s && systemctl is-active %s' % (timer, timer))
        assert res.rc == 0 and res.stdout.split() == ['enabled', 'active'], (timer, res.stdout)
        shown = on[timer].check_output('systemctl show -p TimersCalendar --value %s' % timer)
        assert re.findall(r'OnCalendar=(.*?) ;', shown) == [schedule], (timer, shown)
        assert on[timer].check_output('systemctl show -p Unit --value %s' % timer).startswith('pgwarden-')
    # repo2 has no schedule of its own here: it is backed up by the two timers above, its own timers are off
    res = repo_side.run('systemctl is-enabled pgwarden-backup-repo2-full.timer pgwarden-backup-repo2-diff.timer')
    assert res.stdout.split() == ['disabled', 'disabled'], res.stdout
    if repo_side is not host:  # nothing backs up or restore-tests on the database host itself
        off = [t for t in SCHEDULES if t != 'pgwarden-pg-dump.timer']
        res = host.run('systemctl is-enabled %s' % ' '.join(off))
        assert res.stdout.split() == ['disabled'] * len(off), res.stdout


# The scratch restore shared with the site scenario (molecule/scratch-restore.sh): $OPTS, $QUERY.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scratch-restore.sh')) as _f:
    SCRATCH_RESTORE = _f.read()


def test_point_in_time_restore_into_a_scratch_directory_has_exactly_the_rows_at_t(host):
    target = as_postgres(host, '''
        %(psql)s -c 'DROP TABLE IF EXISTS pitr' -c 'CREATE TABLE pitr (id int, note text)'
        %(psql)s -c "INSERT INTO pitr SELECT g, '%(marker)s' FROM generate_series(1, 10) g"
        sleep 1.1
        %(psql)s -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"
        sleep 1.1
        %(psql)s -c 'INSERT INTO pitr SELECT g FROM generate_series(11, 25) g'
        pgbackrest --stanza=main check   # switches WAL and waits until it is archived
    ''' % dict(psql=PSQL, marker=MARKER))
    assert target.startswith('20')
    counted = as_postgres(host, 'OPTS=%s\nQUERY=%s\n%s' % (
        _q('--type=time --target=%s --target-action=promote' % _q(target)),
        _q('SELECT count(*), min(id), max(id) FROM pitr'), SCRATCH_RESTORE))
    assert counted.splitlines()[-1] == '10|1|10', counted  # exactly the rows committed before T
    assert as_postgres(host, PSQL + " -c 'SELECT count(*) FROM pitr'") == '25'


def test_repository_is_encrypted_and_verifies_clean(host, repo_side):
    as_postgres(host, '''
        %(psql)s -c 'CREATE TABLE IF NOT EXISTS marker (v text)'
        %(psql)s -c "INSERT INTO marker SELECT '%(marker)s' || g FROM generate_series(1, 2000) g"
    ''' % dict(psql=PSQL, marker=MARKER))
    as_postgres(repo_side, 'pgbackrest --stanza=main --type=incr backup')
    as_postgres(host, 'pgbackrest --stanza=main check')
    for repo in (REPO, REPO2):
        res = repo_side.run('grep -r -a -l %s %s' % (MARKER, repo))
        assert res.rc == 1 and res.stdout == '', 'plaintext marker found in: ' + res.stdout
        # every repository file is OpenSSL aes-256-cbc output ("Salted__"), not bare zstd or INI text
        res = repo_side.run("find %s -type f -exec sh -c 'head -c 8 \"$1\" | grep -q Salted__ || echo \"$1\"' _ {} \\; ; "
                            "find %s -type f | wc -l" % (repo, repo))
        assert res.rc == 0 and res.stdout.split()[:-1] == [] and int(res.stdout.split()[-1]) > 10, res.stdout
    out = as_postgres(repo_side, 'pgbackrest --stanza=main --log-level-console=info verify 2>&1')
    assert 'verify command end: completed successfully' in out, out
    assert 'ERROR' not in out and 'WARN' not in out and 'invalid' not in out, out


def test_restore_test_job_writes_a_passing_status(host, repo_side):
    as_postgres(host, '''
        %s -c 'CREATE TABLE IF NOT EXISTS restore_probe (id int primary key)' \
           -c 'INSERT INTO restore_probe VALUES (1), (2), (3) ON CONFLICT DO NOTHING'
        pgbackrest --stanza=main check
    ''' % PSQL)
    res = repo_side.run('systemctl start pgwarden-restore-test.service; echo "rc=$?"; '
                        'cat /var/lib/pgwarden/restore-test.json; test ! -e /var/lib/pgwarden/restore-test')
    rc_line, _nl, status_text = res.stdout.partition('\n')
    status = json.loads(status_text)
    assert rc_line == 'rc=0' and status['result'] == 'passed', res.stdout
    assert status['duration_seconds'] > 0 and status['finished_at'] and status['within_rto'] is True
    rows = [c for c in status['checks'] if c['check'] == 'rows']
    assert rows and rows[0]['rows'] == 3 and rows[0]['ok']
    assert any(c['check'] == 'amcheck' and c['indexes'] > 0 for c in status['checks'])
    assert res.rc == 0, 'the scratch directory was not removed'


def _repo_backups(host, repo):
    info = json.loads(as_postgres(host, 'pgbackrest --stanza=main --repo=%d --output=json info' % repo))[0]
    return info['backup']


PROBE = "SELECT count(*), md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM repo2_probe"


def test_scheduled_backup_reaches_repo2_and_a_restore_from_repo2_alone_is_exact(host, repo_side):
    started = int(time.time()) - 5
    as_postgres(host, '''
        %(psql)s -c 'DROP TABLE IF EXISTS repo2_probe' -c 'CREATE TABLE repo2_probe (id int PRIMARY KEY, v text)'
        %(psql)s -c 'INSERT INTO repo2_probe SELECT g, md5(g::text) FROM generate_series(1, 500) g'
    ''' % dict(psql=PSQL))
    res = repo_side.run('systemctl start pgwarden-backup@diff.service')
    assert res.rc == 0, repo_side.run('journalctl -u pgwarden-backup@diff.service -n 40 --no-pager').stdout
    for repo in (1, 2):  # the scheduled job backed up both repositories
        newest = max(_repo_backups(host, repo), key=lambda b: b['timestamp']['stop'])
        assert newest['type'] in ('diff', 'full') and newest['timestamp']['start'] >= started, (repo, newest)
    live = as_postgres(host, '''
        %(psql)s -c 'INSERT INTO repo2_probe SELECT g, md5(g::text) FROM generate_series(501, 700) g'
        %(psql)s -c "UPDATE repo2_probe SET v = 'changed after the backup' WHERE id %% 7 = 0"
        pgbackrest --stanza=main check
        %(psql)s -c "%(probe)s"
    ''' % dict(psql=PSQL, probe=PROBE)).splitlines()[-1]
    assert live.startswith('700|')
    # repo1 is lost: move it away while restoring; backup and WAL must come from repo2 alone
    assert repo_side.run('mv %s %s.away', REPO, REPO).rc == 0
    try:
        restored = as_postgres(host, 'OPTS=--repo=2\nQUERY=%s\n%s' % (_q(PROBE), SCRATCH_RESTORE))
    finally:
        assert repo_side.run('mv %s.away %s', REPO, REPO).rc == 0
    assert restored.splitlines()[-1] == live  # the same 700 rows with the same contents


def test_encrypted_dumps_are_bounded_copied_off_the_host_and_restore(host):
    as_postgres(host, '''
        %(psql)s -c 'DROP TABLE IF EXISTS dump_probe' -c 'CREATE TABLE dump_probe (id int, note text)'
        %(psql)s -c "INSERT INTO dump_probe SELECT g, '%(marker)s' FROM generate_series(1, 77) g"
    ''' % dict(psql=PSQL, marker=MARKER))
    for _run in range(3):  # one more run than pgbackrest_pg_dump_keep (2)
        res = host.run('systemctl start pgwarden-pg-dump.service')
        assert res.rc == 0, host.run('journalctl -u pgwarden-pg-dump.service -n 30 --no-pager').stdout
    runs = host.check_output('ls -1 %s', DUMPS).split()
    assert len(runs) == 2 and all(r.endswith('Z') for r in runs), runs
    assert host.check_output('ls -1 %s', OFFHOST).split() == runs            # mirrored off the host
    assert host.run('diff -r %s %s', DUMPS, OFFHOST).rc == 0
    newest = '%s/%s' % (DUMPS, runs[-1])
    assert sorted(host.check_output('ls -1 %s', newest).split()) == ['globals.sql.gpg', 'postgres.dump.gpg']
    assert host.check_output("stat -c '%%U:%%a' %s %s/postgres.dump.gpg", DUMPS, newest).split() == \
        ['postgres:700', 'postgres:600']
    # encrypted: no plaintext marker, no pg_dump header; gpg sees a symmetric AES256 packet
    assert host.run('grep -r -a -l %s %s %s', MARKER, DUMPS, OFFHOST).rc == 1
    assert host.check_output('head -c 5 %s/postgres.dump.gpg | od -An -c', newest).split() != list('PGDMP')
    out = as_postgres(host, '''
        pass=$(mktemp); trap 'rm -f "$pass"' EXIT; printf '%%s\\n' %(pw)s > "$pass"
        export GNUPGHOME=$(mktemp -d)
        %(psql)s -c 'DROP DATABASE IF EXISTS dump_check' -c 'CREATE DATABASE dump_check'
        gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$pass" --decrypt %(dir)s/postgres.dump.gpg |
          pg_restore --exit-on-error --no-owner -d dump_check
        gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$pass" --decrypt %(dir)s/globals.sql.gpg |
          grep -c '^CREATE ROLE postgres;'
        psql -XAtq -d dump_check -c "SELECT count(*), count(*) FILTER (WHERE note = '%(marker)s') FROM dump_probe"
        %(psql)s -c 'DROP DATABASE dump_check'
        rm -rf "$GNUPGHOME"
    ''' % dict(psql=PSQL, pw=_q(DUMP_PASSPHRASE), dir=newest, marker=MARKER))
    assert out.split() == ['1', '77|77'], out
    # the passphrase is only in its 0640 file: not in the job's environment file, nor in the journal
    assert host.check_output("stat -c '%U:%G:%a' /etc/pgwarden/pg-dump.passphrase") == 'root:postgres:640'
    assert host.run('grep -r -F -l %s /etc/pgwarden/backup.env /etc/systemd/system', DUMP_PASSPHRASE).rc == 1
    assert host.run('journalctl --no-pager | grep -c -F %s', DUMP_PASSPHRASE).stdout.strip() == '0'
