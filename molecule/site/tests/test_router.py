"""The router (roles/haproxy on pgw-site-1) checked from outside with psql and verify-full.

Runs after test_cluster.py and test_drills.py (file order), so the leader has moved several times by
then (switchover, failovers) and HAProxy was never reconfigured: the read-write port must reach
whichever member leads now, the read-only port a replica.
"""
import json
import time

import pytest
import testinfra

ROUTER = 'pgw-site-repo'
MEMBER = 'pgw-site-1'  # patronictl runs on a member
CA = '/etc/postgresql/pgwarden-tls/ca.crt'
SUPERUSER_PASSWORD = 'Super-pw-cluster-1'


@pytest.fixture(scope='module')
def router():
    return testinfra.get_host('podman://' + ROUTER)


def through(router, port, query):
    dsn = ('host=%s port=%d dbname=postgres user=postgres sslmode=verify-full sslrootcert=%s connect_timeout=5'
           % (ROUTER, port, CA))
    res = router.run('env PGPASSWORD=%s psql -XAtq -v ON_ERROR_STOP=1 %s -c %s', SUPERUSER_PASSWORD, dsn, query)
    return res.rc, res.stdout.strip(), res.stderr.strip()


def patronictl(*args):
    member = testinfra.get_host('podman://' + MEMBER)
    return member.check_output('patronictl -c /etc/patroni/config.yml ' + ' '.join(['%s'] * len(args)), *args)


def leader_and_addresses(router):
    members = json.loads(patronictl('list', '-f', 'json'))
    leader = [m['Member'] for m in members if m['Role'] == 'Leader'][0]
    address = {m['Member']: router.check_output('getent hosts %s', m['Member']).split()[0] for m in members}
    return leader, address


def wait(what, fn, timeout=60):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = fn()
        if last[0]:
            return last[1]
        time.sleep(1)
    raise AssertionError('timed out waiting for %s: %r' % (what, last))


def test_read_write_port_reaches_the_current_leader_with_verify_full(router):
    leader, address = leader_and_addresses(router)

    def probe():
        rc, out, err = through(router, 5000, 'SELECT pg_is_in_recovery(), host(inet_server_addr())')
        return rc == 0 and out == 'f|%s' % address[leader], (rc, out, err)
    wait('the read-write port on the leader ' + leader, probe)
    rc, out, err = through(router, 5000, 'CREATE TABLE IF NOT EXISTS router_probe (id int); INSERT INTO router_probe VALUES (1)')
    assert rc == 0, err


def test_switchover_keeps_the_read_write_port_on_the_leader(router):
    old, address = leader_and_addresses(router)
    members = json.loads(patronictl('list', '-f', 'json'))
    candidate = [m['Member'] for m in members if m['Role'] != 'Leader' and m['State'] in ('running', 'streaming')][0]
    patronictl('switchover', '--leader', old, '--candidate', candidate, '--force')

    def probe():
        rc, out, err = through(router, 5000, 'SELECT pg_is_in_recovery(), host(inet_server_addr())')
        return rc == 0 and out == 'f|%s' % address[candidate], (rc, out, err)
    wait('the read-write port on the new leader ' + candidate, probe)
    rc, out, err = through(router, 5000, 'INSERT INTO router_probe VALUES (2)')
    assert rc == 0, err


def test_read_only_port_reaches_a_replica(router):
    leader, address = leader_and_addresses(router)

    def probe():
        rc, out, err = through(router, 5001, 'SELECT pg_is_in_recovery(), host(inet_server_addr())')
        return rc == 0 and out.startswith('t|') and out.split('|')[1] != address[leader], (rc, out, err)
    wait('the read-only port on a replica', probe)
    rc, out, err = through(router, 5001, 'CREATE TABLE router_refused (id int)')
    assert rc != 0 and 'read-only transaction' in err


def test_configuration_is_valid_and_haproxy_runs(router):
    assert router.run('haproxy -c -q -f /etc/haproxy/haproxy.cfg').rc == 0
    assert router.check_output('systemctl is-active haproxy') == 'active'
