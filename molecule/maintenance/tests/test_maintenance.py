"""Verify from outside: the vacuum job moved last_vacuum/last_analyze, the receiver got exactly
one alert and one resolved message for a long query, promtool accepts the metrics and rules."""

import email
import email.policy
import json
import os
import subprocess
import tempfile
import time

import pytest
import testinfra

# The database hosts; the webhook receiver is a test tool.
testinfra_only = ['pgw-maintenance-deb12', 'pgw-maintenance-deb13']

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
HOOK = 'pgw-maintenance-hook'
MARK = 'pgw-verify-long'


@pytest.fixture(scope='module')
def name(host):
    n = host.backend.get_hostname()
    assert n != HOOK, 'the webhook receiver is a test tool: testinfra_only leaves it out'
    return n


def psql(host, sql):
    out = host.check_output("runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -At -F '|' -c %s", sql)
    return [line.split('|') for line in out.splitlines() if line]


def wait_for(host, sql, timeout=90):
    end = time.time() + timeout
    while time.time() < end:
        if psql(host, sql)[0][0] == 't':
            return
        time.sleep(0.5)
    raise AssertionError('never true: ' + sql)


def received(name, check):
    hook = testinfra.get_host('podman://' + HOOK)
    text = hook.file('/srv/hook-data/requests.jsonl').content_string
    reqs = [json.loads(line) for line in text.splitlines() if line]
    return [r['body']['pgwarden']['kind'] for r in reqs
            if r['path'] == '/hook/' + name and r['body']['pgwarden']['check'] == check]


def mail_bodies():
    """The decoded text of every email the sink received."""
    hook = testinfra.get_host('podman://' + HOOK)
    text = hook.file('/srv/hook-data/smtp.jsonl').content_string
    return [email.message_from_string(json.loads(line)['data'], policy=email.policy.default).get_content()
            for line in text.splitlines() if line]


def emailed(name, check):
    """Kinds of the alerts about `check` from host `name` in the sink's emails, one entry per email line."""
    kinds = []
    for body in mail_bodies():
        for line in body.splitlines():
            if line.startswith('[RESOLVED] %s %s:' % (name, check)):
                kinds.append('resolved')
            elif line.startswith('[') and (' %s %s: ' % (name, check)) in line:
                kinds.append('firing')
    return kinds


def paged(name, check):
    hook = testinfra.get_host('podman://' + HOOK)
    text = hook.file('/srv/hook-data/requests.jsonl').content_string
    return [r['body']['event_action'] for r in map(json.loads, filter(None, text.splitlines()))
            if r['path'] == '/v2/enqueue' and r['body']['dedup_key'] == 'pgwarden/%s/%s' % (name, check)]


def promtool():
    return subprocess.check_output([os.path.join(ROOT, 'scripts', 'monitoring-promtool.sh')], text=True).strip()


def test_vacuum_job_moves_last_vacuum_and_analyze(host, name):
    psql(host, 'DROP TABLE IF EXISTS vac_probe; CREATE TABLE vac_probe AS SELECT g FROM generate_series(1, 5000) g; '
               'DELETE FROM vac_probe WHERE g % 2 = 0')
    assert psql(host, "SELECT last_vacuum IS NULL, last_analyze IS NULL FROM pg_stat_user_tables "
                      "WHERE relname = 'vac_probe'") == [['t', 't']]
    host.check_output('systemctl start pgwarden-vacuum.service')
    assert psql(host, "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL, n_dead_tup FROM pg_stat_user_tables "
                      "WHERE relname = 'vac_probe'") == [['t', 't', '0']]
    log = host.file('/var/log/pgwarden/vacuum.log')
    assert log.user == 'postgres' and log.mode == 0o640
    assert 'vacuum end: rc=0' in log.content_string
    assert host.file('/etc/logrotate.d/pgwarden-maintenance').contains('/var/log/pgwarden/\\*.log')
    assert host.service('pgwarden-vacuum.timer').is_enabled


def test_weekly_index_report(host, name):
    host.check_output('systemctl start pgwarden-index-report.service')
    log = host.file('/var/log/pgwarden/index-report.log').content_string
    assert 'pgwarden health report for' in log and 'table_bloat' in log and 'index-report end: rc=0' in log


def test_one_alert_then_one_resolved_for_a_long_query(host, name):
    assert received(name, 'long_running_queries') == []
    assert emailed(name, 'long_running_queries') == [] and paged(name, 'long_running_queries') == []
    host.check_output("systemd-run --unit=pgw-verify-longq --collect runuser -u postgres -- "
                      "psql -X -c 'SELECT pg_sleep(600) /* %s */'" % MARK)
    wait_for(host, "SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%%%s */' "
                   "AND now() - query_start > interval '3 seconds'" % MARK)
    for run in (1, 2):
        host.check_output('systemctl start pgwarden-healthcheck.service')
    assert received(name, 'long_running_queries') == ['firing'], 'after %d runs' % run
    assert emailed(name, 'long_running_queries') == ['firing']
    assert paged(name, 'long_running_queries') == ['trigger']
    # The maintenance cancel job (hard limit 20 s in this scenario) ends the query.
    wait_for(host, "SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%%%s */' "
                   "AND now() - query_start > interval '21 seconds'" % MARK)
    host.check_output('systemctl start pgwarden-cancel-queries.service')
    wait_for(host, "SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%%%s */'" % MARK)
    assert MARK in host.file('/var/log/pgwarden/cancel-queries.log').content_string
    for run in (1, 2):
        host.check_output('systemctl start pgwarden-healthcheck.service')
    assert received(name, 'long_running_queries') == ['firing', 'resolved'], 'after %d runs' % run
    assert emailed(name, 'long_running_queries') == ['firing', 'resolved']
    assert paged(name, 'long_running_queries') == ['trigger', 'resolve']
    assert 'molecule-routing-key' not in host.run('journalctl -u pgwarden-healthcheck --no-pager').stdout


def test_metrics_and_rules_pass_promtool(host, name):
    metrics = host.file('/var/lib/prometheus/node-exporter/pgwarden.prom').content_string
    assert 'pgwarden_check_status{check="long_running_queries",instance_name="%s"} 0' % name in metrics
    lint = subprocess.run([promtool(), 'check', 'metrics'], input=metrics, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert lint.returncode == 0, lint.stdout
    rules = host.file('/etc/prometheus/rules/pgwarden.rules.yml').content_string
    assert 'pgwarden_check_value{check="long_running_queries"} >= 2.0' in rules
    with tempfile.NamedTemporaryFile('w', suffix='.yml') as f:
        f.write(rules)
        f.flush()
        check = subprocess.run([promtool(), 'check', 'rules', f.name], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert check.returncode == 0, check.stdout


def test_config_holding_the_webhook_is_not_world_readable(host, name):
    conf = host.file('/etc/pgwarden/monitoring.json')
    assert conf.user == 'root' and conf.group == 'postgres' and conf.mode == 0o640


def test_alerts_and_rules_link_the_runbooks_installed_on_the_host(host, name):
    rules = host.file('/etc/prometheus/rules/pgwarden.rules.yml').content_string
    links = sorted(set(line.split('"')[1] for line in rules.splitlines() if 'runbook_url:' in line))
    assert links and all(link.startswith('file:///usr/share/doc/pgwarden/runbooks/') for link in links), links
    for link in links:
        assert host.file(link[len('file://'):]).is_file, link
    assert any('runbook: file:///usr/share/doc/pgwarden/runbooks/slow-queries.md' in body for body in mail_bodies())
