"""The audit on hostile input (pure): IPv6 prefixes and splits that cover every address, clear-text and ident
pg_hba methods, quoted shared_preload_libraries, CREATE on databases, undecodable names, and reports that
neither run markup nor control a terminal nor write outside their directory."""
import copy
import json
import re

import pytest

from test_audit_checks import CLEAN, NOW, OPTS, hba

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_hba
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_render as ar
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_checks import findings, preload_libraries
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_read import decode_json
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_score import checklist


def snap(**changes):
    s = copy.deepcopy(CLEAN)
    s.update(changes)
    return s


def found(s):
    return dict(((f['id'], f['subject']), f) for f in findings(s, OPTS, NOW))


def status(s):
    items = checklist(s, findings(s, OPTS, NOW), OPTS, NOW)[0]
    return dict((i['id'], i['status']) for i in items)


def test_ipv6_netmasks_from_pg_hba_file_rules_keep_their_prefix():
    rows = [dict(line_number=1, type='hostssl', database=['all'], user_name=['all'], address='::', netmask='::',
                 auth_method='scram-sha-256'),
            dict(line_number=2, type='hostssl', database=['all'], user_name=['all'], address='fd00::',
                 netmask='ffff:ffff:ffff:ffff::', auth_method='scram-sha-256'),
            dict(line_number=3, type='hostssl', database=['all'], user_name=['all'], address='10.0.0.0',
                 netmask='255.255.0.0', auth_method='scram-sha-256')]
    rules = audit_hba.from_view(rows, '/pg_hba.conf')
    assert [r['address'] for r in rules] == ['::/0', 'fd00::/64', '10.0.0.0/16']
    assert rules[0]['text'] == 'hostssl all all ::/0 scram-sha-256'
    s = snap(hba=rules)
    got = found(s)
    assert got[('hba_any_address', 'hostssl all all ::/0 scram-sha-256')]['evidence'] == \
        '/pg_hba.conf line 1: hostssl all all ::/0 scram-sha-256'
    assert ('listen_all_open_hba', 'listen_addresses') in got and status(s)['exposure'] == 'fail'


@pytest.mark.parametrize('lines,version', [
    (['hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 128.0.0.0/1 scram-sha-256'], 4),
    (['hostssl all all 0.0.0.0/2 scram-sha-256', 'hostssl all all 64.0.0.0/2 scram-sha-256',
      'hostssl all all 128.0.0.0/1 scram-sha-256', 'hostssl all all 10.1.0.0/16 scram-sha-256'], 4),
    (['hostssl all all ::/1 scram-sha-256', 'hostssl app all 8000::/1 scram-sha-256'], 6),
])
def test_splits_that_cover_every_address_are_any_address(lines, version):
    s = snap(hba=hba(*lines))
    got = [f for f in findings(s, OPTS, NOW) if f['id'] == 'hba_any_address']
    wide = [x for x in lines if '10.1.0.0' not in x]
    assert sorted(f['subject'] for f in got) == sorted(wide)
    assert all('lets in every IPv%d address' % version in f['evidence'] for f in got)
    assert status(s)['exposure'] == 'fail' and any(f['id'] == 'listen_all_open_hba' for f in findings(s, OPTS, NOW))


def test_splits_that_leave_a_gap_or_are_rejected_are_not_any_address():
    for lines in (['hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 128.0.0.0/2 scram-sha-256'],
                  ['hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 128.0.0.0/1 reject'],
                  ['hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 8000::/1 scram-sha-256']):
        s = snap(hba=hba(*lines))
        assert not [f for f in findings(s, OPTS, NOW) if f['id'] == 'hba_any_address'], lines
        assert status(s)['exposure'] == 'pass'


@pytest.mark.parametrize('line,expected', [
    ('host all all 10.0.0.0/8 ldap ldapserver=ldap.example ldapprefix="cn=" ldapsuffix=",dc=example"',
     ('hba_clear_text_method', 'high')),
    ('hostnossl all all 10.0.0.0/8 pam', ('hba_clear_text_method', 'high')),
    ('host all all 127.0.0.1/32 radius radiusservers=r radiussecrets=s', ('hba_clear_text_method', 'medium')),
    ('host all all 10.0.0.0/8 ident', ('hba_ident', 'high')),
    ('host all all ::1/128 ident', ('hba_ident', 'medium')),
])
def test_clear_text_methods_over_tcp_and_ident_are_findings_of_their_own(line, expected):
    s = snap(hba=hba('hostssl all all 10.0.0.0/8 ldap ldapserver=ldap.example', line))
    got = [(f['id'], f['severity']) for f in findings(s, OPTS, NOW) if f['id'] in ('hba_clear_text_method', 'hba_ident')]
    assert got == [expected]  # the hostssl ldap line is not one: the password travels over TLS
    assert status(s)['tls' if expected[0] == 'hba_clear_text_method' else 'least_privilege'] == 'fail'


def test_local_ident_is_peer_and_no_finding():
    assert not found(snap(hba=hba('local all all ident')))


