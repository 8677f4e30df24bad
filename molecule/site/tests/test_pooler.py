"""PgBouncer on every member (group pgbouncer), checked from the repository host as a client with psql:
TLS with verify-full against the site's CA, SCRAM through auth_query (the lookup objects were made on the
leader and reached the replicas by replication), a wrong password refused, no application password on
the pooler."""
import pytest

from sitelib import MEMBERS, REPO_HOST, host

CA = '/etc/postgresql/pgwarden-tls/ca.crt'
APP_USER, APP_PASSWORD = 'shop_app', 'Shop-App-pw-2026!x'


def through_pgbouncer(member, password, query):
    dsn = ('host=%s port=6432 dbname=app user=%s sslmode=verify-full sslrootcert=%s connect_timeout=10'
           % (member, APP_USER, CA))
    return host(REPO_HOST).run('env PGPASSWORD=%s psql -XAtq -v ON_ERROR_STOP=1 %s -c %s', password, dsn, query)


@pytest.mark.parametrize('member', MEMBERS)
def test_client_reaches_the_database_through_pgbouncer_with_scram_and_verify_full(member):
    res = through_pgbouncer(member, APP_PASSWORD, 'SELECT current_user, current_database()')
    assert res.rc == 0 and res.stdout.strip() == '%s|app' % APP_USER, res.stderr
    pools = host(member).check_output('runuser -u postgres -- psql -XAtq -p 6432 -h /var/run/postgresql -d pgbouncer '
                                      '-c "SHOW POOLS"')
    assert any(line.startswith('app|%s|' % APP_USER) for line in pools.splitlines()), pools


def test_wrong_password_is_refused_and_no_application_password_is_on_the_pooler():
    res = through_pgbouncer(MEMBERS[0], 'Not-the-password-1!', 'SELECT 1')
    # PgBouncer 1.18 says 'SASL authentication failed': the SCRAM exchange itself refused the password
    assert res.rc != 0 and 'authentication failed' in res.stderr, res.stderr
    for member in MEMBERS:
        auth = host(member).check_output('cat /etc/pgbouncer/userlist.txt')
        assert APP_USER not in auth and APP_PASSWORD not in auth
