"""The monitoring role's on-host checker, installed the way the role installs it (the
collection's module_utils files next to the script), run against the real PostgreSQL:
metrics that promtool accepts, the same verdicts as health_info, one alert per state change."""
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from runner import run_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = [os.path.join(ROOT, 'plugins', 'module_utils', 'monitoring', 'health_checks.py'),
         os.path.join(ROOT, 'plugins', 'module_utils', 'monitoring', 'health_collect.py'),
         os.path.join(ROOT, 'roles', 'monitoring', 'files', 'pgwarden_healthcheck.py')]
RECEIVER = os.path.join(ROOT, 'molecule', 'maintenance', 'hook', 'receiver.py')
sys.path.insert(0, os.path.dirname(RECEIVER))
from smtp_sink import Sink  # noqa: E402  the scenario's SMTP sink, here on loopback with STARTTLS and AUTH


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def hook(tmp_path):
    record, port = tmp_path / 'requests.jsonl', free_port()
    proc = subprocess.Popen([sys.executable, RECEIVER, str(port), str(record), '127.0.0.1'])
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield dict(url='http://127.0.0.1:%d/hooks/pgwarden' % port,
               requests=lambda: [json.loads(line) for line in record.read_text().splitlines()])
    proc.terminate()
    proc.wait()


