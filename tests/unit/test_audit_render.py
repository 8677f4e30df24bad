"""Audit reports from plain results: per-host errors, Markdown, one self-contained HTML page."""
import re

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_render as ar

OK = dict(changed=False, server=dict(version='15.8', role='primary', login_user='postgres', databases=['app']),
          score=dict(passed=4, total=9, percent=44), summary=dict(high=1, medium=1, low=0, info=0),
          checklist=[dict(id='tls', title='TLS enforced', status='fail', detail='findings: ssl_off'),
                     dict(id='runbooks', title='Runbooks', status='unknown', detail='say where')],
          findings=[dict(id='ssl_off', severity='high', subject='ssl', title='TLS is off', evidence='ssl = off',
                         fix='tls role'),
                    dict(id='hba_md5', severity='medium', subject='host all <b>x</b> 10.0.0.0/8 md5',
                         title='pg_hba line uses md5 | authentication', evidence='line 3', fix='hardening_allowlist')],
          not_visible=['password verifiers (pg_authid needs superuser)'])


def reports():
    return [ar.host_report(OK, 'db1'),
            ar.host_report(dict(unreachable=True, msg='Failed to connect to the host via ssh: refused'), 'db2'),
            ar.host_report(dict(failed=True, msg='login_user web lacks the rights to audit this server'), 'db3')]


def test_host_reports_turn_failures_into_per_host_errors():
    r = reports()
    assert r[0]['status'] == 'ok' and r[0]['score']['passed'] == 4 and len(r[0]['findings']) == 2
    assert r[1] == dict(host='db2', report_name='db2', status='error',
                        error='unreachable: Failed to connect to the host via ssh: refused')
    assert r[2] == dict(host='db3', report_name='db3', status='error', error='login_user web lacks the rights to audit this server')
    assert ar.host_report(None, 'db4')['error'] == 'no audit result'


def test_inventory_totals():
    inv = ar.inventory_report(reports(), '2027-01-15T08:00:00+00:00')
    assert inv['totals'] == dict(high=1, medium=1, low=0, info=0)
    assert (inv['audited'], inv['errors'], inv['score_percent']) == (1, 2, 44)
    assert ar.inventory_report([])['score_percent'] is None


def test_markdown_has_the_overview_checklist_findings_by_severity_and_errors():
    md = ar.markdown(ar.inventory_report(reports(), '2027-01-15T08:00:00+00:00'))
    assert '| db1 | 4/9 (44%) | 1 | 1 | 0 | 0 | ok |' in md
    assert '| db2 | - | - | - | - | - | error: unreachable: Failed to connect to the host via ssh: refused |' in md
    assert '### Operational checklist: 4/9 (44%)' in md and '| TLS enforced | FAIL | findings: ssl_off |' in md
    assert md.index('### High findings (1)') < md.index('### Medium findings (1)')
    assert '- **pg_hba line uses md5 \\| authentication** `hba_md5` (host all \\<b\\>x\\</b\\> 10.0.0.0/8 md5)' in md
    assert '  - fix: hardening_allowlist' in md
    assert '**Not audited**: login_user web lacks the rights' in md


def test_html_is_self_contained_and_escaped():
    page = ar.html(ar.inventory_report(reports(), '2027-01-15T08:00:00+00:00'))
    assert page.startswith('<!DOCTYPE html>') and '<style>' in page
    assert '<script' not in page and not re.search(r'(src|href)="(?!#)', page) and '@import' not in page
    assert 'host all &lt;b&gt;x&lt;/b&gt; 10.0.0.0/8 md5' in page and '<b>x</b>' not in page
    assert '<p class="score">Score 4/9 (44%)</p>' in page
    assert page.count('<tr class="finding high">') == 1 and page.count('<tr class="finding medium">') == 1
    assert 'Not audited: unreachable: Failed to connect' in page
