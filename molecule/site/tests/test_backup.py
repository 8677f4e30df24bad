"""Backups of the site (first test file: before the switchover and the drills move the leader).

The repository host pgw-site-repo holds the stanza of the three members: pgbackrest check passes from every
member, and the scheduled full backup (pgwarden-backup@full, as its timer runs it) is taken from a standby
into both repositories (repo1, and repo2: a directory standing for object storage). Rows written here after
the backup are restored across the later failovers by test_timeline_restore.py.
"""
import json
import time

from sitelib import MEMBERS, PSQL, REPO_HOST, as_postgres, host, leader


def test_check_passes_from_every_member():
    for name in MEMBERS:
        out = as_postgres(name, 'pgbackrest --stanza=main --log-level-console=info check 2>&1')
        assert 'check command end: completed successfully' in out, (name, out)


def _newest(repo):
    info = json.loads(as_postgres(REPO_HOST, 'pgbackrest --stanza=main --repo=%d --output=json info' % repo))[0]
    return max(info['backup'], key=lambda b: b['timestamp']['stop'])


def test_scheduled_full_backup_is_taken_from_a_standby_into_both_repositories():
    started = int(time.time()) - 5
    repo = host(REPO_HOST)
    log = '/var/log/pgbackrest/main-backup.log'
    replayed_before = _count(repo, log, 'replay on the standby reached')
    res = repo.run('systemctl start pgwarden-backup@full.service')
    journal = repo.run('journalctl -u pgwarden-backup@full.service --since=@%d --no-pager -o cat' % started).stdout
    assert res.rc == 0, journal
    # pgwarden-backup says which way it went; pgBackRest's log shows the option it ran with
    for n in (1, 2):
        assert 'full backup to repo%d taken from a standby (backup-standby)' % n in journal, journal
        newest = _newest(n)
        assert newest['type'] == 'full' and newest['timestamp']['start'] >= started, (n, newest)
    begun = repo.check_output('grep "backup command begin" %s | tail -2', log)
    assert begun.count('--backup-standby') == 2, begun
    # pgBackRest waited for a standby's replay to reach the backup's start: the files came from there
    assert _count(repo, log, 'replay on the standby reached') - replayed_before == 2


def _count(repo, path, text):
    return int(repo.check_output('grep -c %s %s || true', text, path) or 0)


def test_rows_before_the_failovers():
    """Rows after the backup, before the drills: restored from WAL across every timeline switch that follows."""
    as_postgres(leader(), '''
        %(psql)s -c 'DROP TABLE IF EXISTS site_pitr' \
          -c 'CREATE TABLE site_pitr (id serial PRIMARY KEY, phase text, at timestamptz DEFAULT clock_timestamp())'
        %(psql)s -c "INSERT INTO site_pitr (phase) SELECT 'before' FROM generate_series(1, 50)"
    ''' % dict(psql=PSQL))
