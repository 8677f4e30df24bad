"""Hosts of the backup scenario: two database hosts and the repository host of pgw-backup-deb12.

The tests of test_backup.py, test_playbooks.py and test_wal_archiving_alert.py run on each database
host (their `testinfra_only`); where the repositories are (and the backups and the restore test run) depends on the host:
pgw-backup-deb12 has them on pgw-backup-repo (pgBackRest's TLS server), pgw-backup-deb13 on itself.
test_repo_host.py runs once, on pgw-backup-deb12, and reaches the repository host with podman exec.
"""
import pytest
import testinfra

REPO_HOST = 'pgw-backup-repo'
WITH_REPO_HOST = 'pgw-backup-deb12'  # its repositories are on REPO_HOST


@pytest.fixture(scope='module')
def repo_side(host, host_name):
    """The host holding this database host's repositories: where backups and the restore test run."""
    if host_name == WITH_REPO_HOST:
        return testinfra.get_host('podman://%s' % REPO_HOST)
    return host
