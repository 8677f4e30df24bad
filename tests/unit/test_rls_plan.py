import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.access.rls_plan import (
    check_expression, desired_policies, needs_probe, plan_rls)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

from sqltext import texts

PARAMS = dict(schema='app', table='t', enable=True, force=None, exclusive=False)


def current(policies=(), rls=False):
    return dict(table=dict(rls=rls, force=False, kind='r'), roles={'app'},
                policies=dict((p['name'], p) for p in policies))


def stored(name='p', command='*', roles=('app',), using='(tenant_id = 1)', with_check=None, permissive=True):
    return dict(name=name, command=command, roles=list(roles), using=using, with_check=with_check, permissive=permissive)


def plan(cur, policies, normalised=None, **params):
    return plan_rls(cur, desired_policies(policies), dict(PARAMS, **params), normalised or {})


@pytest.mark.parametrize('expr', [
    "a = 'x;y'", 'a = "we;ird"', "a = $$;)$$", "a = $t$ -- ; $t$", "f(a, (b)) AND c = E'it\\'s;'", "x = 'it''s'"])
def test_expressions_that_stay_one_expression(expr):
    assert check_expression(expr, 'using') == expr


@pytest.mark.parametrize('expr', ["a; DROP TABLE t", "a) OR (true", "a -- x", "a /* x */", "'open", "$$open", "(a"])
def test_expressions_that_could_escape_are_refused(expr):
    with pytest.raises(PlanError):
        check_expression(expr, 'using')


# Hostile expressions where a guard that does not split tokens as scan.l does sees a string and the
# server sees code (or the reverse): identifiers take `$`, digits and non-ASCII characters after the
# first character, so `a$e'` and `\u20ace'` are an identifier and a plain string, not E'...'; a
# dollar-quote tag cannot start with a digit (`$1a` is a parameter with trailing junk); a string goes
# on over a newline in the same escape mode; B'...' ends at the first quote.
HOSTILE = [
    ("item = a$e'\\' ) ; DROP TABLE victim; --'", 'unbalanced parentheses'),
    ("item = a$e'\\' ) ; DROP TABLE victim; SELECT ('", 'unbalanced parentheses'),
    (u"item = \u20ace'\\' ) ; DROP TABLE victim; --'", 'unbalanced parentheses'),
    (u"item = \u00e9e'\\' ) ; DROP TABLE victim; --'", 'unbalanced parentheses'),
    (u"item = a\u2014e'\\' ) ; DROP TABLE victim; --'", 'unbalanced parentheses'),
    ("item = a1e'\\' ) ; DROP TABLE victim; --'", 'unbalanced parentheses'),
    ("item = a_e'\\' ) ; DROP TABLE victim; --'", 'unbalanced parentheses'),
    ("item = $1a$ ) ; DROP TABLE victim; SELECT ( $1a$", 'trailing junk after the parameter'),
    ("item = $1$ ) ; DROP TABLE victim; SELECT ( $1$", 'unbalanced parentheses'),
    (u"item = \u2014$x$ ) ; DROP TABLE victim; SELECT ( $x$", 'unbalanced parentheses'),
    (u"item = x\u00e9$x$ ) ; DROP TABLE victim; SELECT ( $x$", 'unbalanced parentheses'),
    ("item = 1e'\\' ) ; DROP TABLE victim; --'", 'trailing junk after the number'),
    ("item = 0b'1' ) ; DROP TABLE victim; SELECT ('", 'trailing junk after the number'),
    ("item = E'x'\n'\\' = ' ) ; DROP TABLE victim; SELECT ('", 'unbalanced parentheses'),
    ("item = E'x' \r\n  '\\' = ' ) ; DROP TABLE victim; SELECT ('", 'unbalanced parentheses'),
    ("item = 1 +-- x", 'comments are not allowed'),
    ("item = 1 */* x */", 'comments are not allowed'),
]
# Legitimate expressions with the same tokens: they stay one expression.
LEGIT = [
    "a$e = '\\'", u"\u20ace = '\\' OR \u20ace = 'x'", "a$e = E'\\' )'", "item = $a1$ ) ; $a1$",
    "$x$e$x$ = e'\\' )'", "item = 'a'\n'b'", "item = E'a'\n'\\' )'", "item = 'x'e'\\' )'",
    "\"a$e'\\\" = 1", "n = 1e5 AND m = .5e-3 AND o = 1.5", "item = $1", "item = $1$q$ ) $q$", "item = x$1a$",
    "n = 0x1F AND m = 1_000", "item = U&'\\' || U&'d\\0061t\\+000061'", "item = B'1' || X'ff'",
]


@pytest.mark.parametrize('expr,problem', HOSTILE)
def test_guard_splits_tokens_as_the_server(expr, problem):
    with pytest.raises(PlanError) as e:
        check_expression(expr, 'policies[0].using')
    assert e.value.option == 'policies[0].using' and problem in e.value.problem


