import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    CONNECTION_ARGUMENT_SPEC, PINNED_OPTIONS, connect_params, parse_lock_timeout, session_options)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import ApplyError, shorten
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.lock_watch import describe_blockers, is_lock_timeout


def params(**kw):
    base = dict((k, v.get('default')) for k, v in CONNECTION_ARGUMENT_SPEC.items())
    base.update(kw)
    return base


@pytest.mark.parametrize('value,setting,seconds', [
    ('5s', '5s', 5), ('500ms', '500ms', 0.5), ('5000', '5000ms', 5), (' 1 min ', '1min', 60), ('0', '0ms', 0),
    ('2h', '2h', 7200), (3000, '3000ms', 3)])
def test_lock_timeout_durations(value, setting, seconds):
    assert parse_lock_timeout(value) == (setting, seconds)


@pytest.mark.parametrize('value', ['5 parsecs', '-1s', 'soon', '1.5s', '', None, '5s; DROP TABLE x', '99999999h', u'\u0665s'])
def test_bad_lock_timeout_names_the_option(value):
    with pytest.raises(ValueError) as e:
        parse_lock_timeout(value)
    assert str(e.value).startswith('lock_timeout:')


def test_lock_timeout_is_a_session_option_with_a_default():
    assert CONNECTION_ARGUMENT_SPEC['lock_timeout']['default'] == '5s'
    assert connect_params(params())['options'].startswith('-c lock_timeout=5s ')
    assert connect_params(params(lock_timeout='250ms'))['options'].startswith('-c lock_timeout=250ms ')


def test_every_session_pins_the_search_path_last(monkeypatch):
    monkeypatch.setenv('PGOPTIONS', '-c search_path=public -c work_mem=64MB')
    opts = connect_params(params())['options']
    assert opts == '-c search_path=public -c work_mem=64MB -c lock_timeout=5s -c search_path=pg_catalog,pg_temp'
    monkeypatch.delenv('PGOPTIONS')
    assert session_options() == PINNED_OPTIONS == '-c search_path=pg_catalog,pg_temp'


def test_shorten_keeps_the_start_and_says_how_long():
    short = 'GRANT SELECT ON "t1" TO "app"'
    assert shorten(short) == short
    long_one = 'GRANT SELECT ON ' + ', '.join('"public"."t%03d"' % i for i in range(200)) + ' TO "app"'
    text = shorten(long_one)
    assert text.startswith(long_one[:300]) and text.endswith('... (%d characters)' % len(long_one)) and len(text) < 330
    assert str(ApplyError(long_one, 'boom', [])).endswith('characters): boom')


def test_describe_blockers():
    assert 'not seen' in describe_blockers([])
    text = describe_blockers([dict(pid=42, user='bob', application_name='psql', state='idle in transaction',
                                   query='UPDATE orders\n   SET x = 1')])
    assert text == "pid 42 (user bob, application_name 'psql', state idle in transaction, query 'UPDATE orders SET x = 1')"


def test_is_lock_timeout():
    assert is_lock_timeout(ApplyError('s', 'e', [], pgcode='55P03'))
    assert not is_lock_timeout(ApplyError('s', 'e', []))
