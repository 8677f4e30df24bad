"""The on-host checker: it carries no check of its own, the monitoring role installs the
collection's module_utils files next to it, and its alert state machine fires once per change."""
import ast
import importlib.util
import os
import re
import sys

import yaml

from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring import health_checks as hc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'roles', 'monitoring', 'files', 'pgwarden_healthcheck.py')
UTILS = os.path.join(ROOT, 'plugins', 'module_utils', 'monitoring')


def load_checker():
    sys.path.insert(0, UTILS)  # as on the host: health_checks.py and health_collect.py next to it
    try:
        spec = importlib.util.spec_from_file_location('pgwarden_healthcheck', SCRIPT)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(UTILS)


def test_role_installs_the_module_utils_files_themselves():
    tasks = yaml.safe_load(open(os.path.join(ROOT, 'roles', 'monitoring', 'tasks', 'checker.yml')))
    task = [t for t in tasks if t.get('name', '').startswith('Install the checker script')][0]
    lookups = re.findall(r"lookup\('ansible.builtin.file', role_path ~ '([^']+)'", str(task['pgwarden.postgresql.file_set']['files']))
    files = [os.path.realpath(os.path.join(ROOT, 'roles', 'monitoring') + path) for path in lookups]
    assert files == [os.path.join(os.path.realpath(UTILS), f) for f in ('health_checks.py', 'health_collect.py')]


def test_checker_defines_no_check_and_imports_only_stdlib_psycopg2_and_the_shared_files():
    tree = ast.parse(open(SCRIPT).read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split('.')[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split('.')[0])
    third_party = imported - set(sys.stdlib_module_names) - {'__future__'}
    assert third_party == {'health_collect', 'health_checks', 'psycopg2'}
    text = open(SCRIPT).read()
    for sql_marker in ('pg_stat_activity', 'pg_stat_user', 'SELECT '):
        assert sql_marker not in text, 'the checker must not carry its own SQL'
    checker = load_checker()
    assert checker.health_collect.hc.CHECKS == hc.CHECKS
    assert os.path.realpath(checker.health_collect.__file__) == os.path.realpath(os.path.join(UTILS, 'health_collect.py'))


def test_rules_thresholds_are_the_module_defaults():
    role_vars = yaml.safe_load(open(os.path.join(ROOT, 'roles', 'monitoring', 'vars', 'main.yml')))
    assert role_vars['__monitoring_default_thresholds'] == hc.DEFAULT_THRESHOLDS


def res(status):
    return dict(status=status, value=1, unit='x', threshold=None, message='m', items=[])


def test_alert_on_change_only_and_resolved_on_return_to_ok():
    t = load_checker().transitions
    alerts, state = t({}, {'a': res('ok'), 'b': res('warning')})
    assert [(x['check'], x['kind']) for x in alerts] == [('b', 'firing')] and state == {'b': 'warning'}
    assert t(state, {'a': res('ok'), 'b': res('warning')})[0] == []
    alerts, state = t(state, {'b': res('critical')})
    assert [(x['kind'], x['previous'], x['status']) for x in alerts] == [('firing', 'warning', 'critical')]
    alerts, state = t(state, {'b': res('ok')})
    assert [(x['kind'], x['previous']) for x in alerts] == [('resolved', 'critical')] and state == {'b': 'ok'}
    assert t(state, {'b': res('ok')})[0] == []


def test_unknown_keeps_the_state_unless_asked():
    t = load_checker().transitions
    assert t({'b': 'warning'}, {'b': res('unknown')}) == ([], {'b': 'warning'})
    alerts, state = t({'b': 'ok'}, {'b': res('unknown')}, on_unknown=True)
    assert [x['kind'] for x in alerts] == ['firing'] and state == {'b': 'unknown'}


def test_webhook_payload_is_slack_compatible_and_email_is_one_message():
    c = load_checker()
    alerts = c.transitions({'x': 'critical'}, {'x': res('ok'), 'y': res('critical')})[0]
    payload = c.webhook_payload(alerts[0], 'db1')
    assert payload['text'].startswith('[RESOLVED] db1 x: back to ok (was critical)')
    assert payload['pgwarden']['kind'] == 'resolved'
    mail = c.email_message(alerts, 'db1', 'pg@db1', ['ops@example.org', 'dba@example.org'])
    assert (mail['To'], mail['Subject']) == ('ops@example.org, dba@example.org', 'pgwarden db1: 1 alert(s), 1 resolved')
    assert '[CRITICAL] db1 y: m' in mail.get_content() and mail['Message-ID']


def test_pagerduty_trigger_and_resolve_share_a_dedup_key():
    c = load_checker()
    fire = c.transitions({}, {'x': res('critical')})[0][0]
    fire['runbook'] = 'file:///usr/share/doc/pgwarden/runbooks/disk-full.md'
    event = c.pagerduty_event(fire, 'db1', 'KEY')
    assert (event['event_action'], event['dedup_key'], event['routing_key']) == ('trigger', 'pgwarden/db1/x', 'KEY')
    assert event['payload']['severity'] == 'critical' and event['payload']['source'] == 'db1'
    assert event['payload']['summary'].startswith('[CRITICAL] db1 x: m') and event['links'][0]['href'].endswith('.md')
    resolve = c.pagerduty_event(c.transitions({'x': 'critical'}, {'x': res('ok')})[0][0], 'db1', 'KEY')
    assert resolve == dict(routing_key='KEY', event_action='resolve', dedup_key='pgwarden/db1/x')
    # warnings page only when asked; dropping below the level resolves the incident
    warn = c.transitions({}, {'x': res('warning')})[0][0]
    assert c.pagerduty_event(warn, 'db1', 'KEY') is None
    assert c.pagerduty_event(warn, 'db1', 'KEY', 'warning')['event_action'] == 'trigger'
    down = c.transitions({'x': 'critical'}, {'x': res('warning')})[0][0]
    assert c.pagerduty_event(down, 'db1', 'KEY')['event_action'] == 'resolve'
    assert c.pagerduty_event(c.transitions({'x': 'warning'}, {'x': res('ok')})[0][0], 'db1', 'KEY') is None


def test_metrics_text_escapes_labels_and_skips_unknown_values():
    c = load_checker()
    text = c.render_metrics({'a': dict(res('unknown'), value=None, count=0)}, 1.0, 'h"1')
    assert 'pgwarden_check_status{check="a",instance_name="h\\"1"} 3' in text
    assert 'pgwarden_check_value{' not in text
