"""The audit's pure half: findings and checklist from plain snapshot dicts, pg_hba parsing, access checks."""
import copy

import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_hba
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_checks import findings, summary
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_backup import (
    backup_layout, parse_pgbackrest_conf)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_read import (
    AuditError, check_access, pooler_running, read_hba_file)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_score import checklist

NOW = 1800000000.0


def role(name, oid=20000, login=True, **kw):
    r = dict(name=name, oid=oid, super=False, createrole=False, createdb=False, bypassrls=False, replication=False,
             login=login, valid_until='2099-01-01T00:00:00+00:00', member_of=[])
    r.update(kw)
    return r


def hba(*lines):
    return audit_hba.parse_text('\n'.join(lines), '/etc/postgresql/15/main/pg_hba.conf')


CLEAN = dict(
    version='15.8', version_num=150008, user='postgres', is_superuser=True, monitor=True, in_recovery=False,
    settings={'ssl': 'on', 'ssl_min_protocol_version': 'TLSv1.2', 'listen_addresses': '*',
              'shared_preload_libraries': 'pg_stat_statements,pgaudit', 'pgaudit.log': 'ddl,role',
              'log_connections': 'on', 'log_disconnections': 'on', 'archive_mode': 'on',
              'archive_command': 'pgbackrest --stanza=main archive-push %p', 'max_connections': '100'},
    roles=[role('postgres', oid=10, super=True, createrole=True, bypassrls=True, replication=True, valid_until=None),
           role('app', member_of=['app_rw']), role('app_rw', login=False),
           role('replicator', replication=True)],
    verifiers={'postgres': 'none', 'app': 'scram-sha-256', 'app_rw': 'none', 'replicator': 'scram-sha-256'},
    hba=hba('local all postgres peer', 'hostssl app app 10.1.0.0/16 scram-sha-256',
            'hostssl replication replicator 10.1.0.0/16 scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256',
            'host all all 0.0.0.0/0 reject'),
    databases=[dict(name='app', allowconn=True, template=False, public_connect=False, public_temp=False),
               dict(name='template1', allowconn=True, template=True, public_connect=True, public_temp=True)],
    objects={'app': dict(public_create_schemas=[], public_secdef=[], owned=[], table_grants=[], create_grants=[],
                         rls_not_forced=[], tenant_no_rls=[])},
    archiver=dict(archived_count=10, failed_count=0, last_archived_time='2027-01-15T07:00:00+00:00'),
    replication=dict(in_recovery=False, items=[dict(name='db2', lag_seconds=0.5, lag_bytes=0)]),
    slots=[dict(slot_name='db2', slot_type='physical', active=True, retained_bytes=100)],
    connections=dict(used=10, max_connections=100, superuser_reserved=3, reserved=0),
    pgbackrest=dict(items=[dict(stanza='main', newest_stop=NOW - 3600, newest_label='F1', cipher='aes-256-cbc',
                                cipher_known=True)]),
    pgbackrest_repos=[dict(repo='repo1', off_host=True, location='backup1', retention_full='2')],
    restore_test=dict(path='/var/lib/pgwarden/restore-test.json',
                      status=dict(result='passed', duration_seconds=120, finished_at=NOW - 86400)),
    pooler=True,
)
OPTS = dict(rto_minutes=60, runbooks='https://wiki.example/db')


def snap(**changes):
    s = copy.deepcopy(CLEAN)
    for k, v in changes.items():
        s[k] = v
    return s


def keys(found):
    return set((f['id'], f['subject'], f['severity']) for f in found)


def test_a_clean_server_has_no_findings_and_a_full_score():
    assert findings(snap(), OPTS, NOW) == []
    items, score = checklist(snap(), [], OPTS, NOW)
    assert [i['status'] for i in items] == ['pass'] * 9, items
    assert score == dict(passed=9, total=9, percent=100)


