"""PgBouncer (roles/pgbouncer) in front of the app database, checked like a client would.

SCRAM through auth_query and TLS on both sides (verify-full from this machine), transaction
pooling, the admin console only on the socket, a wrong lookup password, a re-run that reloads
without a restart, and hostile variables refused before anything changes.
"""

import json
import os
import subprocess
import tempfile
import time

import pytest

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_PW = "Shop-App-pw-2026!x"
LOOKUP_PW = "Pgb-Lookup-pw-2026!x"
FILES = "/etc/pgbouncer/pgbouncer.ini /etc/pgbouncer/pgbouncer-listen.ini /etc/pgbouncer/pg_hba.conf /etc/pgbouncer/userlist.txt"


@pytest.fixture(scope="module")
def name(host):
    return getattr(host.backend, "name", None) or host.backend.host


def pooled(host, sql, db="app", user="shop_app", password=APP_PW, sslmode="require"):
    return host.run("PGCONNECT_TIMEOUT=10 PGPASSWORD=%s psql -w -X -At -v ON_ERROR_STOP=1 %s -c %s", password,
                    "host=127.0.0.1 port=6432 dbname=%s user=%s sslmode=%s" % (db, user, sslmode), sql)


def admin(host, sql):
    return host.check_output("runuser -u postgres -- psql -w -X -At -h /var/run/postgresql -p 6432 -d pgbouncer -c %s", sql)


def pg(host, sql):
    return host.check_output("runuser -u postgres -- psql -X -At -d app -c %s", sql)


def pid(host):
    return host.check_output("systemctl show -p MainPID --value pgbouncer")


