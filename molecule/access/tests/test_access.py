"""What each login can and cannot do, proven with psql over TCP as that login (scram-sha-256)."""

import uuid

import pytest

PASSWORDS = {  # the same values as converge.yml: the test talks to the server like a client would
    "shop_app": "Shop-App-pw-2026!x",
    "bi_reader": "Bi-Reader-pw-2026!",
    "ops_admin": "Ops-Admin-pw-2026!",
    "ci_migrator": "Ci-Migrator-pw-2026!",
}


def run_as(host, user, sql, tenant=None):
    """Run sql as `user`; returns the command result (rc, stdout, stderr)."""
    opts = "-c app.tenant_id=%s" % tenant if tenant is not None else ""
    return host.run(
        "PGPASSWORD=%s PGOPTIONS=%s psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -U %s -d app -c %s",
        PASSWORDS[user], opts, user, sql)


def ok(host, user, sql, tenant=None):
    res = run_as(host, user, sql, tenant)
    assert res.rc == 0, res.stderr
    return res.stdout.strip()


def denied(host, user, sql, tenant=None):
    res = run_as(host, user, sql, tenant)
    assert res.rc != 0 and "permission denied" in res.stderr, (res.rc, res.stdout, res.stderr)


def psql(host, sql, db="app"):
    return host.check_output("runuser -u postgres -- psql -X -At -d %s -c %s", db, sql)


def test_logins_are_scram_not_superuser_and_expire(host):
    rows = psql(host, "SELECT rolname, rolsuper, rolbypassrls, rolpassword LIKE 'SCRAM-SHA-256$%%', "
                      "rolvaliduntil > now() FROM pg_authid WHERE rolname = ANY(ARRAY['shop_app','bi_reader',"
                      "'ops_admin','ci_migrator']) ORDER BY 1")
    assert rows.splitlines() == ["bi_reader|f|f|t|t", "ci_migrator|f|f|t|t", "ops_admin|f|f|t|t", "shop_app|f|f|t|t"]
    assert psql(host, "SHOW password_encryption") == "scram-sha-256"


def test_public_is_locked_out(host):
    assert psql(host, "SELECT count(*) FROM pg_database, aclexplode(datacl) a "
                      "WHERE datname = 'app' AND a.grantee = 0") == "0"
    assert psql(host, "SELECT has_schema_privilege('public', 'public', 'CREATE')") == "f"


def test_app_reads_writes_but_never_deletes(host):
    # A name of its own per run: the test needs no particular table content, so verify can run twice.
    name = "c-%s" % uuid.uuid4().hex[:12]
    where = "FROM app.customers WHERE name = '%s'" % name
    assert ok(host, "shop_app", "SELECT count(*) " + where) == "0"
    ok(host, "shop_app", "INSERT INTO app.customers (name) VALUES ('%s')" % name)
    ok(host, "shop_app", "UPDATE app.customers SET deleted_at = now() WHERE name = '%s'" % name)
    assert ok(host, "shop_app", "SELECT count(*), bool_and(deleted_at IS NOT NULL) " + where) == "1|t"
    denied(host, "shop_app", "DELETE FROM app.customers")
    denied(host, "shop_app", "TRUNCATE app.customers")
    denied(host, "shop_app", "CREATE TABLE app.nope (id int)")
    denied(host, "shop_app", "CREATE TABLE public.nope (id int)")


def test_tenant_sees_only_its_rows(host):
    assert ok(host, "shop_app", "SELECT string_agg(tenant_id::text, ',') FROM app.orders", tenant=1) == "1"
    assert ok(host, "shop_app", "SELECT string_agg(tenant_id::text, ',') FROM app.orders", tenant=2) == "2"
    assert ok(host, "shop_app", "SELECT count(*) FROM app.orders") == "0"
    res = run_as(host, "shop_app", "INSERT INTO app.orders (tenant_id, item) VALUES (2, 'x')", tenant=1)
    assert res.rc != 0 and "row-level security" in res.stderr
    assert ok(host, "ops_admin", "SELECT count(*) >= 2 FROM app.orders") == "t"


def test_reporting_reads_tables_created_later_and_writes_nothing(host):
    ok(host, "ci_migrator", "CREATE TABLE IF NOT EXISTS app.created_later (id int); "
                            "INSERT INTO app.created_later SELECT 1 WHERE NOT EXISTS (SELECT FROM app.created_later)")
    assert psql(host, "SELECT tableowner FROM pg_tables WHERE tablename = 'created_later'") == "app_migrator"
    assert ok(host, "bi_reader", "SELECT count(*) FROM app.created_later") == "1"
    assert ok(host, "bi_reader", "SELECT count(*) >= 0 FROM app.customers") == "t"
    denied(host, "bi_reader", "INSERT INTO app.created_later VALUES (2)")
    denied(host, "bi_reader", "UPDATE app.customers SET name = 'x'")
    denied(host, "shop_app", "SELECT * FROM app.created_later")
    ok(host, "ops_admin", "DELETE FROM app.created_later WHERE id = 42")


@pytest.mark.parametrize("user", sorted(PASSWORDS))
def test_wrong_password_is_refused(host, user):
    res = host.run("PGPASSWORD=wrong psql -X -h 127.0.0.1 -U %s -d app -c 'SELECT 1'", user)
    assert res.rc != 0 and "password authentication failed" in res.stderr
