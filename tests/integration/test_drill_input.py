"""playbooks/failover_drill.yml refuses bad input before it touches a host, naming the variable."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def play(*extra):
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           os.path.join(ROOT, 'playbooks', 'failover_drill.yml')]
    for e in extra:
        cmd += ['-e', e]
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_unknown_kind_is_refused_naming_drill_kind():
    rc, out = play('drill_kind=none')
    assert rc != 0 and 'value of drill_kind must be one of: host, postgres, switchover, got: none' in out


def test_too_few_members_and_bad_numbers_are_refused():
    rc, out = play('{"drill_members": ["db1"], "drill_write_interval": 0}')
    assert rc != 0 and 'drill_members needs two or more members (has 1)' in out and 'Bad drill variables' in out
    assert 'Read the cluster before the drill' not in out
