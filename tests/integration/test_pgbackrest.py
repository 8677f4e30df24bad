"""pgBackRest modules through ansible-playbook against a throwaway PostgreSQL with WAL archiving.

The cluster is this file's own (archive_mode needs a restart), the repository an
encrypted (aes-256-cbc) directory in the fixture's temporary directory, and the modules
run as the postgres user, as they do on a real host.
"""
import json
import os
import pwd
import shutil
import subprocess
import time

import psycopg2
import pytest

from pgserver import PgServer, _free_port
from runner import run_module

PASSPHRASE = 'it-Passphrase-Zq9w'
MARKER = 'PGWARDEN-PLAINTEXT-MARKER-7f3a'
AS_POSTGRES = dict(ANSIBLE_BECOME='true', ANSIBLE_BECOME_USER='postgres', ANSIBLE_BECOME_METHOD='su',
                   ANSIBLE_PIPELINING='true', ANSIBLE_PYTHON_INTERPRETER='/usr/bin/python3')  # /opt venv is root-only

pytestmark = pytest.mark.skipif(shutil.which('pgbackrest') is None,
                                reason='pgBackRest is not installed (apt-get install pgbackrest)')


class Stanza(object):
    def __init__(self):
        self.pg = PgServer().start()
        root = self.pg.root
        self.repo = os.path.join(root, 'repo')
        self.config = os.path.join(root, 'pgbackrest.conf')
        pw = pwd.getpwnam('postgres')
        os.mkdir(self.repo, 0o750)
        os.chown(self.repo, pw.pw_uid, pw.pw_gid)
        with open(self.config, 'w') as f:
            f.write('[global]\nrepo1-path=%s\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=%s\n'
                    'repo1-retention-full=2\ncompress-type=zst\nlog-path=%s\nlock-path=%s/lock\nspool-path=%s\n'
                    'log-level-console=warn\n\n[it]\npg1-path=%s\npg1-socket-path=%s\npg1-port=%d\n'
                    % (self.repo, PASSPHRASE, root, root, root, self.pg.data, self.pg.socket_dir, self.pg.port))
        os.chmod(self.config, 0o640)
        os.chown(self.config, 0, pw.pw_gid)
        self.pg.query("ALTER SYSTEM SET archive_mode = on")
        self.pg.query("ALTER SYSTEM SET archive_command = %s",
                      ('pgbackrest --config=%s --stanza=it archive-push %%p' % self.config,))
        self.pg._run('pg_ctl', '-D', self.pg.data, '-l', self.pg.log, '-w', 'restart')

    def module(self, name, check=False, **args):
        args = dict(dict(stanza='it', config=self.config), **args)
        return run_module('pgwarden.postgresql.' + name, args, check=check, extra_env=AS_POSTGRES)

    def pgbackrest(self, *args):
        return subprocess.run(['runuser', '-u', 'postgres', '--', 'pgbackrest', '--config=' + self.config,
                               '--stanza=it'] + list(args), capture_output=True, text=True, check=False)

    def stop(self):
        self.pg.stop()


@pytest.fixture(scope='module')
def stanza():
    s = Stanza()
    yield s
    s.stop()


def scratch_server(bindir, path, port):
    """Start a restored copy in `path` on `port` (its own socket, no archiving); returns a stop function."""
    run = ['runuser', '-u', 'postgres', '--']
    ctl = os.path.join(bindir, 'pg_ctl')
    opts = "-c port=%d -c listen_addresses='' -c unix_socket_directories='%s' -c archive_mode=off -c max_connections=200" % (port, path)
    started = subprocess.run(run + [ctl, '-D', path, '-l', path + '.log', '-o', opts, '-w', '-t', '120', 'start'], check=False)
    if started.returncode != 0:
        with open(path + '.log') as f:
            raise AssertionError('the restored copy did not start:\n' + f.read()[-3000:])
    return lambda: subprocess.run(run + [ctl, '-D', path, '-m', 'fast', '-w', 'stop'], check=True)


def test_stanza_create_is_idempotent_and_check_mode_changes_nothing(stanza):
    predicted = stanza.module('pgbackrest_stanza', check=True)
    assert predicted.get('changed') is True and predicted['state_before'] == 'missing', predicted.get('msg')
    assert [c.split()[-1] for c in predicted['commands']] == ['stanza-create', 'check']
    assert not os.listdir(stanza.repo), 'check mode must not create the stanza'
    created = stanza.module('pgbackrest_stanza')
    assert created['changed'] is True and created['commands'] == predicted['commands']
    again = stanza.module('pgbackrest_stanza')
    assert again['changed'] is False and again['state_before'] == 'healthy'
    assert again['cluster']['state'] == 'in production' and again['cluster']['version'] == open(os.path.join(stanza.pg.data, 'PG_VERSION')).read().strip()
    assert [c.split()[-1] for c in again['commands']] == ['check']
    assert stanza.pgbackrest('check').returncode == 0
    assert PASSPHRASE not in created['_stdout'] + again['_stdout']


