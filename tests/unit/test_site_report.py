"""The site report of playbooks/report.yml from plain data (plugins/filter/site_report.py)."""
from ansible_collections.pgwarden.postgresql.plugins.filter import site_report as sr

NOW = 1_800_000_000.0
DB = ['db1', 'db2', 'db3']
GROUPS = dict(postgresql=DB, patroni=DB, pgbouncer=DB, pgbackrest_repo=['repo'], haproxy=['repo'])
HBA_OK = [
    dict(line_number=1, type='local', database=['all'], user_name=['postgres'], auth_method='peer'),
    dict(line_number=2, type='hostssl', database=['replication'], user_name=['replicator'], address='10.88.0.0',
         netmask='255.255.0.0', auth_method='scram-sha-256'),
    dict(line_number=3, type='hostssl', database=['all'], user_name=['all'], address='10.88.0.0',
         netmask='255.255.0.0', auth_method='scram-sha-256'),
    dict(line_number=4, type='host', database=['all'], user_name=['all'], address='0.0.0.0', netmask='0.0.0.0',
         auth_method='reject'),
    # Loopback without TLS never leaves the host (Patroni's own rules).
    dict(line_number=5, type='host', database=['all'], user_name=['all'], address='127.0.0.1', netmask='255.255.255.255',
         auth_method='scram-sha-256'),
    dict(line_number=6, type='host', database=['all'], user_name=['all'], address='::1',
         netmask='ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', auth_method='scram-sha-256'),
]


def server(in_recovery=False, ssl='on', libs='pgaudit', log='ddl,role', ext='1.7', hba=None, lag=None):
    items = [dict(name='replay', lag_bytes=lag or 0, lag_seconds=0.5)] if in_recovery else []
    return dict(version='15.20 (Debian 15.20-0+deb12u1)', in_recovery=in_recovery, pgaudit_extension=ext,
                settings={'ssl': ssl, 'ssl_min_protocol_version': 'TLSv1.2', 'shared_preload_libraries': libs,
                          'pgaudit.log': log, 'port': '5432'},
                hba=HBA_OK if hba is None else hba, replication=dict(in_recovery=in_recovery, items=items))


def patroni(lag2=0, state3='streaming'):
    return dict(leader='db1', members=[
        dict(name='db1', role='leader', state='running', timeline=2, lag=0),
        dict(name='db2', role='replica', state='streaming', timeline=2, lag=lag2),
        dict(name='db3', role='sync_standby', state=state3, timeline=2, lag=0)])


def cluster_hosts(**over):
    hosts = dict(
        db1=dict(server=server(), patroni=patroni(),
                 vars=dict(pgbouncer_port=6432, pgbouncer_databases=[dict(name='app')]), services=dict(pgbouncer='running')),
        db2=dict(server=server(True), patroni=patroni(), vars=dict(pgbouncer_port=6432), services=dict(pgbouncer='running')),
        db3=dict(server=server(True), patroni=patroni(), vars=dict(pgbouncer_port=6432), services=dict(pgbouncer='running')),
        repo=dict(backup=dict(exists=True, backups=[{}, {}],
                              newest_backup=dict(label='20260101-010000F', type='full', finished=NOW - 7200),
                              newest_backup_age_seconds=7200,
                              repositories=[dict(key=1, code=0), dict(key=2, code=0)]),
                  restore_test=dict(result='passed', finished_at='2027-01-15T07:00:00.123456+00:00', backup_label='F1',
                                    duration_seconds=42.5, within_rto=True),
                  vars=dict(haproxy_rw_port=5000, haproxy_ro_port=5001), services=dict(haproxy='running')))
    hosts.update(over)
    return hosts


def report(hosts, groups=None, **opts):
    return sr.site_report(hosts, GROUPS if groups is None else groups, dict(dict(now=NOW), **opts))


