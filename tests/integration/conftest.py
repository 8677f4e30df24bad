import pytest

import shutil

from pgserver import PgServer
from runner import run_module


@pytest.fixture(scope='session')
def pg():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope='session')
def patroni_cluster():
    """One etcd + two Patroni members for all Patroni tests of a session (tests/integration/patroniserver.py).

    They live in one file and the Makefile runs `-n N --dist loadfile`, so one worker starts one cluster."""
    if not (shutil.which('patroni') and shutil.which('etcd')):
        pytest.skip('Debian packages patroni and etcd-server are not installed (scripts/install-deps.sh)')
    from patroniserver import PatroniCluster
    cluster = PatroniCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def role(pg):
    """Run pgwarden.postgresql.role against the throwaway server; drops test roles afterwards."""
    def run(check=False, diff=False, **args):
        return run_module('pgwarden.postgresql.role', dict(pg.connection_args(), **args), check=check, diff=diff)
    yield run
    pg.query("""DO $$DECLARE r record; BEGIN
      FOR r IN SELECT rolname FROM pg_roles WHERE oid > 16383 AND rolname <> 'postgres' LOOP
        EXECUTE format('DROP ROLE %I', r.rolname); END LOOP; END$$""")
