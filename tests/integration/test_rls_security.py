"""rls_policy against hostile expressions: nothing but the one policy statement may ever run.

Every DDL command the server runs in the test database is written to the server log by an
event trigger (it fires inside functions and rolled-back savepoints too), so a payload that
ran and was rolled back afterwards is still seen.
"""
import psycopg2
import pytest

from runner import run_module


DB = 'it_rls_sec'
TAG = 'pgwarden-test-ddl:'
EM_DASH = u'1 = (SELECT 1 AS \u2014$x$)) ; DROP TABLE victim; SELECT ((SELECT 1 AS a$x$)'
CORPUS = [
    EM_DASH,
    u'1 = (SELECT 1 AS \u00a0$x$)) ; DROP TABLE victim; SELECT ((SELECT 1 AS a$x$)',
    u"item = \u00e9$x$ ; DROP TABLE victim; $x$",
    u"item = $x$ \u2014 $x$) ; DROP TABLE victim; SELECT ($x$",
    "true /* /* */ ) ; DROP TABLE victim; -- */ */",
    "true /* /* */ */ ) ; DROP TABLE victim; SELECT (true",
    "item = E'\\' ) ; DROP TABLE victim; --'",
    "item = '\\' ) ; DROP TABLE victim; --'",
    "item = E'\\\\' ) ; DROP TABLE victim; SELECT (E'",
    'U&"t!0065nant_id" UESCAPE \'!\' = 1',
    'U&"it\\0065m" = \'x\') ; DROP TABLE victim; SELECT (true',
    "true) WITH CHECK (false",
    "true) AND (true",
    "true); DROP TABLE victim; SELECT (true",
    "item = ';'", "item = $$;$$", "item = $q$ ; $q$", "item = E';'", "\"item\" = ';'", "item = U&';'",
    "true --", "true) --", "true --\n) ; DROP TABLE victim; SELECT (true",
    "(true",
]
# Through the module (a few module runs each): the reported bypass, its relatives, and what the
# lexer guard lets through to the server; the whole corpus goes through the server check alone below.
MODULE_CORPUS = CORPUS[:4] + [
    "item = E'\\' ) ; DROP TABLE victim; --'", 'U&"t!0065nant_id" UESCAPE \'!\' = 1',
    "true /* /* */ ) ; DROP TABLE victim; -- */ */", "item = $q$ ; $q$", "true) WITH CHECK (false"]


@pytest.fixture
def sec(pg):
    pg.query('DROP DATABASE IF EXISTS %s' % DB)
    pg.query('CREATE DATABASE %s' % DB)
    pg.query("""CREATE TABLE orders (id int, tenant_id int, item text);
                CREATE TABLE victim (id int); INSERT INTO victim VALUES (1);
                CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS
                  $$BEGIN RAISE LOG '%', 'pgwarden-test-ddl:' || tg_tag; END$$;
                CREATE EVENT TRIGGER log_ddl ON ddl_command_start EXECUTE FUNCTION log_ddl();""", dbname=DB)

    def run(check=False, **args):
        return run_module('pgwarden.postgresql.rls_policy', dict(pg.connection_args(), login_db=DB, **args),
                          check=check, diff=True)
    yield run
    pg.query('DROP DATABASE %s WITH (FORCE)' % DB)


def ddl_since(pg, offset):
    with open(pg.log, 'rb') as f:
        f.seek(offset)
        text = f.read().decode('utf-8', 'replace')
    return [line.split(TAG, 1)[1].strip() for line in text.splitlines() if TAG in line]


def state(pg):
    return dict(victim=pg.query('SELECT count(*) FROM victim', dbname=DB)[0][0],
                objects=pg.query('SELECT count(*) FROM pg_class', dbname=DB)[0][0],
                policies=pg.query('SELECT policyname, qual, with_check FROM pg_policies ORDER BY 1', dbname=DB))


def policy(expr, **kw):
    return dict(table='orders', policies=[dict(dict(name='p', using=expr), **kw)])