def test_a_healthy_cluster_is_ok_with_every_part():
    r = report(cluster_hosts(), user='app', ca_file='/tmp/ca.crt')
    assert r['ok'], r['problems']
    assert r['layout'] == 'cluster' and r['leader'] == 'db1'
    assert [(m['host'], m['role'], m['state']) for m in r['members']] == [
        ('db1', 'leader', 'running'), ('db2', 'replica', 'streaming'), ('db3', 'sync_standby', 'streaming')]
    assert r['tls']['db1'] == dict(on=True, ssl=True, min_protocol='TLSv1.2', hostssl=2, hba_known=True, plain_network=[])
    assert r['audit']['db2']['on'] and r['audit']['db2']['log'] == ['ddl', 'role']
    assert r['backup']['host'] == 'repo' and r['backup']['label'] == '20260101-010000F'
    assert r['backup']['repositories'] == ['repo1 ok', 'repo2 ok']
    assert r['restore_test']['result'] == 'passed' and r['restore_test']['host'] == 'repo'
    dsns = dict((c['kind'], c['dsn']) for c in r['connections'])
    assert dsns['router read-write (leader)'] == 'postgresql://app@repo:5000/postgres?sslmode=verify-full&sslrootcert=/tmp/ca.crt'
    assert dsns['router read-only (replicas)'].startswith('postgresql://app@repo:5001/')
    assert dsns['pgbouncer (on the leader)'] == 'postgresql://app@db1:6432/app?sslmode=verify-full&sslrootcert=/tmp/ca.crt'


def test_text_is_a_table_with_every_line():
    lines = sr.site_report_text(report(cluster_hosts()))
    text = '\n'.join(lines)
    assert lines[0] == 'Site (cluster), leader db1'
    assert lines[1].split() == ['host', 'role', 'state', 'version', 'TL', 'lag', 'TLS', 'audit']
    assert 'db3   sync_standby  streaming  15.20    2   0 B' in text
    assert 'on (TLSv1.2, 2 hostssl rules)' in text and 'on (ddl,role)' in text
    assert 'Last backup: 20260101-010000F (full) on repo, 2h ago; 2 backups; repo1 ok, repo2 ok' in text
    assert 'Restore test: passed on repo' in text and 'within RTO' in text
    assert lines[-1] == 'Result: OK'


def test_lag_and_a_stopped_replica_are_problems():
    hosts = cluster_hosts()
    for h in DB:
        hosts[h]['patroni'] = patroni(lag2=64 * 1024 * 1024, state3='stopped')
    r = report(hosts)
    assert not r['ok']
    assert 'db2: replication lag 64.0 MB over 16.0 MB' in r['problems']
    assert 'db3: replica stopped' in r['problems']
    assert '64.0 MB' in '\n'.join(sr.site_report_text(r))


def test_patroni_read_from_any_member_that_answered():
    hosts = cluster_hosts()
    hosts['db1'] = dict(unreachable=True)
    hosts['db2']['patroni'] = None
    r = report(hosts)
    assert r['leader'] == 'db1' and r['members'][1]['role'] == 'replica'
    assert 'db1: unreachable' in r['problems']


def test_no_leader_is_a_problem():
    hosts = cluster_hosts()
    for h in DB:
        hosts[h]['patroni'] = None
    r = report(hosts)
    assert r['leader'] is None and 'the cluster has no leader' in r['problems']
    assert 'Patroni: no member answered' in r['problems']


def test_tls_off_when_ssl_off_or_a_plain_network_rule():
    hosts = cluster_hosts()
    hosts['db1']['server'] = server(ssl='off')
    plain = HBA_OK + [dict(line_number=9, type='host', database=['all'], user_name=['all'], address='10.0.0.0',
                           auth_method='scram-sha-256')]
    hosts['db2']['server'] = server(True, hba=plain)
    hosts['db3']['server']['hba'] = None
    r = report(hosts)
    assert 'db1: TLS off (ssl=off)' in r['problems']
    assert 'db2: TLS off (line 9: host all 10.0.0.0 scram-sha-256)' in r['problems']
    assert 'db3: TLS off (pg_hba not readable)' in r['problems']
    assert 'OFF' in '\n'.join(sr.site_report_text(r))