@pytest.fixture
def checker(pg, tmp_path):
    lib = tmp_path / 'lib'
    lib.mkdir()
    for f in FILES:
        shutil.copy(f, str(lib))
    cfg = dict(connection=dict(host=pg.socket_dir, port=pg.port, user='postgres'), hostname='it-host',
               textfile=str(tmp_path / 'pgwarden.prom'), thresholds={}, checks=[], databases=[],
               pgbackrest_command='/nonexistent/pgbackrest',
               restore_test_status_file=str(tmp_path / 'none.json'),
               alerts=dict(state_file=str(tmp_path / 'state.json')))

    def run(*args, **overrides):
        conf = tmp_path / 'monitoring.json'
        conf.write_text(json.dumps(dict(cfg, **overrides)))
        proc = subprocess.run([sys.executable, str(lib / 'pgwarden_healthcheck.py'), '--config', str(conf)]
                              + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc
    run.textfile = tmp_path / 'pgwarden.prom'
    return run


def test_same_verdicts_as_health_info_and_metrics_promtool_accepts(pg, checker):
    thresholds = dict(connections_warning_percent=0.1, unused_index_min_bytes=0)
    pg.query('CREATE TABLE IF NOT EXISTS hc_script (id int PRIMARY KEY, n int)')
    pg.query('CREATE INDEX IF NOT EXISTS hc_script_n ON hc_script (n)')
    try:
        report = json.loads(checker('--format', 'json', '--no-alerts', thresholds=thresholds).stdout)
        module = run_module('pgwarden.postgresql.health_info', dict(
            pg.connection_args(), thresholds=thresholds, pgbackrest_command='/nonexistent/pgbackrest'))
    finally:
        pg.query('DROP TABLE hc_script')
    assert report.pop('server_reachable')['status'] == 'ok'
    assert set(report) == set(module['checks'])
    stable = ('connections', 'unused_indexes', 'invalid_indexes', 'duplicate_indexes', 'wraparound', 'backup_age',
              'replication_lag', 'replication_slots', 'top_statements')
    assert dict((c, report[c]['status']) for c in stable) == dict((c, module['checks'][c]['status']) for c in stable)
    assert report['connections']['status'] == 'warning' and report['unused_indexes']['status'] == 'warning'
    text = checker.textfile.read_text()
    assert 'pgwarden_check_status{check="connections",instance_name="it-host"} 1' in text
    assert 'pgwarden_check_status{check="backup_age",instance_name="it-host"} 3' in text
    promtool = subprocess.check_output([os.path.join(ROOT, 'scripts', 'monitoring-promtool.sh')], text=True).strip()
    lint = subprocess.run([promtool, 'check', 'metrics'], input=text, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    assert lint.returncode == 0, lint.stdout


@pytest.fixture
def smtp(tmp_path):
    cert, key = str(tmp_path / 'sink.crt'), str(tmp_path / 'sink.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    record = tmp_path / 'smtp.jsonl'
    sink = Sink(free_port(), str(record), '127.0.0.1', cert, key, ('alerts', 'Smtp-Secret-9q')).start()
    yield dict(port=sink.server_address[1], ca_file=cert,
               messages=lambda: [json.loads(line) for line in record.read_text().splitlines()])
    sink.shutdown()
    sink.server_close()


def idle_in_transaction(pg):
    """An open transaction left idle for over a second; commit and close it to clear the condition."""
    conn = pg.connect()
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute('SELECT 1')
    deadline = time.time() + 20
    while time.time() < deadline:
        if pg.query("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    "AND now() - state_change > interval '1 second'")[0][0]:
            break
        time.sleep(0.2)
    return conn


def test_email_over_smtp_with_starttls_and_pagerduty_events(pg, checker, hook, smtp, tmp_path):
    state = tmp_path / 'state.json'
    pd_url = hook['url'].replace('/hooks/pgwarden', '/v2/enqueue')
    alerts = dict(state_file=str(state), email_to=['dba@example.org'], email_from='pgwarden@it-host',
                  smtp=dict(host='127.0.0.1', port=smtp['port'], starttls=True, ca_file=smtp['ca_file'],
                            username='alerts', password='Smtp-Secret-9q'),
                  pagerduty=dict(routing_key='R0utingKey', url=pd_url, min_severity='warning'))
    args = dict(thresholds=dict(idle_in_transaction_warning_seconds=1), checks=['idle_in_transaction'],
                alerts=alerts, runbook_base_url='file:///runbooks/',
                runbooks=dict(idle_in_transaction='connection-exhaustion'))
    checker(**args)
    conn = idle_in_transaction(pg)
    outputs = [checker(**args), checker(**args)]
    conn.commit()
    conn.close()
    outputs += [checker(**args), checker(**args)]
    mails = smtp['messages']()
    assert [(m['tls'], m['auth_user'], m['rcpt_to']) for m in mails] == [(True, 'alerts', ['<dba@example.org>'])] * 2
    parsed = [email.message_from_string(m['data'], policy=email.policy.default) for m in mails]
    subjects = ['pgwarden it-host: 1 alert(s), 0 resolved', 'pgwarden it-host: 0 alert(s), 1 resolved']
    assert [p['Subject'] for p in parsed] == subjects
    body = parsed[0].get_content()
    assert body.startswith('[WARNING] it-host idle_in_transaction: ')
    assert body.rstrip().endswith(' - runbook: file:///runbooks/connection-exhaustion.md')
    assert parsed[1].get_content().startswith('[RESOLVED] it-host idle_in_transaction: back to ok (was warning)')
    events = [r['body'] for r in hook['requests']() if r['path'] == '/v2/enqueue']
    assert [(e['event_action'], e['dedup_key'], e['routing_key']) for e in events] == [
        ('trigger', 'pgwarden/it-host/idle_in_transaction', 'R0utingKey'),
        ('resolve', 'pgwarden/it-host/idle_in_transaction', 'R0utingKey')]
    assert events[0]['payload']['severity'] == 'warning' and events[0]['payload']['source'] == 'it-host'
    assert events[0]['links'][0]['href'] == 'file:///runbooks/connection-exhaustion.md'
    for out in outputs:
        assert 'Smtp-Secret-9q' not in out.stdout + out.stderr
    assert 'Smtp-Secret-9q' not in state.read_text()


def test_refused_smtp_login_keeps_the_alert_for_the_next_run(pg, checker, smtp, tmp_path):
    state = tmp_path / 'state.json'
    alerts = dict(state_file=str(state), email_to=['dba@example.org'],
                  smtp=dict(host='127.0.0.1', port=smtp['port'], ca_file=smtp['ca_file'], username='alerts',
                            password='wrong'))
    args = dict(thresholds=dict(idle_in_transaction_warning_seconds=1), checks=['idle_in_transaction'], alerts=alerts)
    conn = idle_in_transaction(pg)
    try:
        out = checker(**args)
    finally:
        conn.commit()
        conn.close()
    assert 'email through 127.0.0.1 failed' in out.stderr and 'wrong' not in out.stderr
    assert smtp['messages']() == []
    assert json.loads(state.read_text())['status'] == {'idle_in_transaction': 'ok'}  # fires again next run


def test_one_alert_per_state_change_and_a_resolved_message(pg, checker, hook):
    args = dict(thresholds=dict(idle_in_transaction_warning_seconds=1), checks=['idle_in_transaction'],
                alerts=None)
    state = checker.textfile.parent / 'state.json'
    args['alerts'] = dict(webhook_url=hook['url'], state_file=str(state))
    checker(**args)
    assert hook['requests']() == [], 'no alert while everything is ok'
    conn = pg.connect()
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute('SELECT 1')
    deadline = time.time() + 20
    while time.time() < deadline:
        if pg.query("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    "AND now() - state_change > interval '1 second'")[0][0]:
            break
        time.sleep(0.2)
    checker(**args)
    checker(**args)
    got = hook['requests']()
    assert [(r['path'], r['body']['pgwarden']['check'], r['body']['pgwarden']['kind']) for r in got] == [
        ('/hooks/pgwarden', 'idle_in_transaction', 'firing')]
    assert got[0]['body']['text'].startswith('[WARNING] it-host idle_in_transaction')
    assert got[0]['body']['pgwarden']['items'][0]['pid'] == conn.get_backend_pid()
    conn.commit()
    conn.close()
    checker(**args)
    checker(**args)
    kinds = [r['body']['pgwarden']['kind'] for r in hook['requests']()]
    assert kinds == ['firing', 'resolved']
    assert json.loads(state.read_text())['status'] == {'idle_in_transaction': 'ok'}


def test_unreachable_server_is_one_critical_alert(checker, hook, tmp_path):
    alerts = dict(webhook_url=hook['url'], state_file=str(tmp_path / 'state.json'))
    checker(connection=dict(host=str(tmp_path), port=1, user='postgres'), alerts=alerts)
    checker(connection=dict(host=str(tmp_path), port=1, user='postgres'), alerts=alerts)
    got = hook['requests']()
    assert [(r['body']['pgwarden']['check'], r['body']['pgwarden']['status']) for r in got] == [
        ('server_reachable', 'critical')]
    assert 'pgwarden_check_status{check="server_reachable",instance_name="it-host"} 2' in checker.textfile.read_text()
