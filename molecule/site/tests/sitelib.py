"""Helpers shared by the site scenario's backup and restore tests (podman exec into the containers)."""
import json
import os
import time

import testinfra

MEMBERS = ['pgw-site-1', 'pgw-site-2', 'pgw-site-3']
REPO_HOST = 'pgw-site-repo'
PSQL = 'psql -XAtq -v ON_ERROR_STOP=1 -d postgres'

# Restore into a scratch directory on the repository host (never on a member) with its restore-test
# configuration (repositories local there): molecule/scratch-restore.sh, shared with the backup scenario.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scratch-restore.sh')) as _f:
    SCRATCH_RESTORE = _f.read()


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
