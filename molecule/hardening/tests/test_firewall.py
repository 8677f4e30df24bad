"""The nftables layer: the allowlisted client reaches PostgreSQL, another host's packets are
dropped before the server sees them (and reach pg_hba's reject once the table is gone)."""

import re

from test_hardening import remote, tls

# The database hosts; the client container is a test tool.
testinfra_only = ['pgw-hardening-deb12', 'pgw-hardening-deb13']

PROBE = ("python3 -c 'import socket, sys; s = socket.create_connection((sys.argv[1], 5432), timeout=3)' %s")


def reachable(host, name):
    res = host.run(PROBE % name)
    return res.rc == 0, res.stderr


def test_table_lists_the_allowlist(name, server, client):
    table = server.check_output('nft list table inet pgwarden')
    address = client.check_output("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1").strip()
    assert address in table and 'tcp dport 5432' in table and 'drop' in table
    assert server.service('pgwarden-firewall.service').is_enabled


def test_allowlisted_client_connects(name, client):
    assert reachable(client, name)[0]
    res = remote(client, tls(name, user="app"), "SELECT 1", password="App-pw-7")
    assert res.rc == 0, res.stderr


def test_other_hosts_are_dropped_before_pg_hba(name, server, other):
    ok, err = reachable(other, name)
    assert not ok and 'timed out' in err, err
    server.check_output('systemctl stop pgwarden-firewall.service')
    try:
        assert reachable(other, name)[0]
        res = remote(other, f"host={name} dbname=postgres user=app sslmode=require connect_timeout=10",
                     password="App-pw-7")
        # pg_hba now judges it: its closing reject rule (or no matching entry) refuses the host
        assert res.rc != 0 and ("pg_hba.conf rejects connection" in res.stderr
                                or "no pg_hba.conf entry" in res.stderr), res.stderr
    finally:
        server.check_output('systemctl start pgwarden-firewall.service')
    assert not reachable(other, name)[0]


def test_drop_counter_moves(name, server, other):
    def dropped():
        rule = [line for line in server.check_output('nft list chain inet pgwarden input').splitlines()
                if 'not in the allowlist' in line][0]
        return int(re.search(r'counter packets ([0-9]+) ', rule).group(1))
    before = dropped()
    reachable(other, name)
    assert dropped() > before
