"""playbooks/audit.yml run from the controller against the converged servers: zero high findings."""

import json
import os
import subprocess
import sys
import tempfile

import pytest

# The database hosts; the client container is a test tool.
testinfra_only = ['pgw-hardening-deb12', 'pgw-hardening-deb13']

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="module")
def audit_report():
    """One playbook run for all hosts (module scope: not repeated per testinfra host)."""
    out = tempfile.mkdtemp(prefix="pgw-hardening-audit-")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run(
        [playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(ROOT, "playbooks", "audit.yml"),
         "-e", "pgwarden_hosts=servers", "-e", "audit_report_dir=%s" % out, "-e", "audit_rto_minutes=60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    with open(os.path.join(out, "inventory.json")) as f:
        inv = json.load(f)
    with open(os.path.join(out, "inventory.md")) as f:
        inv["_markdown"] = f.read()
    return inv


def test_audit_of_the_hardened_server_has_no_high_finding(name, audit_report):
    hosts = dict((h["host"], h) for h in audit_report["hosts"])
    assert audit_report["errors"] == 0, audit_report["_markdown"]
    report = hosts[name]
    high = [f for f in report["findings"] if f["severity"] == "high"]
    assert high == [], high
    # what the tls, hardening and pgaudit roles set up is seen as done by the audit, from outside
    ids = set(f["id"] for f in report["findings"])
    assert not ids & {"ssl_off", "tls_below_1_2", "hba_trust", "hba_md5", "hba_password", "hba_no_ssl",
                      "listen_all_open_hba", "pgaudit_not_loaded", "pgaudit_classes", "connection_logging_off",
                      "role_superuser", "role_md5_password"}, report["findings"]
    checklist = dict((i["id"], i["status"]) for i in report["checklist"])
    assert checklist["tls"] == "pass" and checklist["audit_logs"] == "pass" and checklist["exposure"] == "pass"
    assert report["not_visible"] == [], report["not_visible"]
    assert report["server"]["version_num"] // 10000 == (15 if name.endswith("deb12") else 17)
