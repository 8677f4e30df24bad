"""audit_info against a real, deliberately misconfigured PostgreSQL of its own (it restarts it)."""
import hashlib
import os
import pwd
import subprocess

import pytest

from pgserver import PgServer
from runner import run_module

TRUST = 'host all all 127.0.0.1/32 trust'


@pytest.fixture(scope='module')
def srv():
    server = PgServer().start()
    yield server
    server.stop()


def audit(srv, check=False, **args):
    res = run_module('pgwarden.postgresql.audit_info', dict(srv.connection_args(), rto_minutes=60, **args), check=check)
    assert not res.get('failed'), res.get('msg')
    assert res['not_visible'] == []  # a superuser on the host sees everything
    return res


def keys(res):
    return set((f['id'], f['subject']) for f in res['findings'])


def by_key(res, fid, subject):
    found = [f for f in res['findings'] if (f['id'], f['subject']) == (fid, subject)]
    assert len(found) == 1, res['findings']
    return found[0]


def hba_path(srv):
    return os.path.join(srv.data, 'pg_hba.conf')


def write_as_postgres(path, text):
    with open(path, 'w') as f:
        f.write(text)
    pw = pwd.getpwnam('postgres')
    if os.geteuid() == 0:
        os.chown(path, pw.pw_uid, pw.pw_gid)


def reload(srv):
    srv.query('SELECT pg_reload_conf()')
    srv.query('SELECT pg_sleep(0.3)')


def enable_ssl(srv):
    crt, key = os.path.join(srv.data, 'audit.crt'), os.path.join(srv.data, 'audit.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
                    '-keyout', key, '-out', crt], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pw = pwd.getpwnam('postgres')
    for p in (crt, key):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    os.chmod(key, 0o600)
    srv.query("ALTER SYSTEM SET ssl_cert_file = %s", (crt,))
    srv.query("ALTER SYSTEM SET ssl_key_file = %s", (key,))
    srv.query("ALTER SYSTEM SET ssl = on")
    reload(srv)
    assert srv.query("SELECT current_setting('ssl')") == [('on',)]


def test_misconfigurations_are_reported_and_each_fix_removes_exactly_its_finding(srv):
    base = audit(srv)
    # a fresh initdb already has two of the six: ssl off and no WAL archiving
    ssl = by_key(base, 'ssl_off', 'ssl')
    assert (ssl['severity'], ssl['evidence']) == ('high', 'ssl = off') and 'tls_min_protocol_version' in ssl['fix']
    arch = by_key(base, 'archiving_off', 'archive_mode')
    assert arch['severity'] == 'medium' and arch['evidence'].startswith('archive_mode = off')

    hba = open(hba_path(srv)).read()
    write_as_postgres(hba_path(srv), TRUST + '\n' + hba)
    reload(srv)
    srv.query('GRANT CREATE ON SCHEMA public TO PUBLIC')
    srv.query("CREATE ROLE app LOGIN SUPERUSER PASSWORD 'App-pw-1' VALID UNTIL '2099-01-01'")
    conn = srv.connect()
    with conn.cursor() as cur:
        cur.execute("SET password_encryption = 'md5'")
        cur.execute("CREATE ROLE legacy LOGIN PASSWORD 'Legacy-pw-1' VALID UNTIL '2099-01-01'")
    conn.close()

    bad = audit(srv)
    assert keys(bad) - keys(base) == set([('hba_trust', TRUST), ('public_schema_create', 'postgres.public'),
                                          ('role_superuser', 'app'), ('role_md5_password', 'legacy')])
    trust = by_key(bad, 'hba_trust', TRUST)
    assert trust['severity'] == 'high'
    assert trust['evidence'] == '%s line 1: %s; login roles let in without a password: app, legacy, postgres' % (
        hba_path(srv), TRUST)
    assert by_key(bad, 'public_schema_create', 'postgres.public')['severity'] == 'high'
    assert by_key(bad, 'public_schema_create', 'postgres.public')['evidence'] == \
        'database postgres: schema public grants CREATE to PUBLIC'
    sup = by_key(bad, 'role_superuser', 'app')
    assert (sup['severity'], sup['evidence']) == ('high', 'role app: SUPERUSER, LOGIN')
    md5 = by_key(bad, 'role_md5_password', 'legacy')
    assert (md5['severity'], md5['evidence']) == ('medium', 'pg_authid.rolpassword of legacy is an MD5 hash')
    verifier = 'md5' + hashlib.md5(b'Legacy-pw-1legacy').hexdigest()
    assert srv.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'legacy'") == [(verifier,)]
    assert 'Legacy-pw-1' not in bad['_stdout'] and verifier not in bad['_stdout']

    def fixed(fid, subject):
        after = audit(srv)
        assert keys(after) == keys(fixed.before) - set([(fid, subject)]), (fid, subject)
        fixed.before = after
    fixed.before = bad

    write_as_postgres(hba_path(srv), hba)
    reload(srv)
    fixed('hba_trust', TRUST)
    srv.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
    fixed('public_schema_create', 'postgres.public')
    srv.query('ALTER ROLE app NOSUPERUSER')
    fixed('role_superuser', 'app')
    conn = srv.connect()
    with conn.cursor() as cur:
        cur.execute("SET password_encryption = 'scram-sha-256'")
        cur.execute("ALTER ROLE legacy PASSWORD 'Legacy-pw-2'")
    conn.close()
    fixed('role_md5_password', 'legacy')
    enable_ssl(srv)
    fixed('ssl_off', 'ssl')
    srv.query('ALTER SYSTEM SET archive_mode = on')
    srv.query("ALTER SYSTEM SET archive_command = '/bin/true'")
    srv.restart()
    fixed('archiving_off', 'archive_mode')


