"""audit_info and playbooks/audit.yml against a real PostgreSQL of their own, on hostile input: IPv6 and split
pg_hba lines through pg_hba_file_rules, clear-text (ldap) and ident lines, a quoted shared_preload_libraries,
CREATE on databases, names that are not valid UTF-8 (a SQL_ASCII database), host names that are paths."""
import json
import os
import subprocess
import sys

import pytest

from pgserver import PgServer
from runner import run_module
from test_audit_info import enable_ssl, hba_path, reload, write_as_postgres

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAS_PGAUDIT = bool([d for d in os.listdir('/usr/lib/postgresql') if os.path.exists(
    '/usr/lib/postgresql/%s/lib/pgaudit.so' % d)]) if os.path.isdir('/usr/lib/postgresql') else False


@pytest.fixture(scope='module')
def srv():
    server = PgServer().start()
    enable_ssl(server)  # hostssl lines are errors in pg_hba_file_rules while ssl is off
    server.original_hba = open(hba_path(server)).read()
    yield server
    server.stop()


def audit(srv, **args):
    res = run_module('pgwarden.postgresql.audit_info', dict(srv.connection_args(), rto_minutes=60, **args))
    assert not res.get('failed'), res.get('msg')
    return res


def ids(res, fid):
    return dict((f['subject'], f) for f in res['findings'] if f['id'] == fid)


def item(res, key):
    return [i for i in res['checklist'] if i['id'] == key][0]


def with_hba(srv, *lines):
    write_as_postgres(hba_path(srv), '\n'.join(lines) + '\n' + srv.original_hba)
    reload(srv)
    errors = srv.query('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')
    assert errors == [], errors


def test_ipv6_any_address_keeps_its_prefix_and_fails_the_exposure_item(srv):
    with_hba(srv, 'hostssl all all ::/0 scram-sha-256', 'hostssl all all fd00::/64 scram-sha-256',
             'hostssl all all 10.0.0.0 255.255.0.0 scram-sha-256')
    res = audit(srv)
    any_lines = ids(res, 'hba_any_address')
    assert list(any_lines) == ['hostssl all all ::/0 scram-sha-256'], res['findings']
    assert any_lines['hostssl all all ::/0 scram-sha-256']['evidence'] == \
        '%s line 1: hostssl all all ::/0 scram-sha-256' % hba_path(srv)
    assert item(res, 'exposure')['status'] == 'fail'
    texts = [f['subject'] for f in res['findings']]
    assert 'hostssl all all ::' not in texts  # the prefix is never lost


def test_split_lines_that_cover_every_address_are_any_address(srv):
    with_hba(srv, 'hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 128.0.0.0/1 scram-sha-256',
             'hostssl all all ::/1 scram-sha-256', 'hostssl all all 8000::/1 scram-sha-256',
             'hostssl all all 10.1.0.0/16 scram-sha-256')
    res = audit(srv)
    assert sorted(ids(res, 'hba_any_address')) == sorted([
        'hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 128.0.0.0/1 scram-sha-256',
        'hostssl all all ::/1 scram-sha-256', 'hostssl all all 8000::/1 scram-sha-256'])
    assert item(res, 'exposure')['status'] == 'fail'
    with_hba(srv, 'hostssl all all 0.0.0.0/1 scram-sha-256', 'hostssl all all 128.0.0.0/2 scram-sha-256')
    res = audit(srv)
    assert ids(res, 'hba_any_address') == {} and item(res, 'exposure')['status'] == 'pass'


def test_ldap_over_plain_tcp_and_ident_are_findings_of_their_own(srv):
    ldap = 'host all all 10.0.0.0/8 ldap ldapserver=ldap.example.com ldapprefix="cn=" ldapsuffix=",dc=example"'
    with_hba(srv, ldap, 'hostssl all all 10.2.0.0/16 ldap ldapserver=ldap.example.com ldapprefix="cn=" ldapsuffix=",dc=x"',
             'host all all 10.3.0.0/16 ident', 'local nosuchdb all ident')
    res = audit(srv)
    clear = ids(res, 'hba_clear_text_method')
    assert len(clear) == 1 and list(clear.values())[0]['severity'] == 'high'
    assert list(clear.values())[0]['title'] == 'pg_hba line sends the password in clear text over TCP without TLS (ldap)'
    ident = ids(res, 'hba_ident')
    assert list(ident) == ['host all all 10.3.0.0/16 ident'] and ident['host all all 10.3.0.0/16 ident']['severity'] == 'high'
    assert item(res, 'tls')['status'] == 'fail' and 'hba_clear_text_method' in item(res, 'tls')['detail']
    assert 'hba_ident' in item(res, 'least_privilege')['detail']
    with_hba(srv)