@pytest.mark.parametrize('value,loaded', [
    ('"pgaudit"', True), ('pg_stat_statements, "pgaudit"', True), (' PGAUDIT ', True), ('$libdir/pgaudit', True),
    ('"PGAUDIT"', False), ('"pgaudit,x"', False), ('pgaudit_x', False), ('', False)])
def test_quoted_preload_libraries(value, loaded):
    s = snap()
    s['settings']['shared_preload_libraries'] = value
    assert (('pgaudit_not_loaded', 'shared_preload_libraries') not in found(s)) is loaded
    assert preload_libraries('"a""b", c') == ['a"b', 'c']


def test_create_on_a_database_for_public_or_an_application_login():
    dbs = [dict(name='app', allowconn=True, template=False, public_create=True, create_grantees=['app_rw']),
           dict(name='ops', allowconn=True, template=False, create_grantees=['app']),
           dict(name='template1', allowconn=True, template=True, public_create=True)]
    s = snap(databases=dbs)
    got = found(s)
    assert got[('public_database_create', 'app')]['evidence'] == 'database app: CREATE granted to PUBLIC'
    assert got[('app_login_database_create', 'app:app')]['evidence'] == \
        'database app: CREATE granted to app_rw (app is a member)'
    assert got[('app_login_database_create', 'ops:app')]['evidence'] == 'database ops: CREATE granted to app'
    assert not [k for k in got if k[1].startswith('template1')] and status(s)['least_privilege'] == 'fail'


def test_names_that_are_not_utf8_are_shown_escaped():
    raw = b'{"name": "bad\xff\xferole", "ok": "caf\xc3\xa9"}'
    assert decode_json(raw, 'SQL_ASCII') == dict(name='bad\\xff\\xferole', ok=u'caf\xe9')
    assert decode_json(b'["\xe9t\xe9"]', 'LATIN1') == [u'\xe9t\xe9']
    assert decode_json(None, 'UTF8') is None


HOSTILE = u'\x1b[31mred\x1b[0m \u202egnp.exe\u202c <img src=x onerror=alert(1)> [click](http://evil) a\rb'


def hostile_report():
    f = dict(id='hba_trust', severity='high', subject=HOSTILE, title='t', evidence=HOSTILE, fix='f')
    res = dict(server=dict(version='15', role='primary', login_user=HOSTILE, databases=[HOSTILE, 'app']),
               score=dict(passed=1, total=9, percent=11), summary=dict(high=1, medium=0, low=0, info=0),
               checklist=[dict(id='tls', title='TLS', status='fail', detail=HOSTILE)], findings=[f], not_visible=[HOSTILE])
    return ar.inventory_report([ar.host_report(res, '../../x'), ar.host_report(dict(failed=True, msg=HOSTILE), 'db2')])


def test_control_and_bidirectional_characters_are_visible_in_json_markdown_and_html():
    inv = hostile_report()
    as_json = json.dumps(inv, ensure_ascii=False)
    # Markdown escapes the escapes' backslash (it renders as \\x1b) and the bracket
    md = ('\\\\x1b\\[31mred', '\\\\u202egnp.exe\\\\u202c', 'a\\\\x0db')
    plain = ('\\x1b[31mred', '\\u202egnp.exe\\u202c', 'a\\x0db')
    for text, visible in ((json.loads(as_json)['hosts'][0]['findings'][0]['evidence'], plain),
                          (ar.markdown(inv), md), (ar.html(inv), plain)):
        for c in (u'\x1b', u'\u202e', u'\u202c', u'\r'):
            assert c not in text and c not in as_json
        assert all(v in text for v in visible), (visible, text)
    assert inv['hosts'][0]['findings'][0]['evidence'].startswith('\\x1b[31mred\\x1b[0m \\u202egnp.exe')
    assert inv['hosts'][1]['error'].startswith('\\x1b[31mred')


def test_markdown_escapes_html_and_links_everywhere_the_databases_line_included():
    md = ar.markdown(hostile_report())
    assert not re.search(r'(?<!\\)<img', md) and not re.search(r'(?<!\\)\]\(', md) and not re.search(r'(?<!\\)\[click', md)
    databases = [line for line in md.splitlines() if line.startswith('PostgreSQL 15')][0]
    assert databases.endswith('\\<img src=x onerror=alert(1)\\> \\[click\\](http://evil) a\\\\x0db, app.')
    assert 'login \\\\x1b\\[31mred' in databases
    page = ar.html(hostile_report())
    assert '<img' not in page and '&lt;img src=x' in page


@pytest.mark.parametrize('host,name', [('db1.example.com', 'db1.example.com'), ('db_2-a', 'db_2-a')])
def test_report_names_keep_plain_host_names(host, name):
    assert ar.report_name(host) == name


@pytest.mark.parametrize('host', ['../../x', '/etc/passwd', '..', '.hidden', 'inventory', 'a/b', 'a\\b', 'x\x00y', u'd\u00e9'])
def test_report_names_never_leave_the_directory_nor_take_the_inventory_reports(host):
    name = ar.report_name(host)
    assert set(name) <= set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-')
    assert not name.startswith('.') and name != 'inventory' and name != ar.report_name(host + 'x')
    assert ar.report_name('a/b') != ar.report_name('a_b')
