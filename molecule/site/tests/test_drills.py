"""Failover drills on the converged cluster, as an operator runs them: playbooks/failover_drill.yml from the
controller against the scenario's inventory (scripts/molecule-inventory.py), with synchronous_mode on.

One drill of each kind - the leader's container killed (podman kill -s KILL, then started again), the
leader's postmaster killed (Patroni alive), a switchover - each must lose no acknowledged commit, get
writes back and put the old leader back as a streaming replica. The figures are printed, not asserted
(benchmarks/failover/run.py measures them). These tests take no `host` fixture, so they run once."""
import json
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SCENARIO = 'site'


@pytest.fixture(scope='module')
def drill():
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'MOLECULE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=subprocess.check_output(
        [os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip(),
        ANSIBLE_PIPELINING='true', ANSIBLE_NOCOLOR='1')
    tmp = tempfile.mkdtemp(prefix='pgw-site-drill-')
    inv = os.path.join(tmp, 'inventory.yml')
    with open(inv, 'w') as f:
        f.write(subprocess.check_output([sys.executable, os.path.join(ROOT, 'scripts', 'molecule-inventory.py'), SCENARIO],
                                        text=True))

    def playbook(pb, **extra):
        cmd = ['ansible-playbook', '-i', inv, os.path.join(ROOT, 'playbooks', pb)]
        for k, v in extra.items():
            cmd += ['-e', json.dumps({k: v})]
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def run(kind, **extra):
        report = os.path.join(tmp, kind + '.json')
        rc, out = playbook('failover_drill.yml', drill_kind=kind, drill_report_path=report, drill_require_synchronous=True,
                           **extra)
        assert rc == 0, out[-6000:]
        with open(report) as f:
            r = json.load(f)
        print(json.dumps(r))
        return r

    yield run, playbook


@pytest.fixture(scope='module')
def synchronous(drill):
    """synchronous_mode on for the drills (through the patroni_config module), off again afterwards."""
    _run, playbook = drill
    rc, out = playbook(os.path.join(ROOT, 'molecule', SCENARIO, 'tests', 'sync_mode.yml'), sync=True)
    assert rc == 0, out[-3000:]
    yield
    rc, out = playbook(os.path.join(ROOT, 'molecule', SCENARIO, 'tests', 'sync_mode.yml'), sync=False)
    assert rc == 0, out[-3000:]


@pytest.mark.parametrize('kind', ['postgres', 'switchover', 'host'])
def test_drill_loses_no_acknowledged_commit_and_the_old_leader_streams_again(drill, synchronous, kind):
    run, _playbook = drill
    # With synchronous_mode on, Patroni accepts only the synchronous standby as a candidate (HTTP 412 for any
    # other), so the drill lets Patroni pick; round robin (drill_switchover_candidate=next) is the lab's series.
    r = run(kind)
    assert r['synchronous_mode'] is True and r['lost'] == 0 and r['unexpected_rows'] == 0, r
    assert r['attempts_failed'] > 0 and r['time_to_writable_s'] is not None, r  # the break was seen, writes came back
    assert r['acked'] >= 20 and r['passed'] is not None
    if kind in ('host', 'switchover'):
        assert r['new_leader'] != r['old_leader'], r
    assert r['rejoin']['method'] in ('restart in place', 'rejoin (pg_rewind or replay)', 'reinit'), r
