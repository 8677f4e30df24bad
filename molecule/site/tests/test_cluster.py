"""The Patroni cluster checked from outside: patronictl, psql, the REST API and etcdctl run in the
containers (podman exec); playbooks/switchover.yml runs from the controller as an operator runs it.

These tests look at the whole cluster, so they take the three members directly instead of testinfra's
per-host `host` fixture. The order matters: the switchover test moves the leader, later tests find it again.
"""
import json
import os
import subprocess
import tempfile
import time
import uuid

import pytest
import testinfra

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
MEMBERS = ['pgw-site-1', 'pgw-site-2', 'pgw-site-3']
CA = '/etc/postgresql/pgwarden-tls/ca.crt'
API_USER, API_PASSWORD = 'patroni', 'Api-pw-cluster-1'
ETCD_ROOT_PASSWORD, ETCD_PATRONI_PASSWORD = 'Etcd-root-pw-1', 'Etcd-patroni-pw-1'
ETCD_CA = '/etc/etcd/pki/ca.crt'


@pytest.fixture(scope='module')
def members():
    return {name: testinfra.get_host('podman://' + name) for name in MEMBERS}


def psql(member, query, db='postgres'):
    out = member.check_output('runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d %s -c %s', db, query)
    return out.strip()


def wait_for(what, predicate, timeout=90):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except AssertionError as e:  # not there yet
            last = e
        time.sleep(1)
    raise AssertionError('timed out waiting for %s (last: %r)' % (what, last))


def cluster(members):
    out = members[MEMBERS[0]].check_output('patronictl -c /etc/patroni/config.yml list -f json')
    return json.loads(out)


def roles(members):
    return {m['Member']: m for m in cluster(members)}


