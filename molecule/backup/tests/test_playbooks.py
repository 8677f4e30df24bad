"""The operational playbooks (backup.yml, restore_drill.yml, restore.yml) run as an operator runs them:
ansible-playbook from the controller against an inventory whose group is `postgresql` (the group
site.yml uses), with no pgwarden_hosts override. pgw-backup-deb12's inventory names its repository
host (pgbackrest_repo_host): the backup and the restore drill run there. Each test sets up the rows it checks."""
import json
import os
import subprocess
import tempfile

import pytest

from conftest import REPO_HOST, WITH_REPO_HOST

# The database hosts; the repository host is checked from test_repo_host.py.
testinfra_only = ['pgw-backup-deb12', 'pgw-backup-deb13']

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PSQL = 'runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d postgres -c %s'


@pytest.fixture(scope='module')
def playbook(host):
    """Run playbooks/<name>.yml against this host only; returns (rc, output)."""
    name = host.backend.name if host.backend.NAME == 'podman' else host.backend.host
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'MOLECULE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=subprocess.check_output(
        [os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip(),
        ANSIBLE_PIPELINING='true', ANSIBLE_NOCOLOR='1', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default',
        ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_CALLBACK_RESULT_FORMAT='json')
    conn = 'ansible_connection=podman ansible_python_interpreter=/usr/bin/python3'
    with tempfile.NamedTemporaryFile('w', suffix='.ini', delete=False) as inv:
        if name == WITH_REPO_HOST:  # backups and the restore drill run on its repository host
            inv.write('[postgresql]\n%s %s pgbackrest_repo_host=%s\n[pgbackrest_repository]\n%s %s\n'
                      % (name, conn, REPO_HOST, REPO_HOST, conn))
        else:
            inv.write('[postgresql]\n%s %s\n' % (name, conn))

    def run(pb, *extra):
        cmd = ['ansible-playbook', '-i', inv.name, os.path.join(ROOT, 'playbooks', pb + '.yml')] + list(extra)
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    yield name, run
    os.unlink(inv.name)


def sql(host, query):
    return host.check_output(PSQL, query)


def test_backup_playbook_takes_a_backup_on_group_postgresql(host, playbook):
    _name, run = playbook
    before = json.loads(host.check_output('runuser -u postgres -- pgbackrest --stanza=main --output=json info'))
    rc, out = run('backup', '-e', 'backup_type=diff')
    assert rc == 0 and 'ok=' in out and 'skipping: no hosts matched' not in out, out
    after = json.loads(host.check_output('runuser -u postgres -- pgbackrest --stanza=main --output=json info'))
    assert len(after[0]['backup']) == len(before[0]['backup']) + 1, out


def test_restore_drill_playbook_passes(host, playbook):
    _name, run = playbook
    sql(host, 'CREATE TABLE IF NOT EXISTS restore_probe (id int primary key)')
    sql(host, 'INSERT INTO restore_probe VALUES (1), (2), (3) ON CONFLICT DO NOTHING')
    host.check_output('runuser -u postgres -- pgbackrest --stanza=main check')
    rc, out = run('restore_drill')
    assert rc == 0 and 'Restore test passed' in out, out


def test_restore_playbook_refuses_without_confirmation_then_restores_to_the_time(host, playbook):
    name, run = playbook
    sql(host, 'DROP TABLE IF EXISTS pb')
    sql(host, 'CREATE TABLE pb (id int)')
    sql(host, 'INSERT INTO pb SELECT generate_series(1, 5)')
    host.check_output('sleep 1.1')
    target = sql(host, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    host.check_output('sleep 1.1')
    sql(host, 'INSERT INTO pb SELECT generate_series(6, 9)')
    host.check_output('runuser -u postgres -- pgbackrest --stanza=main check')
    rc, out = run('restore', '-e', json.dumps({'restore_target_time': target}))
    assert rc != 0 and 'Confirm with -e restore_confirm=%s' % name in out, out
    assert sql(host, 'SELECT count(*) FROM pb') == '9'               # refused: nothing changed
    rc, out = run('restore', '-e', json.dumps({'restore_target_time': target, 'restore_confirm': name}))
    assert rc == 0, out
    assert sql(host, 'SELECT count(*), max(id) FROM pb') == '5|5'
