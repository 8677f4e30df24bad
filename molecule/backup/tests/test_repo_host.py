"""The dedicated repository host, checked from outside: pgBackRest's TLS server on pgw-backup-repo and
on pgw-backup-deb12, who may talk to whom, the backups on the repository host, `pgbackrest check` from
the database host, and archiving through an outage of the repository host (WAL queued, the wal_archiving
check alerts, every segment lands in both repositories when it returns).

Runs once, on pgw-backup-deb12 (testinfra's host); the repository host through podman exec."""
import json
import time

import pytest
import testinfra

from conftest import REPO_HOST, WITH_REPO_HOST
from test_backup import PSQL, REPO, REPO2, as_postgres
from test_wal_archiving_alert import health

# Only pgw-backup-deb12 keeps its repositories on the repository host.
testinfra_only = ['pgw-backup-deb12']

ARCHIVER = PSQL + ' -c "SELECT failed_count, archived_count, coalesce(last_archived_wal, \'\') FROM pg_stat_archiver"'
READY = PSQL + " -c \"SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name ~ '[.]ready$'\""


@pytest.fixture(scope='module')
def db(host, host_name):
    assert host_name == WITH_REPO_HOST, 'testinfra_only keeps this module on %s' % WITH_REPO_HOST
    return host


@pytest.fixture(scope='module')
def repo():
    return testinfra.get_host('podman://%s' % REPO_HOST)


def conf(h):
    return h.check_output('cat /etc/pgbackrest/pgbackrest.conf').splitlines()


def test_tls_servers_run_and_only_each_other_is_allowed_for_the_stanza(db, repo):
    for h in (db, repo):
        assert h.run('systemctl is-enabled pgbackrest.service && systemctl is-active pgbackrest.service').rc == 0
        assert h.check_output("stat -c '%U:%a' /etc/pgbackrest/tls/pgbackrest.key") == 'postgres:600'
    assert [line for line in conf(repo) if line.startswith('tls-server-auth=')] == ['tls-server-auth=%s=main' % WITH_REPO_HOST]
    assert [line for line in conf(db) if line.startswith('tls-server-auth=')] == ['tls-server-auth=%s=main' % REPO_HOST]
    assert {'pg1-host=%s' % WITH_REPO_HOST, 'pg1-host-type=tls'} <= set(conf(repo))
    assert {'repo1-host=%s' % REPO_HOST, 'repo1-host-type=tls', 'repo2-host-type=tls'} <= set(conf(db))
    # certificates: CN = inventory name, issued by the tls role's CA on the database host
    subject = repo.check_output('openssl x509 -in /etc/pgbackrest/tls/pgbackrest.crt -noout -subject')
    assert subject.replace(' ', '') == 'subject=CN=%s' % REPO_HOST
    assert repo.run('openssl verify -CAfile /etc/pgbackrest/tls/ca.crt /etc/pgbackrest/tls/pgbackrest.crt').rc == 0
    assert db.run('cmp /etc/pgbackrest/tls/ca.crt /etc/postgresql/pgwarden-tls/ca.crt').rc == 0
    # another stanza is refused to the database host; a certificate whose CN is not listed (the repository
    # host's own, used as a client of its own server) is refused
    res = db.run('runuser -u postgres -- pgbackrest --stanza=intruder --repo=1 --output=json info')
    assert 'access denied' in res.stdout + res.stderr, res.stdout
    res = repo.run('runuser -u postgres -- pgbackrest --stanza=main --repo=1 --repo1-host=%s --repo1-host-type=tls '
                   '--repo1-host-ca-file=/etc/pgbackrest/tls/ca.crt --repo1-host-cert-file=/etc/pgbackrest/tls/pgbackrest.crt '
                   '--repo1-host-key-file=/etc/pgbackrest/tls/pgbackrest.key --output=json info' % REPO_HOST)
    assert 'access denied' in res.stdout + res.stderr, res.stdout


def test_backups_live_on_the_repository_host_in_both_repositories(db, repo):
    info = json.loads(as_postgres(repo, 'pgbackrest --stanza=main --output=json info'))[0]
    assert info['status']['code'] == 0 and info['cipher'] == 'aes-256-cbc', info['status']
    for key in (1, 2):
        assert any(b['type'] == 'full' and b['database']['repo-key'] == key for b in info['backup']), key
    for path in (REPO, REPO2):
        assert repo.run('test -d %s/archive/main && test -d %s/backup/main', path, path).rc == 0
    # the database host keeps no backups and no WAL archive of its own
    assert db.run('test -e %s/archive || test -e %s/backup || test -e %s', REPO, REPO, REPO2).rc == 1
    as_postgres(db, 'pgbackrest --stanza=main check')


def _segments(repo, path):
    """WAL segment names archived in the repository at path."""
    return repo.check_output("find %s/archive/main -type f -name '0000*' -printf '%%f\\n' | cut -c1-24 | sort -u",
                             path).split()


def test_repository_host_down_wal_is_queued_alerted_and_nothing_is_lost(db, repo, host_name):
    name = host_name
    as_postgres(db, PSQL + " -c 'CREATE TABLE IF NOT EXISTS outage_probe (i int)'")
    as_postgres(db, 'pgbackrest --stanza=main check')  # archiving is healthy to begin with
    failed = int(as_postgres(db, ARCHIVER).split('|')[0])
    assert repo.run('systemctl stop pgbackrest.service').rc == 0
    try:
        segments = []
        for i in range(3):
            segments.append(as_postgres(db, PSQL + " -c 'INSERT INTO outage_probe VALUES (%d)' "
                                        "-c 'SELECT pg_walfile_name(pg_switch_wal())'" % i).splitlines()[-1])
        end = time.time() + 120
        while int(as_postgres(db, ARCHIVER).split('|')[0]) <= failed:
            assert time.time() < end, 'archiving never failed with the repository host down'
            time.sleep(1)
        assert int(as_postgres(db, READY)) >= 3  # queued by PostgreSQL, not lost
        rc, out = health(name)
        assert rc != 0 and 'wal_archiving: archive_command is failing' in out, out[-3000:]
    finally:
        assert repo.run('systemctl start pgbackrest.service').rc == 0
    # back: the queue drains (pgbackrest check switches WAL, wakes the archiver and waits for its segment)
    as_postgres(db, 'pgbackrest --stanza=main check')
    end = time.time() + 120
    while int(as_postgres(db, READY)) > 0:
        assert time.time() < end, 'the archive queue did not drain'
        time.sleep(1)
    for path in (REPO, REPO2):
        landed = set(_segments(repo, path))
        assert set(segments) <= landed, (path, segments, sorted(landed)[-5:])
    rc, out = health(name)
    assert rc == 0 and '"status": "ok"' in out, out[-3000:]