def test_create_on_a_database_for_public_and_an_application_login(srv):
    srv.query('CREATE DATABASE shop')
    srv.query('CREATE ROLE shop_rw')
    srv.query("CREATE ROLE shop_app LOGIN IN ROLE shop_rw VALID UNTIL '2099-01-01'")
    srv.query('GRANT CREATE ON DATABASE shop TO PUBLIC')
    srv.query('GRANT CREATE ON DATABASE shop TO shop_rw')
    res = audit(srv, databases=['shop'])
    assert ids(res, 'public_database_create')['shop']['evidence'] == 'database shop: CREATE granted to PUBLIC'
    assert ids(res, 'app_login_database_create')['shop:shop_app']['evidence'] == \
        'database shop: CREATE granted to shop_rw (shop_app is a member)'
    srv.query('REVOKE CREATE ON DATABASE shop FROM PUBLIC, shop_rw')
    res = audit(srv, databases=['shop'])
    assert not ids(res, 'public_database_create') and not ids(res, 'app_login_database_create')


def test_names_that_are_not_utf8_never_abort_the_audit(srv):
    srv.query("CREATE DATABASE legacy ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    conn = srv.connect('legacy')
    conn.set_client_encoding('SQL_ASCII')
    with conn.cursor() as cur:
        cur.execute(b'CREATE ROLE "r\xff\xfeole" LOGIN SUPERUSER')
        cur.execute(b'CREATE TABLE "t\xe9nant" (tenant_id int)')
        cur.execute(b'CREATE DATABASE "db\xff"')
    conn.close()
    res = audit(srv)
    sup = ids(res, 'role_superuser')
    assert sup['r\\xff\\xfeole']['evidence'] == 'role r\\xff\\xfeole: SUPERUSER, LOGIN'
    assert ids(res, 'tenant_table_without_rls')['legacy.public."t\\xe9nant"']
    assert 'db\\xff' in res['server']['databases']
    assert [n for n in res['not_visible'] if n.startswith('objects of database db\\xff')], res['not_visible']


@pytest.mark.skipif(not HAS_PGAUDIT, reason='pgaudit is not installed (postgresql-<ver>-pgaudit)')
def test_a_quoted_preload_library_counts_as_loaded(srv):
    assert 'pgaudit_not_loaded' in [f['id'] for f in audit(srv)['findings']]
    # As Patroni and hand-written configurations write it: a quoted name in postgresql.conf
    conf = os.path.join(srv.data, 'postgresql.conf')
    original = open(conf).read()
    write_as_postgres(conf, original + """\nshared_preload_libraries = '"pgaudit"'\n""")
    srv.restart()
    try:
        assert srv.query("SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'") == [('"pgaudit"',)]
        assert srv.query("SELECT count(*) FROM pg_settings WHERE name = 'pgaudit.log'") == [(1,)]  # really loaded
        assert 'pgaudit_not_loaded' not in [f['id'] for f in audit(srv)['findings']]
    finally:
        write_as_postgres(conf, original)
        srv.restart()


def test_host_names_that_are_paths_never_write_outside_the_report_dir(srv, tmp_path):
    out = tmp_path / 'deep' / 'reports'
    local = dict(ansible_connection='local', ansible_python_interpreter=sys.executable, audit_become=False,
                 audit_login_unix_socket=srv.socket_dir, audit_port=srv.port, audit_rto_minutes=60)
    hosts = ['../../escaped', 'inventory', '/tmp/pgw-audit-abs']
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps(dict(postgresql=dict(hosts=dict((h, local) for h in hosts)))))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_ENABLED='yaml')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                           os.path.join(ROOT, 'playbooks', 'audit.yml'), '-e', 'audit_report_dir=%s' % out],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    written = sorted(os.listdir(str(tmp_path)))
    assert written == ['deep', 'inventory.json'] and os.listdir(str(tmp_path / 'deep')) == ['reports']
    assert not os.path.exists('/tmp/pgw-audit-abs.json')
    inv = json.loads((out / 'inventory.json').read_text())
    assert sorted(h['host'] for h in inv['hosts']) == sorted(hosts) and inv['audited'] == 3
    names = sorted(os.listdir(str(out)))
    assert len(names) == 12
    assert [n for n in names if n.startswith('inventory.')] == ['inventory.html', 'inventory.json', 'inventory.md']
    for h in inv['hosts']:
        assert json.loads((out / (h['report_name'] + '.json')).read_text())['host'] == h['host']
