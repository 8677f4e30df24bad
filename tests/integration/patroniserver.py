"""A throwaway Patroni cluster for the Patroni module tests: one etcd member and two
Patroni members on loopback, PostgreSQL from the machine's server binaries.

Everything runs as the postgres user (initdb refuses root) from a temporary directory,
REST APIs and PostgreSQL on free ports of 127.0.0.1; `stop()` kills every process and
removes the directory. Debian packages: patroni, etcd-server (scripts/install-deps.sh).
"""
import base64
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import psycopg2
import yaml

from pgserver import _bindir, _free_port

SCOPE = 'pgw-it'
API_USER = 'patroni'
API_PASSWORD = 'api-secret-it'
SUPERUSER_PASSWORD = 'super-secret-it'
DCS = dict(ttl=20, loop_wait=2, retry_timeout=9, maximum_lag_on_failover=1048576,
           postgresql=dict(use_pg_rewind=True, use_slots=True,
                           parameters=dict(wal_log_hints='on', max_connections=100, work_mem='4MB',
                                           max_wal_senders=10, max_replication_slots=10, fsync='off')))


def _executable(name):
    path = shutil.which(name)
    if not path:
        raise RuntimeError('%s not found (apt-get install patroni etcd-server; scripts/install-deps.sh)' % name)
    return path


class Member(object):
    def __init__(self, name, root):
        self.name = name
        self.dir = os.path.join(root, name)
        self.api_port = _free_port()
        self.pg_port = _free_port()
        self.api_url = 'http://127.0.0.1:%d' % self.api_port
        self.log = os.path.join(root, name + '.log')
        self.proc = None


