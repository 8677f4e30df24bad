"""Converge N login roles in 10 groups: pgwarden.postgresql.role (one batch task) side by side
with community.postgresql (postgresql_user + postgresql_membership in a loop, as its docs show).

Starts its own throwaway PostgreSQL (tests/integration/pgserver.py), runs each tool twice
(first apply, then a no-op re-run), and prints wall time, SQL statements the server logged
for the run (log_statement=all) and peak RSS of the ansible-playbook process tree.

    make bench-roles            # or: .venv/bin/python benchmarks/roles/bench.py --roles 1000
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
from pgserver import PgServer  # noqa: E402  pylint: disable=wrong-import-position


def playbook(tool, n, conn):
    users = [dict(name='bench_user%04d' % i, group='bench_grp%d' % (i % 10)) for i in range(n)]
    if tool == 'pgwarden':
        roles = [dict(name='bench_grp%d' % g) for g in range(10)]
        roles += [dict(name=u['name'], login=True, password='pw-' + u['name'], member_of=[u['group']]) for u in users]
        tasks = [{'pgwarden.postgresql.role': dict(conn, roles=roles)}]
    else:
        peer = dict(login_unix_socket=conn['login_unix_socket'], port=conn['port'], login_user='postgres')
        tasks = [
            {'name': 'groups', 'community.postgresql.postgresql_user': dict(peer, name='{{ item }}', role_attr_flags='NOLOGIN'),
             'loop': ['bench_grp%d' % g for g in range(10)]},
            {'name': 'users', 'community.postgresql.postgresql_user': dict(peer, name='{{ item.name }}', password='pw-{{ item.name }}',
                                                                           role_attr_flags='LOGIN'),
             'loop': users, 'loop_control': {'label': '{{ item.name }}'}},
            {'name': 'memberships', 'community.postgresql.postgresql_membership': dict(peer, groups=['{{ item.group }}'],
                                                                                       target_roles=['{{ item.name }}']),
             'loop': users, 'loop_control': {'label': '{{ item.name }}'}},
        ]
    return [dict(hosts='localhost', gather_facts=False, tasks=tasks)]


def run(pg, tool, n):
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(playbook(tool, n, pg.connection_args()), f)
    env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'))
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', f.name]
    offset = pg.log_size()
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s\n%s' % (tool, proc.stdout[-3000:], proc.stderr[-3000:]))
    changed = json.loads(proc.stdout)['stats']['localhost']['changed']
    app = 'pgwarden' if tool == 'pgwarden' else '[unknown]'
    return dict(seconds=elapsed, statements=len(pg.statements_since(offset, app=app)), changed_tasks=changed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    ap.add_argument('--roles', type=int, default=1000)
    ap.add_argument('--skip-peer', action='store_true', help='only measure pgwarden')
    args = ap.parse_args()
    subprocess.check_call([os.path.join(ROOT, 'scripts', 'collection-path.sh')], stdout=subprocess.DEVNULL)
    tools = ['pgwarden'] + ([] if args.skip_peer else ['community.postgresql'])
    results = {}
    for tool in tools:
        pg = PgServer().start()
        try:
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            first = run(pg, tool, args.roles)
            noop = run(pg, tool, args.roles)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            count = pg.query("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'bench_%%'")[0][0]
        finally:
            pg.stop()
        results[tool] = dict(first=first, noop=noop, peak_mib=max(peak, before) / 1024.0, roles=count)
    print('roles: %d login roles in 10 groups (+ memberships)' % args.roles)
    header = '%-22s %12s %12s %14s %14s %10s %8s' % ('tool', 'first (s)', 'no-op (s)', 'first stmts', 'no-op stmts',
                                                     'peak MiB', 'roles')
    print(header)
    print('-' * len(header))
    for tool, r in results.items():
        print('%-22s %12.2f %12.2f %14d %14d %10.1f %8d' % (tool, r['first']['seconds'], r['noop']['seconds'],
                                                            r['first']['statements'], r['noop']['statements'],
                                                            r['peak_mib'], r['roles']))
    if 'community.postgresql' in results:
        a, b = results['pgwarden'], results['community.postgresql']
        print('ratio (peer / pgwarden): first %.1fx, no-op %.1fx, no-op statements %.1fx'
              % (b['first']['seconds'] / a['first']['seconds'], b['noop']['seconds'] / a['noop']['seconds'],
                 b['noop']['statements'] / float(max(a['noop']['statements'], 1))))
    noop_changed = dict((t, r['noop']['changed_tasks']) for t, r in results.items())
    print('no-op re-run changed tasks: %s' % noop_changed)


if __name__ == '__main__':
    main()
