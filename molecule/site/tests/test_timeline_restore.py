"""Restores on the repository host (last test file: after test_drills.py killed a leader's container and
test_router.py switched over, so the WAL of several timelines lies between the backup of test_backup.py
and now).

- Point in time across the failovers: rows written before them (test_backup.py) and after them; a restore to
  a time T after the failovers (repo1) has exactly the rows the cluster committed up to T.
- repo2 alone: with repo1 moved away, the newest backup and the WAL in repo2 restore exactly the rows the
  cluster has.
"""
import os
import subprocess
import sys
import tempfile

from sitelib import PSQL, REPO_HOST, as_postgres, host, leader, scratch_restore

PROBE = "SELECT count(*), md5(string_agg(id || ':' || phase, ',' ORDER BY id)) FROM site_pitr"


def test_point_in_time_restore_across_the_failovers_is_exact():
    now = leader()
    target = as_postgres(now, '''
        %(psql)s -c "INSERT INTO site_pitr (phase) SELECT 'after' FROM generate_series(1, 30)"
        sleep 1.1
        %(psql)s -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"
        sleep 1.1
        %(psql)s -c "INSERT INTO site_pitr (phase) SELECT 'later' FROM generate_series(1, 20)"
        pgbackrest --stanza=main check   # switches WAL and waits until it is archived
    ''' % dict(psql=PSQL)).splitlines()[0]
    assert target.startswith('20'), target
    expected = as_postgres(now, PSQL + ' -c %s' % _quote(PROBE + " WHERE at <= '%s'" % target))
    phases = as_postgres(now, PSQL + ' -c %s' % _quote(
        "SELECT string_agg(DISTINCT phase, ',' ORDER BY phase) FROM site_pitr WHERE at <= '%s'" % target))
    assert phases == 'after,before', phases
    timelines = as_postgres(now, PSQL + " -c 'SELECT timeline_id FROM pg_control_checkpoint()'")
    assert int(timelines) > 1, timelines  # the leader changed since the cluster was made
    restored = scratch_restore('/etc/pgbackrest/restore-test.conf',
                               "--repo=1 --type=time --target='%s' --target-action=promote" % target, PROBE)
    assert restored == expected


def test_restore_from_the_second_repository_alone():
    now = leader()
    live = as_postgres(now, '''
        %(psql)s -c "INSERT INTO site_pitr (phase) SELECT 'repo2' FROM generate_series(1, 10)"
        pgbackrest --stanza=main check
        %(psql)s -c "%(probe)s"
    ''' % dict(psql=PSQL, probe=PROBE)).splitlines()[-1]
    # repo1 is lost: moved away while restoring, so the backup and the WAL can only come from repo2
    assert host(REPO_HOST).run('mv /var/lib/pgbackrest /var/lib/pgbackrest.away').rc == 0
    try:
        restored = scratch_restore('/etc/pgbackrest/restore-test.conf', '--repo=2', PROBE)
    finally:
        assert host(REPO_HOST).run('mv /var/lib/pgbackrest.away /var/lib/pgbackrest').rc == 0
    assert restored == live


def _quote(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


def test_restore_drill_playbook_runs_the_restore_test_on_the_repository_host():
    """playbooks/restore_drill.yml with the site's inventory (groups only): the test runs on pgw-site-repo."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'MOLECULE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=subprocess.check_output(
        [os.path.join(root, 'scripts', 'collection-path.sh')], text=True).strip(), ANSIBLE_NOCOLOR='1')
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as inv:
        inv.write(subprocess.check_output([sys.executable, os.path.join(root, 'scripts', 'molecule-inventory.py'), 'site'],
                                          text=True))
    try:
        proc = subprocess.run(['ansible-playbook', '-i', inv.name, os.path.join(root, 'playbooks', 'restore_drill.yml')],
                              env=env, cwd=root, capture_output=True, text=True, timeout=900, check=False)
    finally:
        os.unlink(inv.name)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and 'Restore test passed' in out, out[-4000:]
    assert '-> pgw-site-repo' in out, out[-4000:]  # delegated to the repository host
