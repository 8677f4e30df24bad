"""prometheus-postgres-exporter logs in on the hardened server: peer for its own OS user,
placed before the scram rule for other local users."""

import time

from test_hardening import psql

# The database hosts; the client container is a test tool.
testinfra_only = ['pgw-hardening-deb12', 'pgw-hardening-deb13']

SCRAPE = ("python3 -c 'import urllib.request; "
          "print(urllib.request.urlopen(\"http://127.0.0.1:9187/metrics\", timeout=10).read().decode())'")


def test_exporter_rule_comes_before_the_scram_rule(name, server):
    rules = psql(server, "SELECT user_name, auth_method FROM pg_hba_file_rules WHERE type = 'local' "
                         "ORDER BY line_number")
    assert ['{prometheus}', 'peer'] in rules
    assert rules.index(['{prometheus}', 'peer']) < rules.index(['{all}', 'scram-sha-256'])


def test_exporter_metrics_show_pg_up(name, server):
    end = time.time() + 60
    while True:
        res = server.run(SCRAPE)
        lines = res.stdout.splitlines() if res.rc == 0 else []
        if 'pg_up 1' in lines or time.time() > end:
            break
        time.sleep(2)
    assert 'pg_up 1' in lines, res.stderr or [line for line in lines if line.startswith('pg_up')]
    assert any(line.startswith('pg_stat_database_xact_commit{') for line in lines)
    log = server.check_output("cat /var/log/postgresql/postgresql-*-main.log")
    assert 'password authentication failed for user "prometheus"' not in log


def test_exporter_never_crash_looped(name, server):
    """The configuration is in place before the package starts the exporter: with the package's
    empty DATA_SOURCE_NAME it exits at once, and systemd's restarts end in its start limit."""
    journal = server.check_output("journalctl -u prometheus-postgres-exporter --no-pager -o cat").lower()
    assert "couldn't find environment variables describing the datasource" not in journal
    assert "start request repeated too quickly" not in journal
    assert server.check_output("systemctl is-active prometheus-postgres-exporter") == "active"