@pytest.mark.parametrize('change,expected', [
    (dict(roles=CLEAN['roles'] + [role('app2', super=True)]), ('role_superuser', 'app2', 'high')),
    (dict(roles=CLEAN['roles'] + [role('ops', createrole=True)]), ('role_createrole', 'ops', 'medium')),
    (dict(roles=CLEAN['roles'] + [role('etl', bypassrls=True, login=False)]), ('role_bypassrls', 'etl', 'medium')),
    (dict(roles=CLEAN['roles'] + [role('backup', replication=True)]), ('role_replication', 'backup', 'medium')),
    (dict(roles=CLEAN['roles'] + [role('web', valid_until=None)]), ('role_no_valid_until', 'web', 'low')),
    (dict(roles=CLEAN['roles'] + [role('old')], verifiers=dict(CLEAN['verifiers'], old='md5')),
     ('role_md5_password', 'old', 'medium')),
    (dict(roles=CLEAN['roles'] + [role('old')], verifiers=dict(CLEAN['verifiers'], old='plain')),
     ('role_plain_password', 'old', 'high')),
])
def test_role_findings(change, expected):
    assert keys(findings(snap(**change), OPTS, NOW)) == set([expected])


@pytest.mark.parametrize('line,expected', [
    ('host all all 10.0.0.0/8 trust', [
        ('hba_trust', 'host all all 10.0.0.0/8 trust', 'high'),
        ('hba_no_ssl', 'host all all 10.0.0.0/8 trust', 'medium')]),
    ('local all all trust', [('hba_trust', 'local all all trust', 'medium')]),
    ('hostssl all all 10.0.0.0 255.0.0.0 password', [('hba_password', 'hostssl all all 10.0.0.0/8 password',
                                                      'medium')]),
    ('hostssl all all 10.0.0.0/8 md5', [('hba_md5', 'hostssl all all 10.0.0.0/8 md5', 'medium')]),
    ('hostnossl all all 192.0.2.0/24 scram-sha-256', [('hba_no_ssl', 'hostnossl all all 192.0.2.0/24 scram-sha-256',
                                                       'medium')]),
    ('hostssl all all 0.0.0.0/0 scram-sha-256', [
        ('hba_any_address', 'hostssl all all 0.0.0.0/0 scram-sha-256', 'medium'),
        ('listen_all_open_hba', 'listen_addresses', 'high')]),
    ('hostssl all all ::/0 cert', [('hba_any_address', 'hostssl all all ::/0 cert', 'medium'),
                                   ('listen_all_open_hba', 'listen_addresses', 'high')]),
    ('host all all ::1/128 scram-sha-256', []),
])
def test_hba_findings(line, expected):
    rules = hba(line) + CLEAN['hba']
    assert keys(findings(snap(hba=rules), OPTS, NOW)) == set(expected)


def test_trust_evidence_names_the_line_and_the_login_roles_let_in():
    roles = CLEAN['roles'] + [role('rep', member_of=['readers']), role('readers', login=False)]
    found = findings(snap(roles=roles, hba=hba('host app +readers,app 10.0.0.0/8 trust')), OPTS, NOW)
    trust = [f for f in found if f['id'] == 'hba_trust'][0]
    assert trust['evidence'].startswith('/etc/postgresql/15/main/pg_hba.conf line 1: host app +readers,app')
    assert trust['evidence'].endswith('without a password: app, rep')
    assert 'hardening_allowlist' in trust['fix']


def test_open_hba_only_high_with_listen_all():
    s = snap(hba=hba('hostssl all all 0.0.0.0/0 scram-sha-256'))
    s['settings']['listen_addresses'] = '10.1.2.3'
    assert keys(findings(s, OPTS, NOW)) == set([('hba_any_address', 'hostssl all all 0.0.0.0/0 scram-sha-256',
                                                 'medium')])


def objects(**kw):
    o = dict(CLEAN['objects']['app'])
    o.update(kw)
    return dict(app=o)


