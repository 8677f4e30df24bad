# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgwarden periodic health checker: the checks of pgwarden.postgresql.health_info, on the host.

The checks themselves are not here: health_checks.py and health_collect.py are the
collection's module_utils files, installed next to this script by the monitoring role.
This script only wires them to outputs: Prometheus textfile metrics, alerts on state
change (Slack-compatible webhook, email over SMTP, PagerDuty Events API v2) with a resolved
message, and a text or JSON report (used by the maintenance role's weekly index/bloat report).

Usage: pgwarden-healthcheck [--config FILE] [--checks a,b] [--format none|text|json] [--no-alerts]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import smtplib
import socket
import ssl
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

try:
    from urllib.request import Request, urlopen
except ImportError:  # pragma: no cover
    Request = urlopen = None

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import health_collect  # noqa: E402  the collection's module_utils, copied next to this file
from health_checks import SEVERITY  # noqa: E402

DEFAULT_CONFIG = '/etc/pgwarden/monitoring.json'
REACHABLE = 'server_reachable'
ALERTING = ('warning', 'critical')


def load_config(path):
    with open(path) as f:
        return json.load(f)


def connector(cfg):
    import psycopg2
    c = cfg.get('connection') or {}

    def connect(dbname):
        kw = dict(host=c.get('host') or '/var/run/postgresql', port=int(c.get('port') or 5432),
                  user=c.get('user') or 'postgres', dbname=dbname or c.get('dbname') or 'postgres',
                  application_name='pgwarden-healthcheck', connect_timeout=10,
                  options=health_collect.PINNED_OPTIONS)
        return psycopg2.connect(**kw)
    return connect


def check_all(cfg, only=None):
    """Results keyed by check, plus the pseudo-check server_reachable."""
    opts = dict(cfg)
    if only:
        opts['checks'] = only
    try:
        results = health_collect.run_checks(connector(cfg), opts)[0]
    except Exception as e:  # cannot connect, or the server refused: one critical alert, not a crash
        if type(e).__module__.split('.', maxsplit=1)[0] != 'psycopg2':
            raise
        return {REACHABLE: dict(name=REACHABLE, status='critical', value=0, unit='bool', threshold=None,
                                message='cannot check PostgreSQL: %s' % str(e).strip(), items=[], count=0)}
    results[REACHABLE] = dict(name=REACHABLE, status='ok', value=1, unit='bool', threshold=None,
                              message='PostgreSQL answers', items=[], count=0)
    return results


def _label(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def render_metrics(results, now, host):
    """Prometheus text exposition format for node_exporter's textfile collector."""
    lines = [
        '# HELP pgwarden_check_status Status of a pgwarden health check: 0 ok, 1 warning, 2 critical, 3 unknown.',
        '# TYPE pgwarden_check_status gauge']
    for name in sorted(results):
        lines.append('pgwarden_check_status{check="%s",instance_name="%s"} %d'
                     % (name, _label(host), SEVERITY[results[name]['status']]))
    lines += ['# HELP pgwarden_check_value Measured value of a pgwarden health check, in the unit label.',
              '# TYPE pgwarden_check_value gauge']
    for name in sorted(results):
        r = results[name]
        if r['value'] is not None:
            lines.append('pgwarden_check_value{check="%s",unit="%s",instance_name="%s"} %s'
                         % (name, _label(r['unit']), _label(host), float(r['value'])))
    lines += ['# HELP pgwarden_check_items Number of flagged items (queries, tables, indexes...) of a check.',
              '# TYPE pgwarden_check_items gauge']
    for name in sorted(results):
        lines.append('pgwarden_check_items{check="%s",instance_name="%s"} %d'
                     % (name, _label(host), results[name].get('count', 0)))
    lines += ['# HELP pgwarden_checker_last_run_timestamp_seconds When the checker last ran.',
              '# TYPE pgwarden_checker_last_run_timestamp_seconds gauge',
              'pgwarden_checker_last_run_timestamp_seconds %.3f' % now]
    return '\n'.join(lines) + '\n'


def write_atomic(path, text, mode=0o644):
    d = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.pgwarden-', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except Exception:
        os.unlink(tmp)
        raise


def transitions(previous, results, on_unknown=False):
    """Alerts to send and the state to keep: (alerts, new_state).

    An alert fires when a check enters warning/critical or moves between them, and a
    resolved message goes out when it returns to ok; nothing while it stays the same.
    An unknown status keeps the previous state unless on_unknown (then it alerts too).
    """
    state, alerts = dict(previous), []
    for name in sorted(results):
        new, old = results[name]['status'], previous.get(name, 'ok')
        if new == 'unknown' and not on_unknown:
            continue
        if new == old:
            continue
        if new == 'ok':
            alerts.append(dict(check=name, kind='resolved', status=new, previous=old, result=results[name]))
        else:
            alerts.append(dict(check=name, kind='firing', status=new, previous=old, result=results[name]))
        state[name] = new
    return alerts, state


def alert_text(alert, host):
    r = alert['result']
    if alert['kind'] == 'resolved':
        text = '[RESOLVED] %s %s: back to ok (was %s) - %s' % (host, alert['check'], alert['previous'], r['message'])
    else:
        text = '[%s] %s %s: %s (value %s %s, threshold %s)' % (
            alert['status'].upper(), host, alert['check'], r['message'], r['value'], r['unit'] or '',
            json.dumps(r['threshold'], sort_keys=True))
    return text + (' - runbook: %s' % alert['runbook'] if alert.get('runbook') else '')


def webhook_payload(alert, host):
    """Slack-compatible JSON (`text`), with the structured facts under `pgwarden`."""
    r = alert['result']
    return dict(text=alert_text(alert, host), username='pgwarden',
                pgwarden=dict(host=host, check=alert['check'], kind=alert['kind'], status=alert['status'],
                              previous=alert['previous'], value=r['value'], unit=r['unit'], runbook=alert.get('runbook'),
                              threshold=r['threshold'], message=r['message'], items=r['items'][:5]))


def post_json(url, payload, timeout=10):
    req = Request(url, data=json.dumps(payload, default=str).encode('utf-8'),
                  headers={'Content-Type': 'application/json'})
    resp = urlopen(req, timeout=timeout)
    resp.read()
    return resp.status if hasattr(resp, 'status') else resp.getcode()


def pagerduty_event(alert, host, routing_key, min_severity='critical'):
    """Events API v2 body for an alert, or None when PagerDuty is not concerned.

    An incident is open while the status is at least min_severity: trigger when it opens or
    changes, resolve when it closes; the dedup_key (host and check) ties them together.
    """
    def is_open(status):
        return status in ALERTING and SEVERITY[status] >= SEVERITY[min_severity]
    was, now = is_open(alert['previous']), is_open(alert['status'])
    key = 'pgwarden/%s/%s' % (host, alert['check'])
    if now:
        r = alert['result']
        payload = {'summary': alert_text(alert, host)[:1024], 'source': host, 'severity': alert['status'],
                   'component': 'postgresql', 'group': 'pgwarden', 'class': alert['check'],
                   'custom_details': dict(value=r['value'], unit=r['unit'], threshold=r['threshold'],
                                          message=r['message'], items=r['items'][:5])}
        event = dict(routing_key=routing_key, event_action='trigger', dedup_key=key, client='pgwarden',
                     payload=payload)
        if alert.get('runbook'):
            event['links'] = [dict(href=alert['runbook'], text='pgwarden runbook')]
        return event
    if was:
        return dict(routing_key=routing_key, event_action='resolve', dedup_key=key)
    return None


def email_message(alerts, host, sender, recipients):
    firing = sum(1 for a in alerts if a['kind'] == 'firing')
    msg = EmailMessage()
    msg['From'] = sender
    msg['To'] = ', '.join(recipients)
    msg['Subject'] = 'pgwarden %s: %d alert(s), %d resolved' % (host, firing, len(alerts) - firing)
    msg['Date'] = formatdate(localtime=True)
    msg['Message-ID'] = make_msgid('pgwarden')
    msg.set_content('\n'.join(alert_text(a, host) for a in alerts) + '\n')
    return msg


def send_email(msg, smtp):
    """Submit over SMTP: STARTTLS (certificate verified) unless turned off, then login if given."""
    with smtplib.SMTP(smtp['host'], int(smtp.get('port') or 587), timeout=int(smtp.get('timeout') or 30)) as s:
        s.ehlo()
        if smtp.get('starttls', True):
            s.starttls(context=ssl.create_default_context(cafile=smtp.get('ca_file') or None))
            s.ehlo()
        if smtp.get('username'):
            s.login(smtp['username'], smtp.get('password') or '')
        s.send_message(msg)


def runbook_url(cfg, check):
    """The runbook of a check under runbook_base_url (the role copies the collection's runbooks to the host)."""
    name = (cfg.get('runbooks') or {}).get(check)
    base = (cfg.get('runbook_base_url') or '').rstrip('/')
    return '%s/%s.md' % (base, name) if base and name else None


def deliver(alerts, cfg, host):
    """Send alerts through every configured channel; the alerts that reached all channels."""
    a = cfg.get('alerts') or {}
    pd = a.get('pagerduty') or {}
    delivered = []
    for alert in alerts:
        alert['runbook'] = runbook_url(cfg, alert['check'])
        ok = True
        try:
            if a.get('webhook_url'):
                post_json(a['webhook_url'], webhook_payload(alert, host))
            event = pagerduty_event(alert, host, pd['routing_key'], pd.get('min_severity') or 'critical') \
                if pd.get('routing_key') else None
            if event:
                post_json(pd.get('url') or 'https://events.pagerduty.com/v2/enqueue', event)
        except Exception as e:  # keep the state: the alert is retried on the next run
            print('pgwarden-healthcheck: alert for %s not delivered: %s' % (alert['check'], e), file=sys.stderr)
            ok = False
        if ok:
            delivered.append(alert)
    smtp = a.get('smtp') or {}
    if a.get('email_to') and delivered:
        try:
            send_email(email_message(delivered, host, a.get('email_from') or 'postgres@' + host, a['email_to']), smtp)
        except (OSError, smtplib.SMTPException) as e:
            print('pgwarden-healthcheck: email through %s failed: %s' % (smtp.get('host'), e), file=sys.stderr)
            return []
    return delivered


def read_state(path):
    try:
        with open(path) as f:
            return json.load(f).get('status', {})
    except (IOError, OSError, ValueError, AttributeError):
        return {}


def alert(results, cfg, host):
    a = cfg.get('alerts') or {}
    path = a.get('state_file') or '/var/lib/pgwarden/monitoring-state.json'
    previous = read_state(path)
    alerts, state = transitions(previous, results, bool(a.get('on_unknown')))
    delivered = deliver(alerts, cfg, host)
    for missed in [x for x in alerts if x not in delivered]:  # retried on the next run
        state[missed['check']] = missed['previous']
    write_atomic(path, json.dumps(dict(status=state, updated=time.time()), sort_keys=True) + '\n', 0o640)
    return delivered


def report_text(results, host):
    out = ['pgwarden health report for %s at %s' % (host, time.strftime('%Y-%m-%d %H:%M:%S %z'))]
    for name in sorted(results):
        r = results[name]
        out.append('%-22s %-8s %s' % (name, r['status'], r['message']))
        for item in r['items']:
            out.append('    ' + ', '.join('%s=%s' % (k, item[k]) for k in sorted(item) if k != 'status'))
    return '\n'.join(out) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(description='pgwarden health checks: metrics, alerts, reports')
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--checks', default='', help='comma-separated checks (default: the configured ones)')
    p.add_argument('--format', choices=['none', 'text', 'json'], default='none', help='print a report')
    p.add_argument('--no-alerts', action='store_true', help='do not alert, do not touch the alert state')
    p.add_argument('--no-metrics', action='store_true', help='do not write the textfile metrics')
    args = p.parse_args(argv)
    cfg = load_config(args.config)
    host = cfg.get('hostname') or socket.getfqdn()
    only = [c for c in args.checks.split(',') if c]
    results = check_all(cfg, only)
    now = time.time()
    if cfg.get('textfile') and not args.no_metrics:
        write_atomic(cfg['textfile'], render_metrics(results, now, host))
    if not args.no_alerts:
        alert(results, cfg, host)
    if args.format == 'text':
        sys.stdout.write(report_text(results, host))
    elif args.format == 'json':
        print(json.dumps(results, indent=2, sort_keys=True, default=str))
    return 0


if __name__ == '__main__':
    sys.exit(main())