class PatroniCluster(object):
    def __init__(self, members=2):
        self.bindir = _bindir()
        self.root = tempfile.mkdtemp(prefix='pgwarden-patroni-')
        pw = pwd.getpwnam('postgres')
        self._uid, self._gid = pw.pw_uid, pw.pw_gid
        os.chown(self.root, self._uid, self._gid)
        os.chmod(self.root, 0o755)
        self.as_user = ['runuser', '-u', 'postgres', '--'] if os.geteuid() == 0 else []
        self.etcd_port, self.etcd_peer_port = _free_port(), _free_port()
        self.etcd_proc = None
        self.members = [Member('m%d' % (i + 1), self.root) for i in range(members)]

    # ---- processes
    def _spawn(self, argv, log):
        out = open(log, 'ab')
        try:
            return subprocess.Popen(self.as_user + argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=self.root, start_new_session=True)
        finally:
            out.close()

    def _start_etcd(self):
        peer = 'http://127.0.0.1:%d' % self.etcd_peer_port
        client = 'http://127.0.0.1:%d' % self.etcd_port
        self.etcd_proc = self._spawn([
            _executable('etcd'), '--name', 'it', '--data-dir', os.path.join(self.root, 'etcd'),
            '--listen-client-urls', client, '--advertise-client-urls', client,
            '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
            '--initial-cluster', 'it=' + peer, '--initial-cluster-state', 'new',
            '--initial-cluster-token', os.path.basename(self.root)], os.path.join(self.root, 'etcd.log'))
        self._wait(lambda: self._http('http://127.0.0.1:%d/health' % self.etcd_port)[0] == 200, 30, 'etcd /health')

    def _config(self, m):
        auth = dict(superuser=dict(username='postgres', password=SUPERUSER_PASSWORD),
                    replication=dict(username='replicator', password='repl-secret-it'),
                    rewind=dict(username='rewinder', password='rewind-secret-it'))
        return dict(
            scope=SCOPE, name=m.name,
            log=dict(level='INFO'),
            restapi=dict(listen='127.0.0.1:%d' % m.api_port, connect_address='127.0.0.1:%d' % m.api_port,
                         authentication=dict(username=API_USER, password=API_PASSWORD)),
            etcd3=dict(hosts=['127.0.0.1:%d' % self.etcd_port]),
            bootstrap=dict(dcs=DCS, initdb=[dict(encoding='UTF8'), dict(locale='C.UTF-8')]),
            postgresql=dict(
                listen='127.0.0.1:%d' % m.pg_port, connect_address='127.0.0.1:%d' % m.pg_port,
                data_dir=os.path.join(m.dir, 'data'), bin_dir=self.bindir,
                pgpass=os.path.join(m.dir, 'pgpass'), authentication=auth,
                parameters=dict(unix_socket_directories=m.dir),
                pg_hba=['local all all trust',
                        'host replication replicator 127.0.0.1/32 scram-sha-256',
                        'host all all 127.0.0.1/32 scram-sha-256']))

    def _start_member(self, m):
        os.makedirs(m.dir, mode=0o700, exist_ok=True)
        path = os.path.join(self.root, m.name + '.yml')
        with open(path, 'w') as f:
            yaml.safe_dump(self._config(m), f)
        for p in (m.dir, path):
            os.chown(p, self._uid, self._gid)
        os.chmod(path, 0o600)
        m.proc = self._spawn([_executable('patroni'), path], m.log)

    def stop_member(self, name, timeout=60):
        """Stop one member's Patroni (it stops its PostgreSQL first), as a host shutting down would."""
        m = self.member(name)
        self._signal(m.proc, signal.SIGTERM)
        m.proc.wait(timeout=timeout)

    def start_member(self, name):
        self._start_member(self.member(name))

    def start(self):
        try:
            self._start_etcd()
            self._start_member(self.members[0])
            self._wait(lambda: self.leader() == self.members[0].name, 90, 'a leader')
            for m in self.members[1:]:
                self._start_member(m)
            self.wait_healthy(120)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        procs = [m.proc for m in self.members if m.proc] + ([self.etcd_proc] if self.etcd_proc else [])
        for proc in procs:  # Patroni stops its PostgreSQL on SIGTERM
            self._signal(proc, signal.SIGTERM)
        deadline = time.time() + 20
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.wait(5)
        for m in self.members:  # a postmaster left behind by a killed Patroni
            data = os.path.join(m.dir, 'data')
            if os.path.exists(os.path.join(data, 'postmaster.pid')):
                subprocess.run(self.as_user + [os.path.join(self.bindir, 'pg_ctl'), '-D', data, '-m', 'immediate',
                                               'stop'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _signal(proc, sig):
        try:
            os.killpg(proc.pid, sig)
        except OSError:
            pass

    # ---- state
    @staticmethod
    def _wait(predicate, timeout, what):
        deadline = time.time() + timeout
        while True:
            try:
                if predicate():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            if time.time() > deadline:
                raise RuntimeError('timed out after %ds waiting for %s' % (timeout, what))
            time.sleep(0.5)

    @staticmethod
    def _http(url, method='GET', body=None, auth=None):
        req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
        if auth:
            req.add_header('Authorization', 'Basic ' + base64.b64encode(('%s:%s' % auth).encode()).decode())
        if body is not None:
            req.add_header('Content-Type', 'application/json')
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def get(self, path, member=None):
        status, text = self._http((member or self.members[0]).api_url + path)
        assert status == 200, (path, status, text)
        return json.loads(text)

    def cluster(self):
        return self.get('/cluster')

    def config(self):
        return self.get('/config')

    def leader(self):
        for m in self.cluster()['members']:
            if m['role'] in ('leader', 'master'):
                return m['name']
        return None

    def member(self, name):
        return [m for m in self.members if m.name == name][0]

    def replicas(self):
        return [m['name'] for m in self.cluster()['members'] if m['role'] in ('replica', 'sync_standby')]

    def connect(self, name, dbname='postgres'):
        conn = psycopg2.connect(host='127.0.0.1', port=self.member(name).pg_port, dbname=dbname,
                                user='postgres', password=SUPERUSER_PASSWORD, connect_timeout=5)
        conn.autocommit = True
        return conn

    def query(self, name, sql, params=None):
        conn = self.connect(name)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def healthy(self):
        """One leader, every other member a replica streaming from it, nothing pending."""
        members = self.cluster()['members']
        leader = [m['name'] for m in members if m['role'] in ('leader', 'master') and m['state'] == 'running']
        if len(leader) != 1 or len(members) != len(self.members):
            return False
        others = [m for m in members if m['name'] != leader[0]]
        if any(m['state'] not in ('running', 'streaming') for m in others):
            return False
        streaming = self.query(leader[0], "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")
        return sorted(r[0] for r in streaming) == sorted(m['name'] for m in others)

    def wait_healthy(self, timeout=90):
        self._wait(self.healthy, timeout, 'one leader and streaming replicas')

    def module_args(self, **extra):
        """Connection options of the pgwarden.postgresql.patroni_* modules for this cluster."""
        args = dict(api_url=[m.api_url for m in self.members], api_username=API_USER, api_password=API_PASSWORD)
        args.update(extra)
        return args
