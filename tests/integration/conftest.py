import pytest

from pgserver import PgServer
from runner import run_module


@pytest.fixture(scope='session')
def pg():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def role(pg):
    """Run pgwarden.postgresql.role against the throwaway server; drops test roles afterwards."""
    def run(check=False, diff=False, **args):
        return run_module('pgwarden.postgresql.role', dict(pg.connection_args(), **args), check=check, diff=diff)
    yield run
    pg.query("""DO $$DECLARE r record; BEGIN
      FOR r IN SELECT rolname FROM pg_roles WHERE oid > 16383 AND rolname <> 'postgres' LOOP
        EXECUTE format('DROP ROLE %I', r.rolname); END LOOP; END$$""")
