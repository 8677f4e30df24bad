"""playbooks/site.yml refuses a bad inventory before anything is installed: the first failing task is the
inventory check, its message names the groups that are wrong, and nothing ran after it.
Hosts are this machine through the local connection (nothing is changed)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
GOOD = ['-e', 'etcd_root_password=root-pw-123', '-e', 'etcd_patroni_password=patroni-pw-123',
        '-e', 'patroni_superuser_password=super-pw-123', '-e', 'patroni_replication_password=repl-pw-123',
        '-e', 'patroni_rewind_password=rewind-pw-123', '-e', 'patroni_restapi_password=api-pw-123']


def run(tmp_path, groups):
    hosts = sorted({h for members in groups.values() for h in members})
    text = ''.join('%s ansible_connection=local ansible_python_interpreter=%s\n' % (h, sys.executable) for h in hosts)
    for group, members in groups.items():
        text += '[%s]\n%s\n' % (group, '\n'.join(members))
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text(text)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                           os.path.join(ROOT, 'playbooks', 'site.yml')] + GOOD,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize('groups, task, words', [
    ({'postgresql': ['m1', 'm2'], 'patroni': ['m1', 'm2', 'm3']}, 'every Patroni member is a database host', ['m3']),
    ({'postgresql': ['m1', 'm2'], 'patroni': ['m1', 'm2']}, 'number of etcd members', ['1, 3, 5 or 7', 'got 2']),
    ({'postgresql': ['m1'], 'patroni': ['m1'], 'pgbackrest_repo': ['r1', 'r2']}, 'repository host group',
     ['at most one host']),
    ({'postgresql': ['m1'], 'patroni': ['m1'], 'pgbackrest_repo': ['m1']}, 'repository host group',
     ['not in group postgresql']),
    ({'postgresql': ['s1'], 'haproxy': ['s1']}, 'router and pooler groups', ['group haproxy', 'needs group patroni']),
])
def test_bad_inventory_fails_before_anything_is_installed(tmp_path, groups, task, words):
    rc, out = run(tmp_path, groups)
    assert rc != 0, out
    before, failed = out.split('fatal:', 1)
    assert task in before.rsplit('TASK [', 1)[1], out  # the failing task is the inventory check
    for word in words:
        assert word in failed.split('\n\n', 1)[0], out
    assert 'TASK [pgwarden.postgresql.server' not in out and 'Gathering Facts' not in out, out
    assert 'changed:' not in out, out