@pytest.mark.parametrize('expr', LEGIT)
def test_legitimate_expressions_with_these_tokens_pass(expr):
    assert check_expression(expr, 'using') == expr


def test_standard_conforming_strings_off_reads_plain_strings_as_escape_strings():
    expr = "item = '\\' = ' ) ; DROP TABLE victim; SELECT ('"
    assert check_expression(expr, 'using') == expr  # with standard_conforming_strings on: two strings
    with pytest.raises(PlanError) as e:
        check_expression(expr, 'using', standard_strings=False)
    assert 'unbalanced parentheses' in e.value.problem
    for prefix in ("n", "b'1'"):  # N'...' follows the setting; after B'1' a doubled quote opens a plain string
        expr = prefix + "'\\' = ' ) ; DROP TABLE victim; SELECT ('"
        assert check_expression(expr, 'using') == expr
        with pytest.raises(PlanError) as e:
            desired_policies([dict(name='p', using=expr)], standard_strings=False)
        assert e.value.option == 'policies[0].using'


def test_create_with_enable():
    s, before, after = plan(current(), [dict(name='p', roles=['app'], using='tenant_id = 1')])
    assert texts(s) == ['ALTER TABLE "app"."t" ENABLE ROW LEVEL SECURITY',
                        'CREATE POLICY "p" ON "app"."t" AS PERMISSIVE FOR ALL TO "app" USING (tenant_id = 1)']
    assert after['enable'] is True and after['p']['roles'] == ['app']


def test_server_normalised_expression_is_no_change():
    cur = current([stored()], rls=True)
    desired = desired_policies([dict(name='p', roles=['app'], using='tenant_id = 1')])
    assert [p['name'] for p in needs_probe(cur, desired)] == ['p']
    s, _b, _a = plan(cur, [dict(name='p', roles=['app'], using='tenant_id = 1')], {'p': ('(tenant_id = 1)', None)})
    assert s == []


def test_roles_or_expression_change_alters_command_change_recreates():
    cur = current([stored()], rls=True)
    s, _b, _a = plan(cur, [dict(name='p', using='tenant_id = 2')], {'p': ('(tenant_id = 2)', None)})
    assert texts(s) == ['ALTER POLICY "p" ON "app"."t" TO PUBLIC USING (tenant_id = 2)']
    s, _b, _a = plan(cur, [dict(name='p', roles=['app'], command='select', using='tenant_id = 1')],
                     {'p': ('(tenant_id = 1)', None)})
    assert texts(s)[0] == 'DROP POLICY "p" ON "app"."t"' and texts(s)[1].startswith('CREATE POLICY "p" ON "app"."t" AS PERMISSIVE FOR SELECT')


def test_exclusive_and_absent():
    cur = current([stored(), stored(name='q')], rls=True)
    s, _b, _a = plan(cur, [dict(name='q', state='absent')], exclusive=True)
    assert texts(s) == ['DROP POLICY "q" ON "app"."t"', 'DROP POLICY "p" ON "app"."t"']


@pytest.mark.parametrize('policies,option', [
    ([dict(name='p', command='insert', using='true')], 'policies[0].using'),
    ([dict(name='p', command='select', with_check='true')], 'policies[0].with_check'),
    ([dict(name='p')], 'policies[0].using'),
    ([dict(name='p', using='true'), dict(name='p', using='true')], 'policies[1].name'),
    ([dict(name='pgwarden_probe_1', using='true')], 'policies[0].name'),
    ([dict(name='p', using='true', roles=['ghost'])], 'policies[0].roles'),
])
def test_bad_input(policies, option):
    with pytest.raises(PlanError) as e:
        plan(current(), policies)
    assert e.value.option == option


def test_public_with_other_roles_is_public_alone():
    desired = desired_policies([dict(name='p', roles=['app', 'public'], using='true')])
    assert desired[0]['roles'] == [None] and desired[0]['named_roles'] == ['app']
    cur = current([stored(roles=(None,), using='true')], rls=True)
    s, _b, _a = plan(cur, [dict(name='p', roles=['app', 'PUBLIC'], using='true')])
    assert s == []
    with pytest.raises(PlanError) as e:
        plan(current(), [dict(name='p', roles=['ghost', 'public'], using='true')])
    assert e.value.option == 'policies[0].roles'


def test_new_and_changed_policies_are_probed():
    cur = current([stored(using='true')], rls=True)
    desired = desired_policies([dict(name='p', roles=['app'], using='true'), dict(name='q', using='x = 1')])
    assert [p['name'] for p in needs_probe(cur, desired)] == ['q']


def test_nul_in_expression_is_refused():
    with pytest.raises(PlanError) as e:
        desired_policies([dict(name='p', using='true\x00')])
    assert e.value.option == 'policies[0].using'
