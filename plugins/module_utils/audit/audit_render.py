# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit reports: per-host results of audit_info into JSON-ready dicts, Markdown and one
self-contained HTML page (inline CSS, no script, no external font or file). Pure functions,
used by the pgwarden.postgresql audit filters."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import re
import unicodedata
from html import escape

SEVERITIES = ('high', 'medium', 'low', 'info')
RESERVED_NAMES = ('inventory',)


def _visible_char(c):
    if c in '\n\t' or unicodedata.category(c) not in ('Cc', 'Cf', 'Zl', 'Zp'):
        return c
    n = ord(c)
    return '\\x%02x' % n if n < 0x100 else '\\u%04x' % n


def visible(value):
    """Strings with control characters (ANSI escapes, CR...) and invisible format characters (bidirectional
    overrides and isolates, zero-width characters, line separators) as visible escapes (\\x1b, \\u202e), in
    every string of a report: a name or a setting cannot move the cursor, recolour a terminal or reorder text."""
    if isinstance(value, str):
        return ''.join(_visible_char(c) for c in value)
    if isinstance(value, dict):
        return dict((visible(k), visible(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [visible(v) for v in value]
    return value


def report_name(host):
    """The file name (without extension) of a host's reports: letters, digits, '.', '_', '-' only, never
    starting with a dot nor a report of the inventory; a name that had to change gets a hash of the real one."""
    host = str(host)
    safe = re.sub(r'[^A-Za-z0-9._-]', '_', host)
    if safe != host or safe.startswith('.') or safe in RESERVED_NAMES or not safe:
        safe = '%s-%s' % (re.sub(r'^[._]+', '', safe)[:80] or 'host', hashlib.sha256(host.encode('utf-8')).hexdigest()[:10])
    return safe


def host_report(result, host):
    """The report of one host from the registered result of audit_info (ok, failed or unreachable)."""
    result = result or {}
    base = dict(host=visible(str(host)), report_name=report_name(host))
    if result.get('unreachable'):
        return dict(base, status='error', error=visible('unreachable: %s' % (result.get('msg') or 'no connection').strip()))
    if result.get('failed') or result.get('skipped') or 'findings' not in result:
        msg = result.get('msg') or ('skipped' if result.get('skipped') else 'no audit result')
        return dict(base, status='error', error=visible(str(msg).strip()))
    return dict(base, status='ok', server=visible(result.get('server') or {}), score=result['score'],
                summary=result['summary'], checklist=visible(result['checklist']), findings=visible(result['findings']),
                not_visible=visible(result.get('not_visible') or []))


def inventory_report(reports, generated_at=None):
    """All hosts with the totals: findings per severity, hosts in error, the mean checklist score."""
    ok = [r for r in reports if r['status'] == 'ok']
    totals = dict((s, sum(r['summary'].get(s, 0) for r in ok)) for s in SEVERITIES)
    mean = int(round(sum(r['score']['percent'] for r in ok) / float(len(ok)))) if ok else None
    return dict(generated_at=generated_at, hosts=list(reports), totals=totals, errors=len(reports) - len(ok),
                audited=len(ok), score_percent=mean)


MD_SPECIAL = re.compile(r'([\\`\[\]<>|])')


def _md(text):
    """Text in Markdown: no line break, no table cell break, no HTML, no link or image, no code span;
    control and invisible characters as visible escapes."""
    text = visible(str(text)).replace('\r\n', ' ').replace('\n', ' ').replace('\t', ' ')
    return MD_SPECIAL.sub(r'\\\1', text)


def _score_text(r):
    s = r['score']
    return '%d/%d (%d%%)' % (s['passed'], s['total'], s['percent'])


def markdown(inv, title='PostgreSQL audit'):
    lines = ['# %s' % _md(title), '']
    if inv.get('generated_at'):
        lines += ['Generated %s. Read-only audit by `pgwarden.postgresql.audit_info`.' % _md(inv['generated_at']), '']
    lines += ['## Overview', '', '| host | checklist score | high | medium | low | info | status |',
              '|---|---|---|---|---|---|---|']
    for r in inv['hosts']:
        if r['status'] == 'ok':
            lines.append('| %s | %s | %s | ok |' % (_md(r['host']), _score_text(r), ' | '.join(
                str(r['summary'].get(s, 0)) for s in SEVERITIES)))
        else:
            lines.append('| %s | - | - | - | - | - | error: %s |' % (_md(r['host']), _md(r['error'])))
    lines.append('')
    for r in inv['hosts']:
        lines += _host_md(r)
    return '\n'.join(lines).rstrip('\n') + '\n'


def _host_md(r):
    lines = ['## %s' % _md(r['host']), '']
    if r['status'] != 'ok':
        return lines + ['**Not audited**: %s' % _md(r['error']), '']
    srv = r['server']
    about = tuple(_md(x) for x in (srv.get('version'), srv.get('role'), srv.get('login_user'),
                                   ', '.join(str(d) for d in srv.get('databases') or [])))
    lines += ['PostgreSQL %s, %s, login %s, databases: %s.' % about,
              '', '### Operational checklist: %s' % _score_text(r), '', '| item | status | detail |', '|---|---|---|']
    for i in r['checklist']:
        lines.append('| %s | %s | %s |' % (_md(i['title']), _md(i['status'].upper()), _md(i['detail'])))
    lines.append('')
    for sev in SEVERITIES:
        found = [f for f in r['findings'] if f['severity'] == sev]
        if not found:
            continue
        lines += ['### %s findings (%d)' % (sev.capitalize(), len(found)), '']
        for f in found:
            lines += ['- **%s** `%s` (%s)' % (_md(f['title']), re.sub(r'[^a-z0-9_]', '', str(f['id'])), _md(f['subject'])),
                      '  - evidence: %s' % _md(f['evidence']), '  - fix: %s' % _md(f['fix'])]
        lines.append('')
    if not r['findings']:
        lines += ['No findings.', '']
    if r['not_visible']:
        lines += ['### Not visible from this login', ''] + ['- %s' % _md(n) for n in r['not_visible']] + ['']
    return lines


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2430;background:#fff}
h1{font-size:1.6rem}h2{border-bottom:2px solid #d8dee8;padding-bottom:.3rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #d8dee8;padding:.35rem .5rem;
text-align:left;vertical-align:top;font-size:.9rem}th{background:#f2f5f9}
.score{font-size:2rem;font-weight:700}.pass{color:#17692e}.fail{color:#b3261e}.unknown{color:#6b7280}
.sev{display:inline-block;min-width:4.5rem;text-align:center;border-radius:3px;padding:.05rem .4rem;color:#fff;
font-weight:600}.sev.high{background:#b3261e}.sev.medium{background:#c46a00}.sev.low{background:#5a6b86}
.sev.info{background:#8b95a5}tr.finding td:first-child{border-left:5px solid #8b95a5}
tr.high td:first-child{border-left-color:#b3261e}tr.medium td:first-child{border-left-color:#c46a00}
tr.low td:first-child{border-left-color:#5a6b86}
.error{color:#b3261e;font-weight:600}code{background:#f2f5f9;padding:0 .2rem}.muted{color:#6b7280}
"""


def _e(text):
    return escape(visible(str(text)), quote=True)


def _anchor(r):
    return 'host-' + (r.get('report_name') or report_name(r['host']))


def html(inv, title='PostgreSQL audit'):
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title><style>%s</style></head><body>' % (_e(title), CSS), '<h1>%s</h1>' % _e(title)]
    if inv.get('generated_at'):
        out.append('<p class="muted">Generated %s. Read-only audit by <code>pgwarden.postgresql.audit_info</code>.</p>'
                   % _e(inv['generated_at']))
    badges = ', '.join('<span class="sev %s">%s %d</span>' % (s, s, inv['totals'][s]) for s in SEVERITIES)
    mean = (' Mean checklist score %d%%.' % inv['score_percent']) if inv['score_percent'] is not None else ''
    out.append('<p id="totals">%d host(s) audited, %d not audited. Findings: %s.%s</p>' % (
        inv['audited'], inv['errors'], badges, mean))
    out.append('<table id="overview"><tr><th>host</th><th>checklist score</th>%s<th>status</th></tr>'
               % ''.join('<th>%s</th>' % s for s in SEVERITIES))
    for r in inv['hosts']:
        if r['status'] == 'ok':
            out.append('<tr><td><a href="#%s">%s</a></td><td>%s</td>%s<td>ok</td></tr>' % (
                _e(_anchor(r)), _e(r['host']), _e(_score_text(r)),
                ''.join('<td>%d</td>' % r['summary'].get(s, 0) for s in SEVERITIES)))
        else:
            out.append('<tr><td><a href="#%s">%s</a></td><td>-</td>%s<td class="error">error: %s</td></tr>'
                       % (_e(_anchor(r)), _e(r['host']), '<td>-</td>' * len(SEVERITIES), _e(r['error'])))
    out.append('</table>')
    for r in inv['hosts']:
        out += _host_html(r)
    out.append('</body></html>')
    return '\n'.join(out) + '\n'


def _host_html(r):
    out = ['<section class="host" id="%s"><h2>%s</h2>' % (_e(_anchor(r)), _e(r['host']))]
    if r['status'] != 'ok':
        return out + ['<p class="error">Not audited: %s</p></section>' % _e(r['error'])]
    srv = r['server']
    out.append('<p>PostgreSQL %s, %s, login <code>%s</code>, databases: %s.</p>' % (
        _e(srv.get('version')), _e(srv.get('role')), _e(srv.get('login_user')), _e(', '.join(str(d) for d in srv.get('databases') or []))))
    out.append('<h3>Operational checklist</h3><p class="score">Score %s</p>' % _e(_score_text(r)))
    out.append('<table class="checklist"><tr><th>item</th><th>status</th><th>detail</th></tr>')
    for i in r['checklist']:
        out.append('<tr><td>%s</td><td class="%s">%s</td><td>%s</td></tr>' % (
            _e(i['title']), _e(i['status']), _e(i['status'].upper()), _e(i['detail'])))
    out.append('</table><h3>Findings</h3>')
    if not r['findings']:
        out.append('<p>No findings.</p>')
    for sev in SEVERITIES:
        found = [f for f in r['findings'] if f['severity'] == sev]
        if not found:
            continue
        out.append('<h4><span class="sev %s">%s</span> %d finding(s)</h4>' % (sev, sev, len(found)))
        out.append('<table class="findings"><tr><th>finding</th><th>subject</th><th>evidence</th><th>fix</th></tr>')
        for f in found:
            out.append('<tr class="finding %s"><td>%s<br><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                sev, _e(f['title']), _e(f['id']), _e(f['subject']), _e(f['evidence']), _e(f['fix'])))
        out.append('</table>')
    if r['not_visible']:
        items = ''.join('<li>%s</li>' % _e(n) for n in r['not_visible'])
        out.append('<h3>Not visible from this login</h3><ul>%s</ul>' % items)
    out.append('</section>')
    return out