def test_secret_options_are_masked_and_kept_off_the_command_line(stanza):
    res = stanza.module('pgbackrest_info', secret_options={'repo1-cipher-pass': PASSPHRASE})
    assert res['exists'] is True and res['cipher'] == 'aes-256-cbc'
    assert PASSPHRASE not in res['_stdout']
    bad = stanza.module('pgbackrest_info', options={'repo1-cipher-pass': PASSPHRASE})
    assert bad['failed'] and 'secret_options' in bad['msg']


def test_backup_returns_facts_and_max_age_makes_it_idempotent(stanza):
    assert not stanza.module('pgbackrest_stanza').get('failed')
    stanza.pg.query('CREATE TABLE secrets (v text)')
    stanza.pg.query('INSERT INTO secrets SELECT %s || g FROM generate_series(1, 1000) g', (MARKER,))
    predicted = stanza.module('pgbackrest_backup', check=True, type='full')
    assert predicted['changed'] is True and 'backup' not in predicted
    assert stanza.module('pgbackrest_info')['backups'] == []
    full = stanza.module('pgbackrest_backup', type='full', max_age='1d')
    assert full['changed'] is True
    b = full['backup']
    assert b['type'] == 'full' and b['label'].endswith('F') and b['size'] > 0 and 0 < b['repository_size'] < b['size']
    assert b['wal_start'] and b['wal_stop'] and b['duration_seconds'] >= 0
    skipped = stanza.module('pgbackrest_backup', type='full', max_age='1d')
    assert skipped['changed'] is False and b['label'] in skipped['skipped_reason']
    incr = stanza.module('pgbackrest_backup', type='incr')
    assert incr['changed'] is True and incr['backup']['type'] == 'incr' and incr['backup']['prior'] == b['label']
    info = stanza.module('pgbackrest_info')
    assert [x['label'] for x in info['backups']] == [b['label'], incr['backup']['label']]
    assert info['newest_backup']['label'] == incr['backup']['label'] and info['newest_full_age_seconds'] >= 0
    assert info['wal'][0]['min'] <= b['wal_start'] and info['wal'][0]['max'] >= b['wal_stop']
    # encryption: no plaintext marker anywhere in the repository
    for top, _dirs, files in os.walk(stanza.repo):
        for name in files:
            with open(os.path.join(top, name), 'rb') as f:
                data = f.read()
            assert MARKER.encode() not in data, os.path.join(top, name)
            assert data.startswith(b'Salted__'), 'not encrypted: ' + os.path.join(top, name)
    assert stanza.pgbackrest('verify').returncode == 0


@pytest.mark.parametrize('args,option', [
    (dict(target_type='time'), 'target'),
    (dict(target_type='xid', target='not-a-xid'), 'target'),
    (dict(target='2026-01-01 00:00:00'), 'target'),
    (dict(target_action='promote'), 'target_action'),
])
def test_restore_refuses_bad_arguments_before_running(stanza, tmp_path, args, option):
    scratch = str(tmp_path / 'never')
    res = stanza.module('pgbackrest_restore', data_dir=scratch, **args)
    assert res['failed'] and res['option'] == option
    assert res.get('commands', []) == [] and not os.path.exists(scratch)


def test_restore_refuses_the_live_directory_of_a_running_cluster(stanza):
    res = stanza.module('pgbackrest_restore', data_dir=stanza.pg.data, delta=True)
    assert res['failed'] and res['option'] == 'data_dir' and 'running' in res['msg']
    assert stanza.pg.query('SELECT 1') == [(1,)]


def test_point_in_time_restore_into_a_scratch_directory(stanza):
    pg = stanza.pg
    assert not stanza.module('pgbackrest_stanza').get('failed')
    assert not stanza.module('pgbackrest_backup', type='full', max_age='1d').get('failed')
    pg.query('CREATE TABLE pitr (id int)')
    pg.query('INSERT INTO pitr SELECT generate_series(1, 10)')
    time.sleep(1.1)
    target = pg.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")[0][0]
    time.sleep(1.1)
    pg.query('INSERT INTO pitr SELECT generate_series(11, 25)')
    assert stanza.pgbackrest('check').returncode == 0  # switches WAL and waits until it is archived
    scratch = os.path.join(pg.root, 'scratch')
    port = _free_port()
    res = stanza.module('pgbackrest_restore', data_dir=scratch, target_type='time', target=target,
                        target_action='promote', archive_mode='off')
    assert res.get('changed') is True and res.get('backup_label') and res['duration_seconds'] > 0, res.get('msg')
    assert oct(os.stat(scratch).st_mode & 0o777) == '0o700'
    stop = scratch_server(pg.bindir, scratch, port)
    try:
        deadline = time.time() + 60
        while True:
            rows = None
            try:
                conn = psycopg2.connect(host=scratch, port=port, dbname='postgres', user='postgres')
                with conn.cursor() as cur:
                    cur.execute('SELECT pg_is_in_recovery()')
                    if not cur.fetchone()[0]:
                        cur.execute('SELECT count(*), max(id) FROM pitr')
                        rows = cur.fetchone()
                conn.close()
            except psycopg2.Error:
                pass
            if rows or time.time() > deadline:
                break
            time.sleep(0.5)
        assert rows == (10, 10), 'expected exactly the rows committed before %s' % target
    finally:
        stop()
    again = stanza.module('pgbackrest_restore', data_dir=scratch)
    assert again['failed'] and again['option'] == 'delta'