def healthy(members):
    """Name of the leader once there is one leader and two replicas streaming from it."""
    state = roles(members)
    leaders = [n for n, m in state.items() if m['Role'] == 'Leader' and m['State'] == 'running']
    replicas = [n for n, m in state.items() if m['Role'] in ('Replica', 'Sync Standby')]
    if len(leaders) != 1 or len(replicas) != 2:
        return None
    streaming = psql(members[leaders[0]], "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    return leaders[0] if streaming == '2' else None


def test_one_leader_two_streaming_replicas(members):
    leader = wait_for('one leader and two streaming replicas', lambda: healthy(members))
    for name, member in members.items():
        assert psql(member, 'SELECT pg_is_in_recovery()') == ('f' if name == leader else 't')
    # Debian's own cluster unit is masked: Patroni's postmaster is the only one.
    for member in members.values():
        assert member.run('systemctl is-enabled postgresql@15-main').stdout.strip() == 'masked'
        assert member.run('systemctl is-active postgresql@15-main').stdout.strip() == 'inactive'
        postmasters = member.check_output("ps -o args= -u postgres | grep -c '^/usr/lib/postgresql/15/bin/postgres ' || true")
        assert postmasters == '1'


def test_row_written_on_leader_is_read_on_both_replicas(members):
    leader = wait_for('a healthy cluster', lambda: healthy(members))
    marker = str(uuid.uuid4())
    psql(members[leader], 'CREATE TABLE IF NOT EXISTS ha_probe (id text PRIMARY KEY)')
    psql(members[leader], "INSERT INTO ha_probe VALUES ('%s')" % marker)
    for name, member in members.items():
        if name != leader:
            wait_for('the row on ' + name,
                     lambda m=member: psql(m, "SELECT count(*) FROM ha_probe WHERE id = '%s'" % marker) == '1', 30)


def test_parameter_declared_once_is_identical_on_every_member(members):
    for query, expected in [('SHOW work_mem', '12MB'), ('SHOW ssl', 'on'), ('SHOW password_encryption', 'scram-sha-256'),
                            ('SHOW shared_preload_libraries', 'pgaudit'), ('SHOW log_connections', 'on')]:
        seen = {name: psql(member, query) for name, member in members.items()}
        assert set(seen.values()) == {expected}, (query, seen)
    # Through Patroni's dynamic configuration, not ALTER SYSTEM.
    for member in members.values():
        auto = member.check_output('runuser -u postgres -- sh -c "cat /var/lib/postgresql/15/main/postgresql.auto.conf"')
        assert 'work_mem' not in auto and 'shared_preload_libraries' not in auto
    # pg_hba is the collection's file, not Patroni's.
    for member in members.values():
        assert psql(member, 'SHOW hba_file') == '/etc/postgresql/15/main/pg_hba.conf'
        assert 'hostnossl all all all reject' in ' '.join(
            member.check_output('cat /etc/postgresql/15/main/pg_hba.conf').split())


def _api(member, method, path, auth=False, body='{}'):
    script = (
        'import base64,ssl,sys,urllib.request,urllib.error\n'
        'ctx=ssl.create_default_context(cafile=%r)\n'
        'req=urllib.request.Request("https://%s:8008%s",method=%r,data=(%r.encode() if %r!="GET" else None))\n'
        'req.add_header("Content-Type","application/json")\n'
        'if %r: req.add_header("Authorization","Basic "+base64.b64encode(b"%s:%s").decode())\n'
        'try:\n  print(urllib.request.urlopen(req,context=ctx,timeout=10).status)\n'
        'except urllib.error.HTTPError as e:\n  print(e.code)\n'
    ) % (CA, member, path, method, body, method, auth, API_USER, API_PASSWORD)
    return members_cmd(member, ['python3', '-c', script])


def members_cmd(name, argv):
    return testinfra.get_host('podman://' + name).check_output(' '.join(['%s'] * len(argv)), *argv).strip()


def test_rest_api_refuses_anonymous_writes_over_tls(members):
    assert _api(MEMBERS[0], 'GET', '/cluster') == '200'
    assert _api(MEMBERS[0], 'PATCH', '/config') == '401'
    assert _api(MEMBERS[0], 'POST', '/restart') == '401'
    # With credentials the same request is accepted (the value it sets is the one in place).
    assert _api(MEMBERS[0], 'PATCH', '/config', auth=True, body='{"ttl": 20}') == '200'
    plain = members[MEMBERS[0]].run(
        'python3 -c "import urllib.request; urllib.request.urlopen(\'http://%s:8008/cluster\', timeout=5)"' % MEMBERS[0])
    assert plain.rc != 0


def _etcdctl(member, *args, user=None):
    env = 'ETCDCTL_API=3' + (' ETCDCTL_USER=%s' % user if user else '')
    return member.run('env %s etcdctl --dial-timeout=3s --command-timeout=5s %s' % (env, ' '.join(args)))


def test_etcd_refuses_plaintext_and_anonymous_clients(members):
    m = members[MEMBERS[0]]
    tls = '--endpoints=https://%s:2379 --cacert=%s' % (MEMBERS[1], ETCD_CA)
    assert _etcdctl(m, '--endpoints=http://%s:2379' % MEMBERS[1], 'get', '--prefix', '/service/').rc != 0
    anonymous = _etcdctl(m, tls, 'get', '--prefix', '/service/')
    assert anonymous.rc != 0 and 'user name is empty' in anonymous.stderr
    patroni = _etcdctl(m, tls, 'get', '--prefix', '--keys-only', '/service/pgw-site/',
                       user='patroni:' + ETCD_PATRONI_PASSWORD)
    assert patroni.rc == 0 and '/service/pgw-site/leader' in patroni.stdout
    outside = _etcdctl(m, tls, 'put', '/elsewhere', 'x', user='patroni:' + ETCD_PATRONI_PASSWORD)
    assert outside.rc != 0 and 'permission denied' in outside.stderr
    health = _etcdctl(m, tls, 'endpoint', 'health', '--cluster', user='root:' + ETCD_ROOT_PASSWORD)
    assert health.rc == 0 and health.stderr.count('is healthy') + health.stdout.count('is healthy') == 3


def _run_playbook(name, *extra, where='playbooks'):
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'MOLECULE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=subprocess.check_output(
        [os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip(),
        ANSIBLE_PIPELINING='true', ANSIBLE_NOCOLOR='1')
    with tempfile.NamedTemporaryFile('w', suffix='.ini', delete=False) as inv:
        inv.write('[postgresql]\n' + ''.join(
            '%s ansible_connection=podman ansible_python_interpreter=/usr/bin/python3\n' % m
            for m in MEMBERS))
        inv.write('[postgresql:vars]\npatroni_restapi_password=%s\n' % API_PASSWORD)
    try:
        proc = subprocess.run(['ansible-playbook', '-i', inv.name, os.path.join(ROOT, where, name)] + list(extra),
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    finally:
        os.unlink(inv.name)
    return proc.returncode, proc.stdout + proc.stderr


def patroni_journal(member, grep, since=None):
    """Lines of the member's Patroni journal (since a Unix time) that match an extended regular expression."""
    out = member.run('journalctl -u patroni --no-pager -o cat %s | grep -E %s || true',
                     '--since=@%d' % int(since) if since else '--since=2000-01-01', grep)
    return [line for line in out.stdout.splitlines() if line]


def test_switchover_playbook_moves_the_leader_and_the_old_leader_rejoins(members):
    started = time.time()
    old = wait_for('a healthy cluster', lambda: healthy(members))
    candidate = [n for n in MEMBERS if n != old][0]
    rc, out = _run_playbook('switchover.yml', '-e', 'switchover_candidate=' + candidate)
    assert rc == 0, out
    assert roles(members)[candidate]['Role'] == 'Leader'
    new = wait_for('two streaming replicas under the new leader', lambda: healthy(members), 120)
    assert new == candidate
    assert psql(members[old], 'SELECT pg_is_in_recovery()') == 't'
    # Writes on the new leader reach the old one.
    marker = str(uuid.uuid4())
    psql(members[new], "INSERT INTO ha_probe VALUES ('%s')" % marker)
    wait_for('the row on the old leader',
             lambda: psql(members[old], "SELECT count(*) FROM ha_probe WHERE id = '%s'" % marker) == '1', 30)
    # A second switchover right away, back to the member demoted moments ago (Patroni refused this one with
    # HTTP 503 while members could not read their own timeline over a local replication connection).
    rc, out = _run_playbook('switchover.yml', '-e', 'switchover_candidate=' + old)
    assert rc == 0, out
    assert wait_for('two streaming replicas under the old leader again', lambda: healthy(members), 120) == old
    # Patroni reads each member's timeline and LSN over a local replication connection (pg_hba's loopback
    # replication line): no member failed to, and Patroni logged no ERROR during the two switchovers (its own
    # lines, '2026-12-07 19:46:05,306 ERROR: ...'; PostgreSQL's stderr goes to the same journal).
    for name, member in members.items():
        assert patroni_journal(member, 'Can not fetch local timeline') == [], name
        assert patroni_journal(member, '^[0-9-]+ [0-9:]+,[0-9]+ (ERROR|CRITICAL):', since=started) == [], name


def test_data_directory_is_readable_by_postgres_only(members):
    """initdb's files are 0600; what Patroni writes there (postgresql.conf, its .backup, standby.signal) too."""
    data = '/var/lib/postgresql/15/main'
    for name, member in members.items():
        assert member.check_output('systemctl show -p UMask --value patroni') == '0077', name
        assert member.check_output('stat -c %%a:%%U %s', data) == '700:postgres', name
        modes = dict(line.split(' ', 1)[::-1] for line in member.check_output(
            'stat -c "%%a %%n" %s/postgresql.conf %s/PG_VERSION', data, data).splitlines())
        assert set(modes.values()) == {'600'}, (name, modes)
        if psql(member, 'SELECT pg_is_in_recovery()') == 't':
            assert member.check_output('stat -c %%a %s/standby.signal', data) == '600', name
        # Nothing in the data directory (files, directories) is open to the group or others.
        assert member.check_output('find %s ! -type l -perm /077 -print', data) == '', name


def test_switchover_to_an_unknown_member_is_refused(members):
    before = wait_for('a healthy cluster', lambda: healthy(members))
    rc, out = _run_playbook('switchover.yml', '-e', 'switchover_candidate=nosuchmember')
    assert rc != 0 and 'nosuchmember' in out, out
    assert healthy(members) == before


def test_parameter_change_reaches_the_running_cluster_and_restarts_members(members):
    wait_for('a healthy cluster', lambda: healthy(members))
    rc, out = _run_playbook('reparam.yml', where='molecule/site')
    assert rc == 0, out
    seen = {name: psql(member, 'SHOW max_connections') for name, member in members.items()}
    assert set(seen.values()) == {'120'}, seen
    assert not any(m.get('Pending restart') for m in cluster(members)), cluster(members)
    wait_for('a healthy cluster', lambda: healthy(members))


def test_etcd_member_replace(members):
    """The README's procedure: remove a member, wipe it, add it back, start it with state existing."""
    tls = '--endpoints=https://%s:2379 --cacert=%s' % (MEMBERS[0], ETCD_CA)
    root = 'root:' + ETCD_ROOT_PASSWORD
    first, third = members[MEMBERS[0]], members[MEMBERS[2]]
    listing = json.loads(_etcdctl(first, tls, '-w', 'json', 'member', 'list', user=root).stdout)
    member_id = [m['ID'] for m in listing['members'] if m['name'] == MEMBERS[2]][0]
    third.check_output('systemctl stop etcd')
    removed = _etcdctl(first, tls, 'member', 'remove', '%x' % member_id, user=root)
    assert removed.rc == 0, removed.stderr
    third.check_output('rm -rf /var/lib/etcd/default')
    added = _etcdctl(first, tls, 'member', 'add', MEMBERS[2], '--peer-urls=https://%s:2380' % MEMBERS[2], user=root)
    assert added.rc == 0, added.stderr
    third.check_output("sed -i 's/^ETCD_INITIAL_CLUSTER_STATE=.*/ETCD_INITIAL_CLUSTER_STATE=\"existing\"/' /etc/default/etcd")
    try:
        third.check_output('systemctl start etcd')
        health = _etcdctl(first, tls, 'endpoint', 'health', '--cluster', user=root)
        assert health.rc == 0 and (health.stdout + health.stderr).count('is healthy') == 3, health.stderr
    finally:  # what the role writes for a formed cluster (the state is only read by a new member)
        third.check_output("sed -i 's/^ETCD_INITIAL_CLUSTER_STATE=.*/ETCD_INITIAL_CLUSTER_STATE=\"new\"/' /etc/default/etcd")
    wait_for('a healthy cluster', lambda: healthy(members))