@pytest.mark.parametrize('objs,expected', [
    (objects(public_create_schemas=['public']), ('public_schema_create', 'app.public', 'high')),
    (objects(public_secdef=[dict(function='s.f(integer)', owner='postgres')]),
     ('public_execute_security_definer', 'app.s.f(integer)', 'medium')),
    (objects(owned=[dict(role='app', count=3, example='public.t')]), ('app_login_owns_objects', 'app:app', 'medium')),
    (objects(table_grants=[dict(role='app_rw', privilege='DELETE', count=4, example='public.t')]),
     ('app_login_delete_truncate', 'app:app', 'medium')),
    (objects(create_grants=[dict(role='app', object='schema public')]), ('app_login_ddl', 'app:app', 'medium')),
    (objects(rls_not_forced=[dict(table='public.orders', owner='app_owner')]),
     ('rls_not_forced', 'app.public.orders', 'low')),
    (objects(tenant_no_rls=[dict(table='public.invoices', column='tenant_id')]),
     ('tenant_table_without_rls', 'app.public.invoices', 'medium')),
    (objects(owned=[dict(role='postgres', count=3, example='public.t')]), None),
])
def test_privilege_findings(objs, expected):
    assert keys(findings(snap(objects=objs), OPTS, NOW)) == (set([expected]) if expected else set())


def test_delete_through_a_group_role_is_reported_with_the_group():
    grant = dict(role='app_rw', privilege='TRUNCATE', count=2, example='public.t')
    found = findings(snap(objects=objects(table_grants=[grant])), OPTS, NOW)
    assert found[0]['evidence'] == 'database app: TRUNCATE on 2 table(s) (e.g. public.t) through app_rw'


def test_public_database_privileges_skip_templates():
    dbs = CLEAN['databases'] + [dict(name='legacy', allowconn=True, template=False, public_connect=True,
                                     public_temp=True)]
    found = findings(snap(databases=dbs), OPTS, NOW)
    assert keys(found) == set([('public_database_privileges', 'legacy', 'low')])
    assert found[0]['evidence'] == 'database legacy: CONNECT, TEMPORARY granted to PUBLIC'


@pytest.mark.parametrize('settings,expected', [
    ({'ssl': 'off'}, ('ssl_off', 'ssl', 'high')),
    ({'ssl_min_protocol_version': 'TLSv1.1'}, ('tls_below_1_2', 'ssl_min_protocol_version', 'medium')),
    ({'shared_preload_libraries': ''}, ('pgaudit_not_loaded', 'shared_preload_libraries', 'medium')),
    ({'pgaudit.log': 'write'}, ('pgaudit_classes', 'pgaudit.log', 'low')),
    ({'pgaudit.log': 'all,-role'}, ('pgaudit_classes', 'pgaudit.log', 'low')),
    ({'log_disconnections': 'off'}, ('connection_logging_off', 'log_disconnections', 'low')),
    ({'archive_mode': 'off'}, ('archiving_off', 'archive_mode', 'medium')),
    ({'archive_command': '(disabled)'}, ('archiving_off', 'archive_mode', 'medium')),
])
def test_setting_findings(settings, expected):
    s = snap()
    s['settings'].update(settings)
    assert keys(findings(s, OPTS, NOW)) == set([expected])