def test_check_mode_is_the_same_read_only_run(srv):
    offset = srv.log_size()
    normal = audit(srv)
    checked = audit(srv, check=True)
    assert normal['findings'] == checked['findings'] and normal['changed'] is False and checked['changed'] is False
    ran = srv.statements_since(offset)
    assert ran and not [s for s in ran if s.split()[0].upper() in ('INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER',
                                                                   'DROP', 'GRANT', 'REVOKE')]


def test_a_fixed_number_of_queries_for_10_or_500_objects(srv):
    srv.query('CREATE DATABASE many')

    def add(start, stop):
        srv.query("""DO $$BEGIN FOR i IN %d..%d LOOP
            EXECUTE format('CREATE ROLE r%%s LOGIN', i);
            EXECUTE format('CREATE TABLE t%%s (id int, tenant_id int)', i);
            EXECUTE format('GRANT DELETE ON t%%s TO r%%s', i, i);
            EXECUTE format('CREATE FUNCTION f%%s() RETURNS int LANGUAGE sql SECURITY DEFINER AS ''SELECT 1''', i);
          END LOOP; END$$""" % (start, stop), dbname='many')

    def run():
        offset = srv.log_size()
        res = audit(srv, databases=['many'])
        return res, srv.statements_since(offset)

    add(1, 10)
    small, small_sql = run()
    add(11, 500)
    large, large_sql = run()
    assert len(small_sql) == len(large_sql) and len(large_sql) <= 8, large_sql
    count = dict((n, sum(1 for f in large['findings'] if f['id'] == n)) for n in (
        'tenant_table_without_rls', 'public_execute_security_definer', 'app_login_delete_truncate'))
    assert count == dict(tenant_table_without_rls=500, public_execute_security_definer=500,
                         app_login_delete_truncate=500)
    assert sum(1 for f in small['findings'] if f['id'] == 'tenant_table_without_rls') == 10


def test_rls_enabled_not_forced_and_app_login_owning_objects(srv):
    srv.query('CREATE ROLE owner_app LOGIN')
    srv.query('CREATE TABLE public.orders (id int, tenant_id int)')
    srv.query('ALTER TABLE public.orders OWNER TO owner_app')
    srv.query('ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY')
    res = audit(srv, databases=['postgres'])
    rls = by_key(res, 'rls_not_forced', 'postgres.public.orders')
    assert rls['evidence'] == ('database postgres: table public.orders has ROW LEVEL SECURITY without FORCE: its '
                               'owner owner_app bypasses the policies')
    assert by_key(res, 'app_login_owns_objects', 'postgres:owner_app')['evidence'].endswith('1 object(s): public.orders')
    assert ('tenant_table_without_rls', 'postgres.public.orders') not in keys(res)
    srv.query('ALTER TABLE public.orders FORCE ROW LEVEL SECURITY')
    assert ('rls_not_forced', 'postgres.public.orders') not in keys(audit(srv, databases=['postgres']))


def test_a_login_without_rights_and_a_pg_monitor_login(srv):
    srv.query('CREATE ROLE weak LOGIN')
    res = run_module('pgwarden.postgresql.audit_info', dict(srv.connection_args(), login_user='weak'))
    assert res['failed'] and res['msg'] == ('login_user weak lacks the rights to audit this server: it needs '
                                            'membership in pg_monitor (GRANT pg_monitor TO weak) or superuser')
    srv.query('CREATE ROLE auditor LOGIN IN ROLE pg_monitor')
    res = run_module('pgwarden.postgresql.audit_info', dict(srv.connection_args(), login_user='auditor'))
    assert not res.get('failed'), res.get('msg')
    assert res['server']['superuser'] is False
    assert any(n.startswith('password verifiers (pg_authid needs superuser)') for n in res['not_visible'])
    assert not [f for f in res['findings'] if f['id'] in ('role_md5_password', 'role_plain_password')]


def test_bad_option_fails_naming_it(srv):
    res = run_module('pgwarden.postgresql.audit_info', dict(srv.connection_args(), rpo_hours=0))
    assert res['failed'] and res['msg'] == 'rpo_hours: must be greater than 0, got 0.0'
    res = run_module('pgwarden.postgresql.audit_info', dict(srv.connection_args(), databases=['nope']))
    assert res['failed'] and res['msg'] == 'databases: no such database accepting connections: nope'
