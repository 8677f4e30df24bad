"""Checks of the converged hosts, made from outside the collection: psql, systemctl, catalogs.

The server role's cluster, and the roles converge.yml makes with the role module directly (team_rw,
alice, report_ro, migrator: names the access model does not use).
"""

import pytest

# What Debian ships, stated independently of the role's own variables.
PG_BY_DEBIAN = {"12": "15", "13": "17"}


@pytest.fixture(scope="module")
def pg_version(host):
    major = host.file("/etc/debian_version").content_string.strip().split(".")[0]
    if not major.isdigit():  # testing/unstable report a codename
        major = host.run("sh -c '. /etc/os-release; echo $VERSION_ID'").stdout.strip()
    return PG_BY_DEBIAN[major]


def psql(host, sql):
    """Run one query as the postgres OS user over the unix socket; return its rows."""
    out = host.check_output(
        "runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -At -F '|' -c %s", sql
    )
    return [line.split("|") for line in out.splitlines() if line]


def test_server_version_matches_distribution(host, pg_version):
    version = psql(host, "SHOW server_version")[0][0]
    assert version.split(".")[0] == pg_version
    assert psql(host, "SHOW port") == [["5432"]]


def test_service_runs_under_systemd(host, pg_version):
    unit = host.service(f"postgresql@{pg_version}-main")
    assert unit.is_running
    assert unit.is_enabled
    assert host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")


def test_cluster_created_with_locale_encoding_checksums(host):
    assert psql(host, "SELECT datcollate, datctype, pg_encoding_to_char(encoding) FROM pg_database "
                      "WHERE datname = 'template1'") == [["C.UTF-8", "C.UTF-8", "UTF8"]]
    assert psql(host, "SHOW data_checksums") == [["on"]]


def test_only_the_managed_cluster_exists(host, pg_version):
    out = host.check_output("pg_lsclusters --no-header")
    assert [line.split()[:2] for line in out.splitlines()] == [[pg_version, "main"]]


def test_psycopg2_available_for_the_modules(host):
    assert host.run("python3 -c 'import psycopg2'").rc == 0


def test_roles_have_the_requested_attributes(host):
    rows = psql(host, "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, "
                      "rolconnlimit FROM pg_roles WHERE rolname IN ('team_rw', 'alice', 'report_ro') "
                      "ORDER BY rolname")
    assert rows == [
        ["alice", "t", "f", "f", "f", "10"],
        ["report_ro", "t", "f", "f", "f", "-1"],
        ["team_rw", "f", "f", "f", "f", "-1"],
    ]


def test_passwords_are_stored_as_scram(host):
    rows = psql(host, "SELECT rolname, rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid "
                      "WHERE rolname IN ('alice', 'report_ro') ORDER BY rolname")
    assert rows == [["alice", "t"], ["report_ro", "t"]]


def test_role_settings(host):
    rows = psql(host, "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r "
                      "ON r.oid = s.setrole WHERE r.rolname = 'alice' AND s.setdatabase = 0")
    assert rows == [["{statement_timeout=30s}"]]


def test_memberships(host):
    rows = psql(host, "SELECT m.rolname, g.rolname FROM pg_auth_members a "
                      "JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.roleid "
                      "WHERE m.rolname IN ('team_rw', 'alice', 'report_ro', 'migrator') ORDER BY 1, 2")
    assert rows == [["alice", "team_rw"], ["migrator", "team_rw"]]


def test_membership_options(host, pg_version):
    if int(pg_version) >= 16:
        query = ("SELECT a.admin_option, a.inherit_option, a.set_option FROM pg_auth_members a "
                 "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = 'migrator'")
        assert psql(host, query) == [["t", "f", "t"]]
    else:
        query = ("SELECT a.admin_option FROM pg_auth_members a "
                 "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = 'migrator'")
        assert psql(host, query) == [["t"]]


def test_login_role_connects_over_tcp_with_scram(host):
    cmd = "PGPASSWORD=%s psql -X -At -h 127.0.0.1 -p 5432 -U alice -d postgres -c %s"
    query = "SELECT current_user, current_setting('statement_timeout')"
    out = host.check_output(cmd, "S3cret-'quote;", query)
    assert out.strip() == "alice|30s"
    bad = host.run(cmd, "wrong-password", query)
    assert bad.rc != 0 and "password authentication failed" in bad.stderr
    # The server, not the client, chose scram for this connection.
    rules = psql(host, "SELECT auth_method FROM pg_hba_file_rules "
                       "WHERE type = 'host' AND address = '127.0.0.1' ORDER BY line_number LIMIT 1")
    assert rules == [["scram-sha-256"]]
