"""Helpers shared by the site scenario's backup and restore tests (podman exec into the containers)."""
import json
import time

import testinfra

MEMBERS = ['pgw-site-1', 'pgw-site-2', 'pgw-site-3']
REPO_HOST = 'pgw-site-repo'
PSQL = 'psql -XAtq -v ON_ERROR_STOP=1 -d postgres'

# Restore into a scratch directory on the repository host (never on a member) with its restore-test
# configuration (repositories local there), start the copy on a spare port and run one query when it is promoted.
# $CONF: pgBackRest configuration, $OPTS: restore options, $QUERY: the query.
SCRATCH_RESTORE = r'''
scratch=/var/tmp/site-scratch; run=/var/tmp/site-scratch-run; bin=/usr/lib/postgresql/15/bin
rm -rf $scratch $run; mkdir -m 700 $scratch $run
touch $run/postgresql.conf $run/pg_ident.conf; echo 'local all all peer' > $run/pg_hba.conf
eval "pgbackrest --config=$CONF --stanza=main --pg1-path=$scratch $OPTS --archive-mode=off restore"
stop() { $bin/pg_ctl -D $scratch -m fast -w stop >/dev/null 2>&1 || true; rm -rf $scratch $run; }
trap stop EXIT
$bin/pg_ctl -D $scratch -l $run/log -w -t 300 -o "-c config_file=$run/postgresql.conf -c hba_file=$run/pg_hba.conf \
  -c ident_file=$run/pg_ident.conf -c port=5498 -c listen_addresses= -c unix_socket_directories=$run \
  -c archive_mode=off -c ssl=off -c hot_standby=off" start >/dev/null || { cat $run/log; exit 1; }
for i in $(seq 300); do
  [ "$(psql -XAtq -h $run -p 5498 -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 1
done
psql -XAtq -h $run -p 5498 -d postgres -c "$QUERY" || { tail -20 $run/log; exit 1; }
'''


def q(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


def host(name):
    return testinfra.get_host('podman://' + name)


def as_postgres(name, script):
    """Run a shell script as postgres (set -eu) in a container; fail the test with its output when it fails."""
    res = host(name).run('runuser -u postgres -- sh -euc %s' % q(script))
    assert res.rc == 0, 'rc=%d\nstdout:\n%s\nstderr:\n%s' % (res.rc, res.stdout, res.stderr)
    return res.stdout.strip()


def leader():
    """The current leader once there is one and the other members are streaming (waits up to 120 s)."""
    deadline, last = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        last = json.loads(host(MEMBERS[0]).check_output('patronictl -c /etc/patroni/config.yml list -f json'))
        leaders = [m['Member'] for m in last if m['Role'] == 'Leader' and m['State'] == 'running']
        streaming = [m for m in last if m['Role'] != 'Leader' and m['State'] in ('running', 'streaming')]
        if len(leaders) == 1 and len(streaming) == len(MEMBERS) - 1:
            return leaders[0]
        time.sleep(1)
    raise AssertionError('no healthy cluster: %r' % last)


def scratch_restore(conf, opts, query):
    out = as_postgres(REPO_HOST, 'CONF=%s\nOPTS=%s\nQUERY=%s\n%s' % (q(conf), q(opts), q(query), SCRATCH_RESTORE))
    return out.splitlines()[-1]