@pytest.mark.parametrize('change,expected', [
    (dict(archiver=dict(failed_count=3, last_failed_wal='000000010000000000000042',
                        last_failed_time='2027-01-15T08:00:00Z', last_archived_time='2027-01-15T07:00:00Z')),
     ('archiver_failing', 'pg_stat_archiver', 'high')),
    (dict(pgbackrest=dict(error='pgbackrest is not installed (pgbackrest not found)')),
     ('backup_not_found', 'pgbackrest', 'medium')),
    (dict(pgbackrest=dict(items=[dict(stanza='main', newest_stop=NOW - 30 * 3600, cipher='aes-256-cbc')])),
     ('backup_older_than_rpo', 'stanza main', 'high')),
    (dict(pgbackrest=dict(items=[dict(stanza='main', newest_stop=NOW - 3600, cipher='none', cipher_known=True)])),
     ('repository_unencrypted', 'stanza main', 'medium')),
    (dict(restore_test=dict(error='no restore test status: [Errno 2] No such file')),
     ('restore_test_missing', 'restore test', 'low')),
    (dict(restore_test=dict(path='/x', status=dict(result='passed', finished_at=NOW - 40 * 86400))),
     ('restore_test_failing', 'restore test', 'high')),
    (dict(restore_test=dict(path='/x', status=dict(result='failed', finished_at=NOW - 3600))),
     ('restore_test_failing', 'restore test', 'high')),
    (dict(replication=dict(in_recovery=False, items=[])), ('replication_none', 'pg_stat_replication', 'low')),
    (dict(replication=dict(in_recovery=False, items=[dict(name='db2', lag_seconds=900, lag_bytes=10)])),
     ('replication_lag', 'db2', 'medium')),
    (dict(slots=[dict(slot_name='old', slot_type='physical', active=False, retained_bytes=5 * 2 ** 30)]),
     ('slot_inactive_retaining_wal', 'old', 'medium')),
    (dict(slots=[dict(slot_name='old', slot_type='logical', active=False, retained_bytes=1000)]),
     ('slot_inactive_retaining_wal', 'old', 'low')),
    (dict(connections=dict(used=90, max_connections=100, superuser_reserved=3, reserved=0), pooler=False),
     ('connections_near_max_no_pooler', 'max_connections', 'medium')),
])
def test_operations_findings(change, expected):
    assert keys(findings(snap(**change), OPTS, NOW)) == set([expected])


def test_connections_near_max_with_a_pooler_is_fine():
    s = snap(connections=dict(used=90, max_connections=100, superuser_reserved=3, reserved=0))
    assert findings(s, OPTS, NOW) == []


def test_findings_sorted_by_severity_and_counted():
    s = snap(roles=CLEAN['roles'] + [role('x', valid_until=None, super=True)],
             replication=dict(in_recovery=False, items=[]), archiver=dict(failed_count=0))
    s['settings']['ssl'] = 'off'
    found = findings(s, OPTS, NOW)
    assert [f['severity'] for f in found] == ['high', 'high', 'low']
    assert summary(found) == dict(high=2, medium=0, low=1, info=0)


def test_checklist_failures_and_unknowns():
    repo = dict(repo='repo1', off_host=False, location='/var/lib/pgbackrest', retention_full=None)
    s = snap(pooler=None, pgbackrest_repos=[repo], hba=None)
    s['settings']['ssl'] = 'off'
    found = findings(s, dict(OPTS, runbooks=None), NOW)
    items, score = checklist(s, found, dict(runbooks=None), NOW)
    status = dict((i['id'], (i['status'], i['detail'])) for i in items)
    assert status['rpo_rto'][0] == 'fail' and 'no RTO defined' in status['rpo_rto'][1]
    assert status['backups'] == ('fail', 'repository on this host: repo1; no retention-full: repo1')
    assert status['tls'] == ('fail', 'findings: ssl_off')
    assert status['exposure'] == ('unknown', 'pg_hba rules not visible')
    assert status['pooling'][0] == 'unknown' and status['runbooks'][0] == 'unknown'
    assert score == dict(passed=3, total=9, percent=33)


def test_checklist_restore_slower_than_the_rto_fails():
    status = dict(result='passed', duration_seconds=7200, finished_at=NOW - 3600)
    s = snap(restore_test=dict(path='/x', status=status))
    items = checklist(s, findings(s, OPTS, NOW), OPTS, NOW)[0]
    assert items[0]['status'] == 'fail' and 'over the RTO of 60' in items[0]['detail']


