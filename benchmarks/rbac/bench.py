"""RBAC at scale: a database with T tables, N login roles in 10 groups, 10 x T x 5 table grants
and default privileges, converged by pgwarden.postgresql (one role task + one grant task) and by
community.postgresql (postgresql_user, postgresql_membership, postgresql_privs in loops, as its
documentation shows), side by side.

Each tool gets its own throwaway PostgreSQL (tests/integration/pgserver.py, log_statement=all),
runs twice (first apply, then a no-op re-run) and is measured: wall time, SQL statements the
server logged during the run, peak RSS of the largest process of the run, changed tasks.

    /opt/pgw-venv/bin/python benchmarks/rbac/bench.py            # 1,000 roles, 200 tables
    /opt/pgw-venv/bin/python benchmarks/rbac/bench.py --roles 100 --tables 20 --skip-peer
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
from pgserver import PgServer  # noqa: E402  pylint: disable=wrong-import-position

DB, SCHEMA, GROUPS = 'bench', 'bench', 10
PRIVS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']
# What the rusage wrapper prints last on stderr: max RSS in KiB of the largest descendant.
RUSAGE = ('import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); '
          'sys.stderr.write("\\nMAXRSS %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)')


def model(n_roles, n_tables):
    users = [dict(name='bench_user%04d' % i, group='bench_grp%d' % (i % GROUPS)) for i in range(n_roles)]
    tables = ['t%03d' % i for i in range(n_tables)]
    return users, tables


def pgwarden_tasks(conn, users, tables):
    roles = [dict(name='bench_grp%d' % g) for g in range(GROUPS)]
    roles += [dict(name=u['name'], login=True, password='pw-' + u['name'], member_of=[u['group']]) for u in users]
    grants = []
    for g in range(GROUPS):
        grantee = ['bench_grp%d' % g]
        grants.append(dict(type='schema', objects=[SCHEMA], roles=grantee, privileges=['USAGE']))
        grants.append(dict(type='table', schema=SCHEMA, objects=tables, roles=grantee, privileges=PRIVS))
        grants.append(dict(type='default_privileges', schema=SCHEMA, target_roles=['postgres'], objects=['tables'],
                           roles=grantee, privileges=PRIVS))
    return [{'name': 'roles', 'pgwarden.postgresql.role': dict(conn, roles=roles)},
            {'name': 'grants', 'pgwarden.postgresql.grant': dict(conn, login_db=DB, grants=grants)}]


def peer_tasks(conn, users, tables):
    peer = dict(login_unix_socket=conn['login_unix_socket'], port=conn['port'], login_user='postgres')
    groups = ['bench_grp%d' % g for g in range(GROUPS)]
    label = {'label': '{{ item.name | default(item) }}'}
    return [
        {'name': 'groups', 'community.postgresql.postgresql_user': dict(peer, name='{{ item }}', role_attr_flags='NOLOGIN'),
         'loop': groups},
        {'name': 'users', 'community.postgresql.postgresql_user': dict(peer, name='{{ item.name }}', password='pw-{{ item.name }}',
                                                                       role_attr_flags='LOGIN'),
         'loop': users, 'loop_control': label},
        {'name': 'memberships', 'community.postgresql.postgresql_membership': dict(peer, groups=['{{ item.group }}'],
                                                                                   target_roles=['{{ item.name }}']),
         'loop': users, 'loop_control': label},
        {'name': 'schema usage', 'community.postgresql.postgresql_privs': dict(peer, db=DB, type='schema', objs=SCHEMA,
                                                                               privs='USAGE', roles='{{ item }}'),
         'loop': groups},
        {'name': 'table grants', 'community.postgresql.postgresql_privs': dict(peer, db=DB, schema=SCHEMA, type='table',
                                                                               objs=','.join(tables), privs=','.join(PRIVS),
                                                                               roles='{{ item }}'),
         'loop': groups},
        {'name': 'default privileges', 'community.postgresql.postgresql_privs': dict(
            peer, db=DB, schema=SCHEMA, type='default_privs', objs='TABLES', privs=','.join(PRIVS), roles='{{ item }}',
            target_roles='postgres'),
         'loop': groups},
    ]


def run(pg, tool, users, tables):
    conn = pg.connection_args()
    tasks = (pgwarden_tasks if tool == 'pgwarden' else peer_tasks)(conn, users, tables)
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump([dict(hosts='localhost', gather_facts=False, tasks=tasks)], f)
    env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'))
    cmd = [sys.executable, '-c', RUSAGE, os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
           '-i', 'localhost,', '-c', 'local', f.name]
    offset = pg.log_size()
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s\n%s' % (tool, proc.stdout[-3000:], proc.stderr[-3000:]))
    maxrss = int(proc.stderr.rsplit('MAXRSS ', 1)[1].split()[0])
    changed = json.loads(proc.stdout)['stats']['localhost']['changed']
    time.sleep(0.3)
    with open(pg.log, 'rb') as log:
        log.seek(offset)
        statements = sum(1 for line in log.read().decode('utf-8', 'replace').splitlines() if 'statement: ' in line)
    return dict(seconds=elapsed, statements=statements, changed_tasks=changed, peak_mib=maxrss / 1024.0)


def prepare(pg, tables):
    pg.query('CREATE DATABASE %s' % DB)
    pg.query('CREATE SCHEMA %s; %s' % (SCHEMA, ' '.join('CREATE TABLE %s.%s (id int);' % (SCHEMA, t) for t in tables)),
             dbname=DB)


def verify(pg, n_tables):
    """The state both tools must reach: grants per group, members, default privileges."""
    return pg.query("""SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'bench_user%%' AND rolcanlogin),
        (SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname LIKE 'bench_grp%%'),
        (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
           WHERE n.nspname = 'bench' AND pg_get_userbyid(a.grantee) LIKE 'bench_grp%%'),
        (SELECT count(*) FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE pg_get_userbyid(a.grantee) LIKE 'bench_grp%%')
        """, dbname=DB)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    ap.add_argument('--roles', type=int, default=1000)
    ap.add_argument('--tables', type=int, default=200)
    ap.add_argument('--skip-peer', action='store_true', help='only measure pgwarden')
    args = ap.parse_args()
    subprocess.check_call([os.path.join(ROOT, 'scripts', 'collection-path.sh')], stdout=subprocess.DEVNULL)
    users, tables = model(args.roles, args.tables)
    results = {}
    for tool in ['pgwarden'] + ([] if args.skip_peer else ['community.postgresql']):
        pg = PgServer().start()
        try:
            prepare(pg, tables)
            first = run(pg, tool, users, tables)
            noop = run(pg, tool, users, tables)
            reached = verify(pg, args.tables)
        finally:
            pg.stop()
        results[tool] = dict(first=first, noop=noop, reached=reached)
    print('rbac: %d login roles in %d groups, %d tables, %d table privileges (group x table x privilege), '
          'default privileges per group' % (args.roles, GROUPS, args.tables, GROUPS * args.tables * len(PRIVS)))
    header = '%-21s %9s %9s %11s %11s %9s %9s  %s' % ('tool', 'first s', 'no-op s', 'first stmts', 'no-op stmts',
                                                      'first MiB', 'no-op MiB', 'reached (logins, members, table ACL items, default ACL items)')
    print(header)
    print('-' * len(header))
    for tool, r in results.items():
        print('%-21s %9.2f %9.2f %11d %11d %9.1f %9.1f  %s' % (
            tool, r['first']['seconds'], r['noop']['seconds'], r['first']['statements'], r['noop']['statements'],
            r['first']['peak_mib'], r['noop']['peak_mib'], tuple(r['reached'])))
    if 'community.postgresql' in results:
        a, b = results['pgwarden'], results['community.postgresql']
        print('ratio (peer / pgwarden): first %.1fx, no-op %.1fx, first statements %.1fx, no-op statements %.1fx, '
              'peak memory %.2fx' % (
                  b['first']['seconds'] / a['first']['seconds'], b['noop']['seconds'] / a['noop']['seconds'],
                  b['first']['statements'] / float(max(a['first']['statements'], 1)),
                  b['noop']['statements'] / float(max(a['noop']['statements'], 1)),
                  b['first']['peak_mib'] / a['first']['peak_mib']))
    print('changed tasks on the no-op re-run: %s' % dict((t, r['noop']['changed_tasks']) for t, r in results.items()))


if __name__ == '__main__':
    main()
