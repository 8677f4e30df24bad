"""pgwarden.postgresql.pgbackrest refuses bad input before it changes anything, naming the variable:
a stanza name or an option value that would add lines to pgbackrest.conf, a repository host without
a CA to sign its certificates, a database host entry with a line break. Runs the role in check mode
against a throwaway inventory host (local connection): the checks come before the first change."""
import json
import os
import subprocess
import sys
import tempfile

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BASE = dict(pgbackrest_pg_path='/nonexistent/pgwarden-guard', pgbackrest_pg_service='pgwarden-guard-none',
            pgbackrest_cipher_pass='guard-test-passphrase-0123456789', pgbackrest_pg_dump_enabled=False)


def run_role(extra, host='guard-db'):
    play = [dict(hosts=host, gather_facts=False, roles=[dict(role='pgwarden.postgresql.pgbackrest')])]
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, 'play.yml'), 'w') as f:
            yaml.safe_dump(play, f)
        with open(os.path.join(tmp, 'inventory.ini'), 'w') as f:
            f.write('[all]\nguard-db ansible_connection=local ansible_python_interpreter=%s\n'
                    'guard-repo ansible_connection=local ansible_python_interpreter=%s\n' % (sys.executable, sys.executable))
        with open(os.path.join(tmp, 'vars.json'), 'w') as f:
            json.dump(dict(BASE, **extra), f)
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '--check',
                               '-i', os.path.join(tmp, 'inventory.ini'), os.path.join(tmp, 'play.yml'),
                               '-e', '@' + os.path.join(tmp, 'vars.json')],
                              env=dict(os.environ, ANSIBLE_NOCOLOR='1'), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout


@pytest.mark.parametrize('extra,host,names', [
    (dict(pgbackrest_stanza='main]\n[evil'), 'guard-db', ['pgbackrest_stanza']),
    (dict(pgbackrest_global_options={'io-timeout': '15\nrepo1-path=/tmp/evil'}), 'guard-db',
     ['pgbackrest_global_options.io-timeout']),
    (dict(pgbackrest_repo2={'path': '/srv/r2', 'Bad Key': 'x'}, pgbackrest_repo2_cipher_pass='guard-repo2-passphrase-0123456'),
     'guard-db', ['pgbackrest_repo2.Bad?Key']),
    (dict(pgbackrest_repo1_path='/var/lib/pgbackrest\nrepo1-cipher-type=none'), 'guard-db', ['pgbackrest_repo1_path']),
    (dict(pgbackrest_repo_host='guard-repo', pgbackrest_tls_ca_host=''), 'guard-db', ['pgbackrest_tls_ca_host']),
    (dict(pgbackrest_repo_host='guard-repo', pgbackrest_tls_ca_host='guard-db', pgbackrest_pg_hosts=[]), 'guard-repo',
     ['pgbackrest_pg_hosts']),
    (dict(pgbackrest_repo_host='guard-repo', pgbackrest_tls_ca_host='guard-db',
          pgbackrest_pg_hosts=[{'host': 'guard-db', 'path': '/var/lib/postgresql/15/main\npg9-host=evil'}]),
     'guard-repo', ['pgbackrest_pg_hosts[0]']),
])
def test_bad_input_fails_first_naming_the_variable(extra, host, names):
    rc, out = run_role(extra, host)
    assert rc != 0, out
    failed = [line for line in out.splitlines() if line.startswith(('fatal:', 'failed:'))]
    assert failed and all(n in failed[0] for n in names), out[-3000:]
    assert 'changed:' not in out, out[-3000:]  # nothing before the check changed (or would change)
    assert 'pgwarden.postgresql.pgbackrest : Install' not in out.split('fatal:')[0], out[-3000:]
