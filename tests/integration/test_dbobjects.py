"""pgwarden.postgresql.database, schema and extension against a real PostgreSQL."""
import pytest

from runner import run_module

NAME = u"it db'; DROP-名前"


def module(pg, kind, check=False, **args):
    return run_module('pgwarden.postgresql.' + kind, dict(pg.connection_args(), **args), check=check, diff=True)


@pytest.fixture
def owners(pg):
    pg.query('CREATE ROLE it_own1; CREATE ROLE it_own2')
    yield
    pg.query('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % NAME.replace('"', '""'))
    pg.query('DROP ROLE it_own1; DROP ROLE it_own2')


def test_database_lifecycle(pg, owners):
    args = dict(name=NAME, owner='it_own1', encoding='UTF8', template='template0')
    predicted = module(pg, 'database', check=True, **args)
    assert predicted['changed'] and pg.query('SELECT 1 FROM pg_database WHERE datname = %s', (NAME,)) == []
    res = module(pg, 'database', **args)
    assert res['queries'] == predicted['queries']
    assert pg.query('SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s', (NAME,)) == [('it_own1',)]
    assert module(pg, 'database', **args)['changed'] is False
    res = module(pg, 'database', **{**args, 'owner': 'it_own2'})
    assert res['queries'] == ['ALTER DATABASE "%s" OWNER TO "it_own2"' % NAME]
    bad = module(pg, 'database', **{**args, 'encoding': 'LATIN1'})
    assert bad['failed'] and bad['option'] == 'encoding'
    assert module(pg, 'database', name=NAME, state='absent')['changed'] is True
    assert module(pg, 'database', name=NAME, state='absent')['changed'] is False


def test_schema_and_extension(pg, owners):
    module(pg, 'database', name=NAME)
    db = dict(login_db=NAME)
    res = module(pg, 'schema', name='ext "x"', owner='it_own1', **db)
    assert res['queries'] == ['CREATE SCHEMA "ext ""x""" AUTHORIZATION "it_own1"']
    assert module(pg, 'schema', name='ext "x"', owner='it_own1', **db)['changed'] is False
    assert module(pg, 'schema', name='ext "x"', owner='it_own2', **db)['queries'] == [
        'ALTER SCHEMA "ext ""x""" OWNER TO "it_own2"']
    ext = dict(name='pgcrypto', schema='ext "x"', **db)
    predicted = module(pg, 'extension', check=True, **ext)
    res = module(pg, 'extension', **ext)
    assert res['queries'] == predicted['queries'] == ['CREATE EXTENSION "pgcrypto" WITH SCHEMA "ext ""x"""']
    assert pg.query("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                    "WHERE extname = 'pgcrypto'", dbname=NAME) == [('ext "x"',)]
    assert module(pg, 'extension', version='latest', **ext)['changed'] is False
    moved = module(pg, 'extension', name='pgcrypto', schema='public', **db)
    assert moved['queries'] == ['ALTER EXTENSION "pgcrypto" SET SCHEMA "public"']
    missing = module(pg, 'extension', name='no_such_ext', **db)
    assert missing['failed'] and missing['option'] == 'name' and 'not available' in missing['msg']
    badver = module(pg, 'extension', name='pgcrypto', version='0.0', **db)
    assert badver['failed'] and badver['option'] == 'version'
    assert module(pg, 'extension', name='pgcrypto', state='absent', **db)['changed'] is True
    assert module(pg, 'schema', name='ext "x"', state='absent', **db)['changed'] is True
    assert module(pg, 'schema', name='ext "x"', state='absent', **db)['changed'] is False
