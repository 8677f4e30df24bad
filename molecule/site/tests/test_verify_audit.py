"""The audit tells the truth about our own site: playbooks/audit.yml from the controller against the scenario's
inventory (scripts/molecule-inventory.py), once, after the other verify files (the scheduled backups of
test_backup.py, the restore test of test_timeline_restore.py): every member has no high and no medium finding
and scores at least 8 of the 9 checklist items (runbooks stay unknown: this scenario leaves the monitoring
layer, which installs them, to its own scenario). Backups, retention and the restore test are judged on the
repository host, where they are."""
import json
import os
import subprocess
import sys
import tempfile

import pytest

from sitelib import MEMBERS, REPO_HOST, leader

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


@pytest.fixture(scope='module')
def audit():
    leader()  # a healthy cluster: one leader, the other members streaming
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'MOLECULE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=subprocess.check_output(
        [os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip(), ANSIBLE_NOCOLOR='1')
    tmp = tempfile.mkdtemp(prefix='pgw-site-audit-')
    inv = os.path.join(tmp, 'inventory.yml')
    with open(inv, 'w') as f:
        f.write(subprocess.check_output([sys.executable, os.path.join(ROOT, 'scripts', 'molecule-inventory.py'), 'site'],
                                        text=True))
    out_dir = os.path.join(tmp, 'report')
    proc = subprocess.run(['ansible-playbook', '-i', inv, os.path.join(ROOT, 'playbooks', 'audit.yml'),
                           '-e', json.dumps(dict(audit_report_dir=out_dir))],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    with open(os.path.join(out_dir, 'inventory.json')) as f:
        return json.load(f), output


def test_every_member_is_audited_with_no_high_or_medium_finding_and_scores_8_of_9(audit):
    inv, output = audit
    hosts = dict((h['host'], h) for h in inv['hosts'])
    assert sorted(hosts) == sorted(MEMBERS), output[-3000:]
    for name in MEMBERS:
        h = hosts[name]
        assert h['status'] == 'ok', h
        serious = [(f['id'], f['subject'], f['evidence']) for f in h['findings'] if f['severity'] in ('high', 'medium')]
        assert serious == [], (name, serious)
        items = dict((i['id'], (i['status'], i['detail'])) for i in h['checklist'])
        assert h['score']['passed'] >= 8, (name, items)
        # judged where they are: the repository host's backup info, retention and restore test
        assert h['server']['backups_judged_on'] == REPO_HOST and h['server']['stanzas'], (name, h['server'])
        assert items['backups'][0] == 'pass' and items['rpo_rto'][0] == 'pass', (name, items)
    assert inv['totals']['high'] == 0 and inv['totals']['medium'] == 0 and inv['errors'] == 0