def test_audit_off_when_not_loaded_logging_nothing_or_no_extension():
    hosts = cluster_hosts()
    hosts['db1']['server'] = server(libs='pg_stat_statements')
    hosts['db2']['server'] = server(True, log='none')
    hosts['db3']['server'] = server(True, ext=None)
    r = report(hosts)
    assert 'db1: audit off (pgaudit not loaded)' in r['problems']
    assert 'db2: audit off (pgaudit.log is none)' in r['problems']
    assert 'db3: audit off (pgaudit extension missing)' in r['problems']


def test_old_backup_missing_backup_and_failed_restore_test():
    hosts = cluster_hosts()
    hosts['repo']['backup']['newest_backup_age_seconds'] = 3 * 86400
    hosts['repo']['restore_test'] = dict(result='failed', error='1 check(s) failed', finished_at='2027-01-15T07:00:00+00:00')
    r = report(hosts)
    assert 'newest backup is 3d old' in r['problems']
    assert 'restore test failed: 1 check(s) failed' in r['problems']
    hosts['repo'] = dict(backup=None, backup_error='no /etc/pgbackrest/pgbackrest.conf', restore_test=None,
                         restore_test_file='/var/lib/pgwarden/restore-test.json')
    r = report(hosts)
    assert r['backup']['problem'] == 'no pgBackRest information (repo: no /etc/pgbackrest/pgbackrest.conf)'
    assert r['restore_test']['problem'] == 'no restore test has run yet (status file /var/lib/pgwarden/restore-test.json)'
    text = '\n'.join(sr.site_report_text(r))
    assert 'Last backup: none' in text and 'Restore test: never run (on repo)' in text


def test_restore_test_too_old():
    hosts = cluster_hosts()
    hosts['repo']['restore_test']['finished_at'] = '2026-01-01T00:00:00+00:00'
    r = report(hosts)
    assert r['restore_test']['result'] == 'passed' and not r['restore_test']['ok']
    assert r['restore_test']['problem'].startswith('last passing restore test is ')


def test_a_stopped_router_or_pooler_is_a_problem():
    hosts = cluster_hosts()
    hosts['repo']['services']['haproxy'] = 'stopped'
    r = report(hosts)
    assert 'router read-write (leader) on repo: stopped' in r['problems']
    assert '[stopped]' in '\n'.join(sr.site_report_text(r))


def test_standalone_servers_connect_directly_and_read_their_own_backups():
    groups = dict(postgresql=['s1', 's2'])
    hosts = dict(
        s1=dict(server=server(), backup=dict(exists=True, backups=[{}], newest_backup=dict(label='L1', type='full'),
                                             newest_backup_age_seconds=60, repositories=[dict(key=1, code=0)]),
                restore_test=dict(result='passed', finished_at='2027-01-15T07:00:00+00:00')),
        s2=dict(server_error='connection refused'))
    r = report(hosts, groups)
    assert r['layout'] == 'standalone' and r['leader'] is None
    assert r['members'][0]['role'] == 'primary'
    assert r['members'][1]['state'] == 'down' and 's2: connection refused' in r['problems']
    assert r['backup']['host'] == 's1' and r['backup']['ok']
    assert [c['kind'] for c in r['connections']] == ['direct', 'direct']
    assert r['connections'][0]['dsn'] == ('postgresql://<user>@s1:5432/postgres?sslmode=verify-full'
                                          '&sslrootcert=/etc/postgresql/pgwarden-tls/ca.crt')
    assert 'the cluster has no leader' not in r['problems']


def test_ages():
    assert [sr._age(x) for x in (None, 5, 61, 7199, 7200, 86400 * 3)] == ['-', '5s', '1m', '119m', '2h', '3d']
    assert sr._epoch('2026-01-01T00:00:00+00:00') == 1767225600.0
    assert sr._epoch('nonsense') is None
