"""Checks made from outside: libpq clients on another container, the server's own catalogs and log."""

import shlex
import uuid

# The database hosts; the client container is a test tool.
testinfra_only = ['pgw-hardening-deb12', 'pgw-hardening-deb13']


def psql(host, sql, db="postgres"):
    """A query as the postgres OS user over the unix socket; rows as lists."""
    res = host.run("runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -At -F '|' -d %s -c %s"
                   % (shlex.quote(db), shlex.quote(sql)))
    assert res.rc == 0, res.stderr
    out = res.stdout
    return [line.split("|") for line in out.splitlines() if line]


def remote(client, conninfo, sql="SELECT 1", password=None):
    env = "env PGPASSWORD=%s " % shlex.quote(password) if password else ""
    # one string, no testinfra arguments: testinfra would quote them a second time
    return client.run("%spsql -X -At -v ON_ERROR_STOP=1 %s -c %s" % (env, shlex.quote(conninfo), shlex.quote(sql)))


def tls(name, **extra):
    base = dict(host=name, dbname="postgres", sslmode="verify-full", sslrootcert=f"/root/pg/{name}/ca.crt",
                connect_timeout="10")
    base.update(extra)
    return " ".join(f"{k}={v}" for k, v in base.items())


def test_plaintext_connection_is_refused(name, client):
    res = remote(client, f"host={name} dbname=postgres user=app sslmode=disable connect_timeout=10",
                 password="App-pw-7")
    assert res.rc != 0
    assert "no encryption" in res.stderr, res.stderr


def test_verify_full_with_the_issued_ca(name, client):
    res = remote(client, tls(name, user="app"),
                 "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", password="App-pw-7")
    assert res.rc == 0, res.stderr
    ssl, version = res.stdout.strip().split("|")
    assert ssl == "t" and version in ("TLSv1.2", "TLSv1.3")
    wrong = remote(client, tls(name, user="app", password="wrong"), password="wrong")
    assert wrong.rc != 0 and "password authentication failed" in wrong.stderr


def test_tls_settings_and_key_file(name, server):
    assert psql(server, "SELECT current_setting('ssl'), current_setting('ssl_min_protocol_version')") == \
        [["on", "TLSv1.2"]]
    key = server.file("/etc/postgresql/pgwarden-tls/server.key")
    assert key.user == "postgres" and key.mode == 0o600


def test_address_outside_the_allowlist_is_refused(name, other):
    res = remote(other, f"host={name} dbname=postgres user=app sslmode=require connect_timeout=10",
                 password="App-pw-7")
    assert res.rc != 0
    # pg_hba's final reject, or with the firewall layer on (test_firewall.py) a dropped connection
    assert any(m in res.stderr for m in ("no pg_hba.conf entry", "rejects connection", "timeout expired")), res.stderr


def test_no_trust_or_md5_rule(name, server):
    assert psql(server, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method IN ('trust', 'md5') "
                        "OR error IS NOT NULL") == [["0"]]
    assert psql(server, "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'hostnossl' "
                        "AND auth_method = 'reject'") == [["1"]]
    remote_types = psql(server, "SELECT DISTINCT type FROM pg_hba_file_rules WHERE auth_method <> 'reject' "
                                "AND address IS NOT NULL AND address NOT IN ('127.0.0.1', '::1') ORDER BY 1")
    assert remote_types == [["hostssl"]]


def test_certificate_authentication_for_the_cert_role(name, client):
    files = f"/root/pg/{name}"
    ok = remote(client, tls(name, user="reporter", sslcert=f"{files}/reporter.crt", sslkey=f"{files}/reporter.key"),
                "SELECT current_user")
    assert ok.rc == 0, ok.stderr
    assert ok.stdout.strip() == "reporter"
    without = remote(client, tls(name, user="reporter"))
    assert without.rc != 0


def test_ddl_and_role_change_are_audited(name, server):
    tag = uuid.uuid4().hex[:8]
    psql(server, f"CREATE TABLE audit_probe_{tag} (id int)")
    psql(server, f"CREATE ROLE audit_probe_{tag}")
    psql(server, f"DROP TABLE audit_probe_{tag}")
    psql(server, f"DROP ROLE audit_probe_{tag}")
    log = server.check_output("cat /var/log/postgresql/postgresql-*-main.log")
    audit = [line for line in log.splitlines() if "AUDIT: SESSION" in line and f"audit_probe_{tag}" in line]
    assert any(",DDL,CREATE TABLE," in line for line in audit), audit
    assert any(",ROLE,CREATE ROLE," in line for line in audit), audit


def test_connections_are_logged_with_user_db_client(name, client, server):
    remote(client, tls(name, user="app"), password="App-pw-7")
    log = server.check_output("cat /var/log/postgresql/postgresql-*-main.log")
    assert any("connection authorized: user=app" in line and "user=app db=postgres client=" in line
               for line in log.splitlines())


def test_new_database_has_pgaudit(name, server):
    db = "after_" + uuid.uuid4().hex[:8]
    psql(server, f"CREATE DATABASE {db}")
    try:
        assert psql(server, "SELECT extname FROM pg_extension WHERE extname = 'pgaudit'", db=db) == [["pgaudit"]]
    finally:
        psql(server, f"DROP DATABASE {db}")