RESTORE_TEST = os.path.join(os.path.dirname(__file__), '..', '..', 'roles', 'pgbackrest', 'files', 'pgwarden_restore_test.py')


def test_restore_test_script_restores_checks_and_writes_a_passing_status(stanza, tmp_path):
    assert not stanza.module('pgbackrest_stanza').get('failed')
    assert not stanza.module('pgbackrest_backup', type='full', max_age='1d').get('failed')
    stanza.pg.query('CREATE TABLE IF NOT EXISTS drill (id int primary key)')
    stanza.pg.query('INSERT INTO drill SELECT generate_series(1, 500) ON CONFLICT DO NOTHING')
    assert stanza.pgbackrest('check').returncode == 0  # the rows reach the archive (archive_timeout on a real host)
    work = os.path.join(stanza.pg.root, 'drill')
    os.mkdir(work)
    pw = pwd.getpwnam('postgres')
    os.chown(work, pw.pw_uid, pw.pw_gid)
    cfg = dict(stanza='it', config=stanza.config, scratch_dir=os.path.join(work, 'scratch'), port=_free_port(),
               status_file=os.path.join(work, 'status', 'restore-test.json'), rto_seconds=3600,
               tables=[dict(database='postgres', table='public.drill', min_rows=500)])
    cfg_path = os.path.join(work, 'restore-test.json')
    with open(cfg_path, 'w') as f:
        json.dump(cfg, f)

    def drill(config):
        with open(cfg_path, 'w') as f:
            json.dump(config, f)
        proc = subprocess.run(['runuser', '-u', 'postgres', '--', '/usr/bin/python3',
                               os.path.abspath(RESTORE_TEST), cfg_path], capture_output=True, text=True, check=False)
        with open(cfg['status_file']) as f:
            return proc.returncode, json.load(f)

    rc, status = drill(cfg)
    assert rc == 0 and status['result'] == 'passed', [c for c in status['checks'] if not c['ok']] or status
    assert status['duration_seconds'] > 0 and status['finished_at'] and status['backup_label'] and status['within_rto']
    checks = dict((c['check'] + ':' + c.get('table', c.get('database', '')), c) for c in status['checks'])
    assert checks['rows:public.drill']['rows'] == 500
    assert any(c['check'] == 'amcheck' and c['indexes'] > 0 for c in status['checks'])
    assert not os.path.exists(cfg['scratch_dir']), 'the scratch copy must be removed'
    assert oct(os.stat(cfg['status_file']).st_mode & 0o777) == '0o644'
    # a declared table that is missing makes the test fail, and the status says so
    rc, status = drill(dict(cfg, tables=[dict(database='postgres', table='public.no_such_table')]))
    assert rc == 1 and status['result'] == 'failed' and 'check' in status['error']
    assert not os.path.exists(cfg['scratch_dir'])


def test_stanza_created_offline_from_the_data_directory(stanza):
    # online=false: pgBackRest reads the control file only (a stopped cluster, or a standby without its primary)
    args = dict(stanza='offline', options={'pg1-path': stanza.pg.data}, online=False)
    created = stanza.module('pgbackrest_stanza', **args)
    assert created.get('changed') is True, created.get('msg')
    assert created['commands'][0].endswith('--no-online stanza-create') and len(created['commands']) == 1
    assert created['cluster']['state'] == 'in production' and created['cluster']['system_id']
    again = stanza.module('pgbackrest_stanza', **args)
    assert again['changed'] is False and again['commands'] == [] and again['state_before'] == 'healthy'
    info = stanza.module('pgbackrest_info', stanza='offline')
    assert info['exists'] is True and str(info['database']['system-id']) == str(created['cluster']['system_id'])
    gone = stanza.module('pgbackrest_stanza', state='absent', force=True, **dict(args, online=True))
    assert gone['changed'] is True and not gone.get('failed'), gone.get('msg')
    assert gone['changed'] is True and [c.split()[-1] for c in gone['commands']] == ['stop', 'stanza-delete', 'start']
    assert stanza.module('pgbackrest_info', stanza='offline')['exists'] is False
