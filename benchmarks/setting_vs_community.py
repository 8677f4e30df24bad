"""Side by side: server parameters set by pgwarden.postgresql.setting (one task) and by
community.postgresql.postgresql_set (one task per parameter, a loop), against a throwaway
PostgreSQL on this machine. Prints wall time of a converging run and of a no-op re-run, and
the statements each executed (from the server log).

    scripts/collection-path.sh && /opt/pgw-venv/bin/python benchmarks/setting_vs_community.py
"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
from pgserver import PgServer, _bindir  # noqa: E402

import yaml  # noqa: E402

PARAMS = {
    'work_mem': '16MB', 'maintenance_work_mem': '256MB', 'effective_cache_size': '2GB',
    'checkpoint_timeout': '15min', 'idle_in_transaction_session_timeout': '10min', 'statement_timeout': '5min',
    'log_connections': 'on', 'log_disconnections': 'on', 'log_min_duration_statement': '1s',
    'random_page_cost': '1.1', 'effective_io_concurrency': '200', 'ssl_min_protocol_version': 'TLSv1.2',
}


def playbook(tasks):
    return [dict(hosts='localhost', gather_facts=False, tasks=tasks)]


def run(play, env):
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        yaml.safe_dump(play, f)
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                           '-c', 'local', f.name], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if proc.returncode:
        raise SystemExit(proc.stdout)
    changed = [line for line in proc.stdout.splitlines() if line.startswith('localhost')][-1]
    return elapsed, changed.split('changed=')[1].split()[0]


def statements(pg, offset):
    """Statements any client executed after byte `offset` of the server log."""
    time.sleep(0.2)
    with open(pg.log, 'rb') as f:
        f.seek(offset)
        return sum(1 for line in f.read().decode('utf-8', 'replace').splitlines() if 'statement: ' in line)


def main():
    collections = subprocess.check_output([os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_NOCOLOR='1')
    rows = []
    for tool in ('pgwarden.postgresql.setting', 'community.postgresql.postgresql_set'):
        pg = PgServer().start()
        try:
            conn = dict(login_unix_socket=pg.socket_dir, port=pg.port, login_user='postgres')
            if tool.startswith('pgwarden'):
                tasks = [{'name': 'all parameters', tool: dict(conn, settings=PARAMS)}]
            else:
                tasks = [{'name': 'one parameter', tool: dict(conn, name='{{ item.key }}', value='{{ item.value }}'),
                          'loop': '{{ params | dict2items }}'}]
                tasks[0]['vars'] = {'params': PARAMS}
            for label in ('converge', 'no-op'):
                offset = pg.log_size()
                elapsed, changed = run(playbook(tasks), env)
                stmts = statements(pg, offset)
                rows.append((tool, label, elapsed, changed, stmts))
        finally:
            pg.stop()
    print('%d parameters, PostgreSQL from %s, one ansible-playbook run each' % (len(PARAMS), _bindir()))
    print('%-38s %-9s %9s %13s %11s' % ('module', 'run', 'seconds', 'changed tasks', 'statements'))
    for tool, label, elapsed, changed, stmts in rows:
        print('%-38s %-9s %9.2f %13s %11d' % (tool, label, elapsed, changed, stmts))


if __name__ == '__main__':
    main()
