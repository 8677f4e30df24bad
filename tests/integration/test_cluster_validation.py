"""playbooks/cluster.yml refuses bad etcd and Patroni variables before any role installs anything:
the first failing task is the check, its message names the variable, and nothing ran after it.
Hosts are this machine through the local connection (facts are read, nothing is changed)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
GOOD = ['-e', 'etcd_root_password=root-pw-123', '-e', 'etcd_patroni_password=patroni-pw-123',
        '-e', 'patroni_superuser_password=super-pw-123', '-e', 'patroni_replication_password=repl-pw-123',
        '-e', 'patroni_rewind_password=rewind-pw-123', '-e', 'patroni_restapi_password=api-pw-123']


def run(tmp_path, hosts, *extra):
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('[postgresql]\n' + ''.join(
        '%s ansible_connection=local ansible_python_interpreter=%s\n' % (h, sys.executable) for h in hosts))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                           os.path.join(ROOT, 'playbooks', 'cluster.yml')] + GOOD + list(extra),
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize('hosts, extra, variable', [
    (['m1', 'm2'], [], 'etcd_members'),
    (['m1'], ['-e', 'etcd_patroni_password=short'], 'etcd_patroni_password'),
    (['m1'], ['-e', 'etcd_initial_cluster_state=joined'], 'etcd_initial_cluster_state'),
    (['m1'], ['-e', 'patroni_ttl=20', '-e', 'patroni_loop_wait=10', '-e', 'patroni_retry_timeout=10'], 'patroni_ttl'),
    (['m1'], ['-e', 'patroni_ttl=15', '-e', 'patroni_loop_wait=1', '-e', 'patroni_retry_timeout=3'], 'patroni_ttl'),
    (['m1'], ['-e', 'patroni_timing=slow'], 'patroni_timing'),
    (['m1'], ['-e', '{"patroni_create_replica_methods": ["pgbackrest"]}'], 'patroni_pgbackrest_stanza'),
    (['m1'], ['-e', 'patroni_restapi_password=x'], 'patroni_restapi_password'),
])
def test_bad_cluster_variables_fail_before_anything_is_installed(tmp_path, hosts, extra, variable):
    rc, out = run(tmp_path, hosts, *extra)
    assert rc != 0, out
    failed = out.split('fatal:', 1)[1]
    assert variable in failed.split('"assertion": "', 1)[1].split('"', 1)[0], out  # the failing check itself
    assert 'TASK [pgwarden.postgresql.server' not in out, out
    assert 'changed:' not in out, out
