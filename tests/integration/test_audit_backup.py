"""Backups judged where they are: a real pgBackRest TLS server on loopback holds the repository (the
repository host), a throwaway PostgreSQL archives and is backed up into it, and the database host's
pgbackrest.conf reaches it through TLS with per-stanza authorisation (tls-server-auth=CN=stanza), as
site.yml's members do. Modules run as the postgres user through ansible-playbook, as on a real host."""
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time

import pytest

from pgserver import PgServer, _free_port
from runner import run_module

PASSPHRASE = 'it-Audit-Passphrase-Qq7r'
CLIENT_CN = 'pgw-audit-db'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AS_POSTGRES = dict(ANSIBLE_BECOME='true', ANSIBLE_BECOME_USER='postgres', ANSIBLE_BECOME_METHOD='su',
                   ANSIBLE_PIPELINING='true', ANSIBLE_PYTHON_INTERPRETER='/usr/bin/python3')

pytestmark = pytest.mark.skipif(shutil.which('pgbackrest') is None,
                                reason='pgBackRest is not installed (apt-get install pgbackrest)')


def _write(path, text, mode=0o640):
    with open(path, 'w') as f:
        f.write(text)
    pw = pwd.getpwnam('postgres')
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, mode)


def _certificates(tls):
    def openssl(*args):
        subprocess.run(['openssl'] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def p(name):
        return os.path.join(tls, name)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pgw-audit-ca',
            '-keyout', p('ca.key'), '-out', p('ca.crt'))
    for name, cn, ext in (('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'),
                          ('client', CLIENT_CN, 'subjectAltName=DNS:%s' % CLIENT_CN)):
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=%s' % cn, '-keyout', p(name + '.key'),
                '-out', p(name + '.csr'))
        with open(p(name + '.ext'), 'w') as f:
            f.write(ext + '\n')
        openssl('x509', '-req', '-in', p(name + '.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
                '-CAcreateserial', '-days', '2', '-out', p(name + '.crt'), '-extfile', p(name + '.ext'))
    pw = pwd.getpwnam('postgres')
    for name in os.listdir(tls):
        os.chown(p(name), pw.pw_uid, pw.pw_gid)
        os.chmod(p(name), 0o600)


class TlsRepository(object):
    """PostgreSQL + a pgBackRest TLS server (the repository host's configuration) + a database host's
    configuration that reaches the repository through the TLS server only."""

    def __init__(self):
        self.pg = PgServer().start()
        root = self.root = self.pg.root
        self.tls_port = _free_port()
        tls = os.path.join(root, 'tls')
        os.mkdir(tls)
        _certificates(tls)
        pw = pwd.getpwnam('postgres')
        for d in ('repo', 'log-repo', 'log-db', 'lock-repo', 'lock-db', 'spool', 'rt'):
            os.mkdir(os.path.join(root, d), 0o750)
            os.chown(os.path.join(root, d), pw.pw_uid, pw.pw_gid)
        stanza = '[it]\npg1-path=%s\npg1-socket-path=%s\npg1-port=%d\n' % (self.pg.data, self.pg.socket_dir, self.pg.port)
        self.repo_conf = os.path.join(root, 'repo.conf')
        _write(self.repo_conf, (
            '[global]\nrepo1-path=%(r)s/repo\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=%(pw)s\n'
            'repo1-retention-full=2\nlog-path=%(r)s/log-repo\nlock-path=%(r)s/lock-repo\nspool-path=%(r)s/spool\n'
            'log-level-console=warn\ncompress-type=zst\n'
            'tls-server-address=127.0.0.1\ntls-server-port=%(port)d\ntls-server-ca-file=%(r)s/tls/ca.crt\n'
            'tls-server-cert-file=%(r)s/tls/server.crt\ntls-server-key-file=%(r)s/tls/server.key\n'
            'tls-server-auth=%(cn)s=it\n\n' % dict(r=root, pw=PASSPHRASE, port=self.tls_port, cn=CLIENT_CN)) + stanza)
        self.db_conf = os.path.join(root, 'db.conf')
        _write(self.db_conf, (
            '[global]\nrepo1-host=localhost\nrepo1-host-type=tls\nrepo1-host-port=%(port)d\n'
            'repo1-host-ca-file=%(r)s/tls/ca.crt\nrepo1-host-cert-file=%(r)s/tls/client.crt\n'
            'repo1-host-key-file=%(r)s/tls/client.key\nrepo1-path=%(r)s/repo\nrepo1-cipher-type=aes-256-cbc\n'
            'repo1-cipher-pass=%(pw)s\nlog-path=%(r)s/log-db\nlock-path=%(r)s/lock-db\nlog-level-console=warn\n'
            'io-timeout=10\n\n' % dict(r=root, pw=PASSPHRASE, port=self.tls_port)) + stanza)
        self.pg.query("ALTER SYSTEM SET archive_mode = on")
        self.pg.query("ALTER SYSTEM SET archive_command = %s",
                      ('pgbackrest --config=%s --stanza=it archive-push %%p' % self.repo_conf,))
        self.pg.restart()
        for args in (['stanza-create'], ['backup', '--type=full']):
            proc = self.pgbackrest(self.repo_conf, '--stanza=it', *args)
            assert proc.returncode == 0, proc.stderr + proc.stdout
        self.server = subprocess.Popen(['runuser', '-u', 'postgres', '--', 'pgbackrest', '--config=' + self.repo_conf,
                                        'server'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(('127.0.0.1', self.tls_port), timeout=1).close()
                break
            except OSError:
                assert self.server.poll() is None, self.server.stderr.read()
                time.sleep(0.2)
        # The repository host's restore test: its settings name the status file (as the pgbackrest role writes them).
        self.status_file = os.path.join(root, 'rt', 'restore-test.json')
        self.rt_config = os.path.join(root, 'rt', 'settings.json')
        _write(self.rt_config, json.dumps(dict(stanza='it', status_file=self.status_file)))

    def pgbackrest(self, conf, *args):
        return subprocess.run(['runuser', '-u', 'postgres', '--', 'pgbackrest', '--config=' + conf] + list(args),
                              capture_output=True, text=True, check=False)

    def restore_test(self, **status):
        doc = dict(result='passed', stanza='it', duration_seconds=42.5,
                   finished_at=time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime(time.time() - 3600)))
        doc.update(status)
        _write(self.status_file, json.dumps(doc))

    def stop(self):
        self.server.terminate()
        self.server.wait(10)
        self.pg.stop()


@pytest.fixture(scope='module')
def repo():
    r = TlsRepository()
    yield r
    r.stop()


def repository_facts(repo):
    res = run_module('pgwarden.postgresql.audit_repository_info', dict(
        names=['localhost'], pgbackrest_config=repo.repo_conf, restore_test_config=repo.rt_config), extra_env=AS_POSTGRES)
    assert not res.get('failed'), res.get('msg')
    return res['repository']


def audit(repo, **args):
    base = dict(repo.pg.connection_args(), rto_minutes=60, pgbackrest_config=repo.db_conf,
                restore_test_config=os.path.join(repo.root, 'rt', 'none.json'),
                runbooks_directory=os.path.join(repo.root, 'no-runbooks'))
    res = run_module('pgwarden.postgresql.audit_info', dict(base, **args), extra_env=AS_POSTGRES)
    assert not res.get('failed'), res.get('msg')
    return res


BACKUP_FINDINGS = set(['archiving_off', 'archiver_failing', 'backup_not_found', 'backup_older_than_rpo',
                       'repository_unencrypted', 'restore_test_missing', 'restore_test_failing'])


def ids(res):
    return dict((f['id'], f) for f in res['findings'])


def item(res, key):
    return [i for i in res['checklist'] if i['id'] == key][0]


def test_the_tls_server_refuses_info_without_a_stanza_and_the_audit_passes_one(repo):
    # pgBackRest 2.45 answers rc 0 with a stanza in error (code 99) whose repository says "access denied".
    refused = repo.pgbackrest(repo.db_conf, '--output=json', 'info')
    assert 'access denied' in refused.stdout + refused.stderr and not [
        s for s in json.loads(refused.stdout or '[]') if s.get('backup')], refused.stdout
    allowed = repo.pgbackrest(repo.db_conf, '--stanza=it', '--output=json', 'info')
    assert allowed.returncode == 0 and json.loads(allowed.stdout)[0]['backup'], allowed.stderr
    alone = audit(repo)
    found = ids(alone)
    assert 'backup_older_than_rpo' not in found and 'backup_not_found' not in found, alone['findings']
    assert 'repository_unencrypted' not in found and alone['server']['stanzas'] == ['it']
    assert alone['server']['backups_judged_on'] is None
    # The database host alone cannot see the retention nor the restore test: they live on the repository host.
    assert found['restore_test_missing']['severity'] == 'low'
    assert item(alone, 'backups') == dict(id='backups', title='Backups encrypted, off-host, retention bounded',
                                          status='fail', detail='no retention-full: repo1')


def test_backups_retention_and_restore_test_are_judged_on_the_repository_host(repo):
    repo.restore_test()
    facts = repository_facts(repo)
    assert facts['stanzas'] == ['it'] and 'localhost' in facts['names']
    assert [(r['repo'], r['retention_full'], r['off_host']) for r in facts['pgbackrest_repos']] == [('repo1', '2', False)]
    assert PASSPHRASE not in json.dumps(facts)
    res = audit(repo, repositories=[facts])
    assert res['server']['backups_judged_on'] == 'localhost'
    assert not set(ids(res)) & BACKUP_FINDINGS, res['findings']
    assert item(res, 'backups')['status'] == 'pass' and item(res, 'backups')['detail'] == \
        'encrypted, off-host (localhost), retention-full 2'
    assert item(res, 'rpo_rto')['status'] == 'pass', item(res, 'rpo_rto')
    assert 'restore test passed' in item(res, 'rpo_rto')['detail']
    # A failed restore test on the repository host is this host's high finding, named where it is.
    repo.restore_test(result='failed')
    failing = ids(audit(repo, repositories=[repository_facts(repo)]))['restore_test_failing']
    assert failing['severity'] == 'high' and failing['evidence'].startswith('localhost:%s: ' % repo.status_file)
    # The restore test of another stanza is not this host's.
    repo.restore_test(stanza='other')
    other = ids(audit(repo, repositories=[repository_facts(repo)]))['restore_test_missing']
    assert other['evidence'] == 'the restore test on localhost is for stanza other, not it'


def test_a_repository_host_the_configuration_does_not_name_changes_nothing(repo):
    facts = dict(repository_facts(repo), names=['backup.elsewhere'])
    res = audit(repo, repositories=[facts])
    assert res['server']['backups_judged_on'] is None and 'restore_test_missing' in ids(res)


def test_audit_playbook_reads_the_repository_group_first_and_judges_the_member_there(repo, tmp_path):
    """playbooks/audit.yml with a repository group: its host read as postgres (become), the member judged on it."""
    repo.restore_test(rto_seconds=600)
    become = dict(ansible_connection='local', ansible_python_interpreter='/usr/bin/python3', ansible_become_method='su')
    inventory = dict(
        postgresql=dict(hosts={'db-member': dict(become, audit_login_unix_socket=repo.pg.socket_dir, audit_port=repo.pg.port,
                                                 audit_pgbackrest_config=repo.db_conf,
                                                 audit_restore_test_config=os.path.join(repo.root, 'rt', 'none.json'))}),
        pgbackrest_repo=dict(hosts={'localhost': dict(become, audit_pgbackrest_config=repo.repo_conf,
                                                      audit_restore_test_config=repo.rt_config)}))
    inv = tmp_path / 'inventory.json'
    inv.write_text(json.dumps(inventory))
    out = tmp_path / 'report'
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_PIPELINING='true')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inv),
                           os.path.join(ROOT, 'playbooks', 'audit.yml'), '-e', 'audit_report_dir=%s' % out],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    member = json.loads((out / 'db-member.json').read_text())
    assert member['status'] == 'ok' and member['server']['backups_judged_on'] == 'localhost', member
    assert not set(f['id'] for f in member['findings']) & BACKUP_FINDINGS, member['findings']
    checklist = dict((i['id'], (i['status'], i['detail'])) for i in member['checklist'])
    assert checklist['backups'][0] == 'pass' and checklist['rpo_rto'][0] == 'pass', checklist
    assert "RTO 10.0 min (the restore test's" in checklist['rpo_rto'][1]
    assert sorted(os.listdir(str(out))) == sorted('%s.%s' % (h, e) for h in ('db-member', 'inventory')
                                                  for e in ('json', 'md', 'html'))  # the repository host is not audited