@pytest.mark.parametrize('expr', MODULE_CORPUS)
def test_hostile_expressions_never_run_anything_else(pg, sec, expr):
    offset = pg.log_size()
    pg.query('CREATE POLICY p ON orders USING (id = 0)', dbname=DB)
    before = state(pg)
    # Check mode with the policy present (the comparison probe runs), as USING and as WITH CHECK.
    for opts in (dict(), dict(using='true', with_check=expr)):
        res = sec(check=True, **policy(expr, **opts))
        assert state(pg) == before
        if res.get('failed'):
            assert res['option'].startswith('policies[0]'), res['msg']
    for present in (True, False):
        if not present:
            pg.query('DROP POLICY IF EXISTS p ON orders', dbname=DB)
            before = state(pg)
        res = sec(**policy(expr))
        after = state(pg)
        assert after['victim'] == 1 and after['objects'] == before['objects']
        if res.get('failed'):
            assert res['option'].startswith('policies[0]'), res['msg']
            assert after == before
        else:
            # Stored as exactly one USING expression, nothing in WITH CHECK.
            assert [p[0] for p in after['policies']] == ['p'] and after['policies'][0][2] is None
    ran = set(ddl_since(pg, offset))
    assert ran <= {'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'CREATE TABLE'}, ran
    assert pg.query('SELECT count(*) FROM victim', dbname=DB) == [(1,)]


def test_em_dash_payload_is_refused_by_the_guard(pg, sec):
    """The reported bypass: the guard reads `\u2014$x$` as one identifier, as the server's scanner does.

    The server's own parse refuses it too (test_server_check_alone_refuses_or_keeps_one_expression).
    """
    res = sec(**policy(EM_DASH))
    assert res['failed'] and res['option'] == 'policies[0].using'
    assert 'unbalanced parentheses' in res['msg']
    assert pg.query('SELECT count(*) FROM victim', dbname=DB) == [(1,)]


@pytest.mark.parametrize('expr', CORPUS)
def test_server_check_alone_refuses_or_keeps_one_expression(pg, sec, expr):
    """validate_expressions without the lexer guard in front of it: never runs a second statement."""
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.rls_read import validate_expressions
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError
    offset = pg.log_size()
    conn = pg.connect(DB)
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            try:
                validate_expressions(cur, 'public', 'orders', [('policies[0].using', expr)])
            except PlanError as e:
                assert e.option == 'policies[0].using'
            else:
                # Accepted: as one USING clause it makes exactly one policy with no WITH CHECK.
                try:
                    cur.execute('CREATE POLICY p ON orders USING (%s)' % expr)
                except psycopg2.errors.SyntaxError:
                    pass  # refused whole by the parser: nothing ran
                else:
                    cur.execute("SELECT count(*), bool_and(with_check IS NULL) FROM pg_policies WHERE tablename = 'orders'")
                    assert cur.fetchone() == (1, True)
    finally:
        conn.rollback()
        conn.close()
    assert ddl_since(pg, offset) in ([], ['CREATE POLICY'])
    assert pg.query('SELECT count(*) FROM victim', dbname=DB) == [(1,)]


def test_check_mode_never_evaluates_the_expression(pg, sec):
    """Validation and probe parse and deparse the expression; the planner never folds it, nothing calls it."""
    pg.query("""CREATE FUNCTION noisy() RETURNS boolean IMMUTABLE LANGUAGE plpgsql AS
                  $$BEGIN RAISE LOG 'pgwarden-test-called'; RETURN true; END$$;
                CREATE POLICY p ON orders USING (id = 0)""", dbname=DB)
    offset = pg.log_size()
    res = sec(check=True, **policy('noisy() AND id > 0', with_check='noisy()'))
    assert res['changed'] and not res.get('failed')
    with open(pg.log, 'rb') as f:
        f.seek(offset)
        assert b'pgwarden-test-called' not in f.read()


# The guard splits tokens as the server's scanner does (sql_lexer): these reach nothing on the server.
GUARD_REFUSES = [
    "item = a$e'\\' ) ; DROP TABLE victim; --'",
    u"item = \u20ace'\\' ) ; DROP TABLE victim; --'",
    "item = $1a$ ) ; DROP TABLE victim; SELECT ( $1a$",
    EM_DASH,
    u"item = x\u00e9$x$ ) ; DROP TABLE victim; SELECT ( $x$",
    "item = E'x'\n'\\' = ' ) ; DROP TABLE victim; SELECT ('",
    "item = 1e'\\' ) ; DROP TABLE victim; --'",
]


@pytest.mark.parametrize('expr', GUARD_REFUSES)
def test_guard_refuses_before_any_statement_reaches_the_server(pg, sec, expr):
    pg.query('CREATE POLICY p ON orders USING (id = 0)', dbname=DB)
    before = state(pg)
    for check, opts in ((True, dict()), (False, dict()), (False, dict(using='true', with_check=expr))):
        offset = pg.log_size()
        res = sec(check=check, **policy(expr, **opts))
        assert res['failed'] and res['option'] == 'policies[0].' + ('with_check' if opts else 'using'), res
        assert 'one boolean expression' not in res['msg']  # the guard, not the server's parse
        assert pg.statements_since(offset) == []
        assert ddl_since(pg, offset) == []
    assert state(pg) == before


LEGIT_TOKENS = [  # (declared, as the server stores it)
    ("a$e = '\\'", "(\"a$e\" = '\\'::text)"),
    (u"\u20ace = '\\' OR \u20ace = E'\\' ) '", u"((\"\u20ace\" = '\\'::text) OR (\"\u20ace\" = ''' ) '::text))"),
    ("item = $a1$ ) ; $a1$", "(item = ' ) ; '::text)"),
    ("item = E'a'\n'\\' )'", "(item = 'a'' )'::text)"),
    ("item = $1$q$ ) $q$", None),  # $1, then one dollar-quoted string (the error names it whole)
]


@pytest.mark.parametrize('expr,stored', LEGIT_TOKENS)
def test_legitimate_expressions_with_such_tokens_work(pg, sec, expr, stored):
    pg.query(u'ALTER TABLE orders ADD COLUMN "a$e" text, ADD COLUMN "\u20ace" text', dbname=DB)
    res = sec(**policy(expr))
    if stored is None:
        assert res['failed'] and 'one boolean expression' in res['msg'] and 'near "$q$ ) $q$"' in res['msg']
        assert state(pg)['policies'] == []
        return
    assert res['changed'] and not res.get('failed'), res
    assert state(pg)['policies'] == [('p', stored, None)]
    again = sec(**policy(expr))
    assert not again['changed'] and not again.get('failed')


def lex_corpus(count=400, seed=20):
    """Deterministic strings from the pieces where scanners disagree."""
    import random
    pieces = ['a$e', u'\u20ace', u'\u00e9', u'\u2014', 'e', 'E', 'b', 'x', 'n', 'U&', '$1', '$1a', '$x$', '$$', '1',
              '1e', '0x', "'", '\\', "''", '\n', ' ', ')', '(', ';', '"', '--', '/*', '*/', '$', 'true', '=']
    rnd = random.Random(seed)
    return [''.join(rnd.choice(pieces) for _i in range(rnd.randint(3, 9))) for _n in range(count)]


def test_guard_never_accepts_what_the_server_splits_differently(pg, sec):
    """Differential check against the server's own scanner and parser.

    For every generated string the guard accepts, the server must see one statement in
    `SELECT (x)` (OPEN FOR EXECUTE refuses several before running any) and must refuse
    `SELECT ((x)` and `SELECT (x))`: the parentheses the guard counted are the server's.
    """
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.sql_lexer import LexError, check_expression
    pg.query("""CREATE FUNCTION lex_probe(q text) RETURNS text LANGUAGE plpgsql AS $$
                DECLARE c refcursor;
                BEGIN OPEN c FOR EXECUTE q; CLOSE c; RETURN 'ok';
                EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ' ' || SQLERRM; END $$""", dbname=DB)
    offset = pg.log_size()
    conn = pg.connect(DB)
    accepted = 0
    try:
        with conn.cursor() as cur:
            for x in lex_corpus():
                try:
                    check_expression(x)
                except LexError:
                    continue
                accepted += 1
                got = []
                for q in ('SELECT (%s)', 'SELECT ((%s)', 'SELECT (%s))'):
                    cur.execute('SELECT lex_probe(%s)', (q % x,))
                    got.append(cur.fetchone()[0])
                assert 'multi-query' not in got[0], (x, got)
                assert got[1] != 'ok' and got[2] != 'ok', (x, got)
                assert got[1].startswith('42601') and got[2].startswith('42601'), (x, got)  # syntax errors
    finally:
        conn.rollback()
        conn.close()
    assert accepted >= 20  # the corpus holds strings the guard lets through, not only refusals
    assert ddl_since(pg, offset) == []
    assert pg.query('SELECT count(*) FROM victim', dbname=DB) == [(1,)]


SCS_OFF_PAYLOAD = "item = '\\' = ' ) ; DROP TABLE victim; SELECT ('"


def test_standard_conforming_strings_off_in_the_session(pg, sec):
    """A database that reads '...' with backslash escapes: the guard checks again as this session reads it."""
    pg.query('ALTER DATABASE %s SET standard_conforming_strings = off' % DB)
    try:
        offset = pg.log_size()
        res = sec(**policy(SCS_OFF_PAYLOAD))
        assert res['failed'] and res['option'] == 'policies[0].using' and 'unbalanced parentheses' in res['msg'], res
        ran = pg.statements_since(offset)
        assert ran == ['BEGIN', ''], ran  # the snapshot read alone (its text starts on the next log line), no validation
        assert ddl_since(pg, offset) == [] and state(pg)['policies'] == []
        # Written to work in both settings, a quote in a string is legitimate there.
        for expr, stored in (("item = E'it\\'s'", "(item = 'it''s'::text)"), ("item = 'it''s'", "(item = 'it''s'::text)")):
            res = sec(**policy(expr))
            assert not res.get('failed'), res
            assert state(pg)['policies'] == [('p', stored, None)]
            assert not sec(**policy(expr))['changed']
    finally:
        pg.query('ALTER DATABASE %s RESET standard_conforming_strings' % DB)
    # With the setting on again (the default) the same payload is two strings and one expression; it still stays one.
    res = sec(check=True, **policy(SCS_OFF_PAYLOAD))
    assert pg.query('SELECT count(*) FROM victim', dbname=DB) == [(1,)]
    if res.get('failed'):
        assert res['option'] == 'policies[0].using'