def test_pg_hba_file_rules_rows_and_file_text_give_the_same_rules():
    rows = [dict(line_number=3, type='host', database=['all'], user_name=['all'], address='10.0.0.0',
                 netmask='255.0.0.0', auth_method='md5', options=None, error=None),
            dict(line_number=4, type='local', database=['all'], user_name=['postgres'], address=None,
                 netmask=None, auth_method='peer', options=['map=x'], error=None)]
    text = '# comment\n\nhost all all 10.0.0.0 255.0.0.0 md5 # old\nlocal all postgres peer map=x\n'
    view, parsed = audit_hba.from_view(rows), audit_hba.parse_text(text)
    strip = [dict((k, v) for k, v in r.items() if k != 'file') for r in view]
    assert strip == [dict((k, v) for k, v in r.items() if k != 'file') for r in parsed]
    assert parsed[0]['text'] == 'host all all 10.0.0.0/8 md5'
    bad = audit_hba.parse_text('include_dir conf.d\nhost all all\n')
    assert [r['error'] for r in bad] == ['not followed by the audit: include_dir', 'too few fields']


@pytest.mark.parametrize('info,message', [
    (dict(version_num=120016, version='12.16', user='postgres', is_superuser=True, monitor=True),
     'server version 12.16 is out of the supported range: audit_info supports PostgreSQL 13 to 17'),
    (dict(version_num=180001, version='18.1', user='postgres', is_superuser=True, monitor=True),
     'server version 18.1 is out of the supported range'),
    (dict(version_num=150008, version='15.8', user='web', is_superuser=False, monitor=False),
     'login_user web lacks the rights to audit this server: it needs membership in pg_monitor '
     '(GRANT pg_monitor TO web) or superuser'),
])
def test_access_check_refuses_versions_and_logins(info, message):
    with pytest.raises(AuditError) as e:
        check_access(info, 'x')
    assert str(e.value).startswith(message)


def test_access_check_accepts_13_to_17_with_pg_monitor():
    for num in (130000, 140010, 150008, 160004, 170002):
        check_access(dict(version_num=num, version=str(num), user='a', is_superuser=False, monitor=True), 'a')


def test_pgbackrest_conf_layout_never_carries_secrets():
    conf = parse_pgbackrest_conf('[global]\nrepo1-host=backup1\nrepo1-retention-full=2\nrepo1-cipher-pass=s3cret\n'
                                 'repo2-type=s3\nrepo2-s3-key-secret=k\n\n[main]\npg1-path=/var/lib/postgresql/15/main\n')
    layout = backup_layout(conf)
    assert layout == [dict(repo='repo1', off_host=True, host='backup1', path='/var/lib/pgbackrest', location='backup1',
                           retention_full='2'),
                      dict(repo='repo2', off_host=True, host=None, path='/var/lib/pgbackrest', location='s3',
                           retention_full=None)]
    assert 's3cret' not in repr(layout) and backup_layout({}) == [
        dict(repo='repo1', off_host=False, host=None, path='/var/lib/pgbackrest', location='/var/lib/pgbackrest',
             retention_full=None)]


def test_unreadable_hba_file_says_what_to_do(tmp_path):
    rules, why = read_hba_file(str(tmp_path / 'missing' / 'pg_hba.conf'))
    assert rules is None and 'run with become (audit_become)' in why
    assert read_hba_file(None)[1].startswith('pg_hba rules: hba_file is not visible')


def test_pooler_process_found_in_proc(tmp_path):
    for pid, comm in (('1', 'systemd'), ('42', 'pgbouncer'), ('self', 'x')):
        (tmp_path / pid).mkdir()
        (tmp_path / pid / 'comm').write_text(comm + '\n')
    assert pooler_running(['pgbouncer'], str(tmp_path)) is True
    assert pooler_running(['pgpool'], str(tmp_path)) is False


def test_hba_text_ends_lines_at_newline_only():
    """PostgreSQL ends a pg_hba.conf line at '\\n' only: a comment holding U+2028 or U+0085 is one comment."""
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_hba import parse_text
    text = u'# note\u2028host all all 0.0.0.0/0 trust\n# more\x85host all all ::/0 trust\nlocal all postgres peer\n'
    rules = parse_text(text, '/x/pg_hba.conf')
    assert [(r['line'], r['type']) for r in rules] == [(3, 'local')]