def reapply(name, extra):
    res = subprocess.run(['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], '--limit', name,
                          '-e', json.dumps(extra), os.path.join(SCENARIO, 'pgbouncer-reapply.yml')],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return res.returncode, res.stdout


def test_verify_full_from_outside_with_scram_and_tls_to_postgresql(host, name):
    address = host.check_output("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
    with tempfile.NamedTemporaryFile('w', suffix='.crt') as ca:
        ca.write(host.file('/etc/postgresql/pgwarden-tls/ca.crt').content_string)
        ca.flush()

        def client(hostname, password=APP_PW, sslmode='verify-full'):
            conninfo = ('host=%s hostaddr=%s port=6432 dbname=app user=shop_app sslmode=%s sslrootcert=%s '
                        'connect_timeout=10' % (hostname, address, sslmode, ca.name))
            return subprocess.run(['psql', '-w', '-X', '-At', conninfo, '-c',
                                   'SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()'],
                                  env=dict(os.environ, PGPASSWORD=password), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, check=False)

        ok = client(name)
        # the client verified the pooler's certificate; the pooler reached PostgreSQL over TLS too
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip().startswith('shop_app|t|TLSv1.'), ok.stdout
        wrong_name = client('not-' + name)
        assert wrong_name.returncode != 0 and 'does not match host name' in wrong_name.stderr, wrong_name.stderr
        wrong_pw = client(name, password='Wrong-pw-2026!xyz')
        # PgBouncer checks the SCRAM proof itself: "SASL authentication failed"
        assert wrong_pw.returncode != 0 and 'SASL authentication failed' in wrong_pw.stderr, wrong_pw.stderr
        plain = client(name, sslmode='disable')
        assert plain.returncode != 0, plain.stdout


def test_no_application_password_on_the_pooler(host):
    userlist = host.file('/etc/pgbouncer/userlist.txt')
    assert (userlist.user, userlist.mode) == ('postgres', 0o600)
    lines = userlist.content_string.splitlines()
    assert lines[0] == '"pgbouncer_auth" "%s"' % LOOKUP_PW
    assert all(line.startswith('"postgres" "SCRAM-SHA-256$') for line in lines[1:]) and len(lines) == 2
    assert 'auth_query = SELECT usename, passwd FROM "pgbouncer".lookup($1)' in host.file('/etc/pgbouncer/pgbouncer.ini').content_string
    # only the lookup role may run the SECURITY DEFINER function, and it never returns a superuser
    assert pg(host, "SELECT has_function_privilege('shop_app', 'pgbouncer.lookup(text)', 'EXECUTE'), "
                    "has_function_privilege('pgbouncer_auth', 'pgbouncer.lookup(text)', 'EXECUTE'), "
                    "(SELECT prosecdef FROM pg_proc WHERE oid = 'pgbouncer.lookup(text)'::regprocedure), "
                    "(SELECT count(*) FROM pgbouncer.lookup('postgres'))") == 'f|t|t|0'
    denied = pooled(host, 'SELECT 1', user='postgres', password='anything-at-all-1A!')
    assert denied.rc != 0


def test_transaction_pooling_serves_two_clients_with_one_server_connection(host):
    # app_single has pool_size=1. Client A stays connected between its two transactions while
    # client B runs one: in transaction pooling all three run on the one server connection.
    script = r'''
set -e
d=$(mktemp -d); mkfifo $d/in
export PGPASSWORD='%s' PGCONNECT_TIMEOUT=10
conn="host=127.0.0.1 port=6432 dbname=app_single user=shop_app sslmode=require"
psql -w -X -At "$conn" < $d/in > $d/a.out &
exec 3> $d/in
echo "SELECT pg_backend_pid();" >&3
for i in $(seq 100); do [ -s $d/a.out ] && break; sleep 0.1; done
b=$(timeout 30 psql -w -X -At "$conn" -c "SELECT pg_backend_pid()")
echo "SELECT pg_backend_pid();" >&3
exec 3>&-
wait
echo "A=$(paste -sd, $d/a.out) B=$b"
rm -rf $d
''' % APP_PW
    out = host.check_output("bash -c %s", script)
    a, b = out.split(' ')
    first, second = a[2:].split(',')
    assert first == second == b[2:], out
    pools = admin(host, 'SHOW POOLS').splitlines()
    assert any(line.startswith('app_single|shop_app|') and 'transaction' in line.split('|') for line in pools), pools


def test_admin_console_only_on_the_socket(host):
    assert any(line.startswith('pool_mode|transaction|') for line in admin(host, 'SHOW CONFIG').splitlines())
    tcp = host.run("PGCONNECT_TIMEOUT=10 psql -w -X -At %s -c 'SHOW POOLS'",
                   "host=127.0.0.1 port=6432 dbname=pgbouncer user=postgres sslmode=require")
    assert tcp.rc != 0 and 'login rejected' in tcp.stderr, tcp.stderr
    # another OS user cannot use the socket as postgres (peer)
    other = host.run("runuser -u nobody -- psql -w -X -At -h /var/run/postgresql -p 6432 -U postgres -d pgbouncer -c 'SHOW POOLS'")
    assert other.rc != 0, other.stdout


def test_wrong_lookup_password_then_a_rerun_reloads_without_restart(host, name):
    before = pid(host)
    pool_size = int([line.split('|')[1] for line in admin(host, 'SHOW CONFIG').splitlines()
                     if line.startswith('default_pool_size|')][0])
    pg(host, "ALTER ROLE pgbouncer_auth PASSWORD 'Drifted-pw-2026!xyz'")
    pg(host, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'pgbouncer_auth'")
    admin(host, 'RECONNECT app')
    errors = []
    for _attempt in range(3):
        res = pooled(host, 'SELECT 1', user='bi_reader', password='Bi-Reader-pw-2026!')
        assert res.rc != 0, res.stdout
        errors.append(res.stderr.strip())
    # PgBouncer 1.24 passes PostgreSQL's error on; 1.18 says the server login is failing
    assert any('password authentication failed for user "pgbouncer_auth"' in e
               or 'server login has been failing' in e for e in errors), errors
    assert host.run('journalctl -u pgbouncer --no-pager --since -2min | grep -q %s',
                    'password authentication failed for user "pgbouncer_auth"').rc == 0
    # nothing else broke: PostgreSQL directly, the admin console, the same process
    direct = host.run("PGPASSWORD=%s psql -w -X -At -h 127.0.0.1 -U shop_app -d app -c 'SELECT 1'", APP_PW)
    assert direct.rc == 0 and direct.stdout.strip() == '1', direct.stderr
    assert 'app|' in admin(host, 'SHOW DATABASES')
    assert pid(host) == before

    # a re-run with another pool size sets the lookup password again and reloads: same process
    rc, out = reapply(name, {'pgbouncer_default_pool_size': pool_size + 1})
    assert rc == 0, out[-4000:]
    assert 'RUNNING HANDLER [pgwarden.postgresql.pgbouncer : Reload PgBouncer]' in out
    assert 'Restart PgBouncer' not in out
    assert pid(host) == before
    assert 'default_pool_size|%d' % (pool_size + 1) in admin(host, 'SHOW CONFIG')
    for _attempt in range(20):  # server_login_retry is 2 s in this scenario
        res = pooled(host, 'SELECT current_user', user='bi_reader', password='Bi-Reader-pw-2026!')
        if res.rc == 0:
            break
        time.sleep(0.5)
    assert res.rc == 0 and res.stdout.strip() == 'bi_reader', res.stderr


def test_hostile_database_name_changes_nothing(host, name):
    before = (host.check_output('sha256sum %s' % FILES), pid(host))
    hostile = 'app\n[pgbouncer]\nauth_type = trust'
    rc, out = reapply(name, {'pgbouncer_databases': [{'name': hostile}]})
    assert rc != 0
    assert 'pgbouncer_databases[0] name must be a database name' in out, out[-3000:]
    assert (host.check_output('sha256sum %s' % FILES), pid(host)) == before
    assert 'trust' not in host.file('/etc/pgbouncer/pgbouncer.ini').content_string
