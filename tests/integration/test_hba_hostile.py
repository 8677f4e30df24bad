"""pgwarden.postgresql.hba against hostile and careless input (issue 9, items 4, 5, 6, 14, 15)."""
import os
import shutil
import stat
import time

import pytest

import test_hba
from hba_support import run_many, run_verbose
from test_hba import BASE, content

hba = test_hba.hba  # the fixture of test_hba.py, shared

SECRET = 'Bind-S3cret-4711'
LDAP = dict(type='host', address='127.0.0.2/32', method='ldap',
            options={'ldapserver': 'ldap.example.com', 'ldapbasedn': 'dc=example,dc=com',
                     'ldapbinddn': 'cn=pg,dc=example,dc=com'},
            secret_options={'ldapbindpasswd': SECRET})


def raw(path):
    with open(path, 'rb') as f:
        return f.read()


def assert_no_secret(result, output, secret=SECRET):
    assert secret not in output, 'the secret is in the output of ansible-playbook -vvv'
    assert secret not in repr(result), 'the secret is in the task result'


def test_secrets_masked_everywhere_file_has_them(pg, hba):
    args = dict(pg.connection_args(), rules=BASE + [LDAP])
    res, out = run_verbose(args, check=True, diff=True)
    assert res['changed'] is True and 'ldapbindpasswd=********' in res['diff']['after']
    assert_no_secret(res, out)
    res, out = run_verbose(args, diff=True)
    assert res['changed'] is True and res.get('failed') is not True, res.get('msg')
    assert 'ldapbindpasswd=********' in res['rules'][2]
    assert_no_secret(res, out)
    assert 'ldapbindpasswd=%s' % SECRET in content(hba.path), 'the file holds the real value'
    assert pg.query("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'ldap' AND error IS NULL") == [(1,)]
    # failing runs: refused by the server (radius without a server), and refused by validation
    before = raw(hba.path)
    radius = dict(type='host', address='127.0.0.3/32', method='radius', secret_options={'radiussecrets': SECRET})
    res, out = run_verbose(dict(args, rules=BASE + [LDAP, radius]))
    assert res.get('failed') is True and 'rejected' in res['msg'], res.get('msg')
    assert_no_secret(res, out)
    bad = dict(LDAP, options=dict(LDAP['options'], nosuchoption='x'))
    res, out = run_verbose(dict(args, rules=BASE + [bad]))
    assert res.get('failed') is True and 'rules[2].options' in res['msg']
    assert_no_secret(res, out)
    # a secret given as an ordinary option is refused, and not shown either
    plain = dict(LDAP, options=dict(LDAP['options'], ldapbindpasswd=SECRET + 'x'))
    del plain['secret_options']
    res, out = run_verbose(dict(args, rules=BASE + [plain]))
    assert res.get('failed') is True and 'rules[2].options' in res['msg'] and 'secret_options' in res['msg']
    assert_no_secret(res, out, SECRET + 'x')
    assert raw(hba.path) == before


def test_symlinked_hba_file_written_through(pg, hba):
    # the Debian layout: the file lives in /etc/postgresql/..., the server reaches it through a link
    etc = os.path.join(pg.root, 'etc')
    os.mkdir(etc, 0o755)
    target = os.path.join(etc, 'pg_hba.conf')
    shutil.move(hba.path, target)
    os.symlink(target, hba.path)
    try:
        rules = BASE + [dict(type='host', users=['it_hba'], address='127.0.0.9/32', method='reject')]
        res = hba(rules=rules)
        assert res['changed'] is True and res.get('failed') is not True, res.get('msg')
        assert os.path.islink(hba.path) and os.readlink(hba.path) == target, 'the link stays a link'
        assert '127.0.0.9/32' in content(target)
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
        assert os.stat(target).st_uid == os.stat(pg.data).st_uid, 'the owner is kept'
        assert [n for n in os.listdir(etc) if n.startswith('.')] == [], 'no temporary file left'
        time.sleep(0.3)
        assert pg.query("SELECT count(*) FROM pg_hba_file_rules WHERE address = '127.0.0.9'") == [(1,)]
        assert hba(rules=rules)['changed'] is False
        assert hba(rules=rules, path=hba.path)['changed'] is False
    finally:
        os.unlink(hba.path)
        shutil.move(target, hba.path)  # the fixture puts the original content back
        shutil.rmtree(etc)


HOSTILE = ['a"b', 'a\nhost all all 0.0.0.0/0 trust', 'x"\nhost all all 0.0.0.0/0 trust\n#', 'a\rb', 'a\x00b',
           'a\x1bb']


def _hostile_rules():
    """(rule, the option the error must name) for every written field and every hostile value."""
    for v in HOSTILE:
        yield dict(type='host', databases=['app', v], address='all', method='reject'), 'rules[2].databases'
        yield dict(type='host', users=[v], address='all', method='reject'), 'rules[2].users'
        yield dict(type='host', address='10.0.0.0/8' + v, method='reject'), 'rules[2].address'
        yield dict(type='host', address='all', method='md5' + v), 'method'
        yield dict(type='host', address='all', method='ident', options={'map' + v: 'x'}), 'rules[2].options'
        yield dict(type='host', address='all', method='ident', options={'map': v}), 'rules[2].options.map'
        yield dict(LDAP, secret_options={'ldapbindpasswd': v}), 'rules[2].secret_options.ldapbindpasswd'
        yield dict(type='include', file='extra' + v), 'rules[2].file'
    for v in HOSTILE[3:]:  # a comment may span lines (each is written as a comment line); controls are refused
        yield dict(type='host', address='all', method='reject', comment=v), 'rules[2].comment'
    for v in ('fe80::1%x trust #', 'fe80::1%eth0', '10.0.0.0/8 trust', 'all trust'):
        yield dict(type='host', address=v, method='reject'), 'rules[2].address'


def test_hostile_values_rejected_before_the_file_changes(pg, hba):
    hba(rules=BASE)
    before = raw(hba.path)
    cases = list(_hostile_rules())
    results = run_many([dict(pg.connection_args(), rules=BASE + [rule]) for rule, _option in cases])
    for (rule, option), res in zip(cases, results):
        assert res.get('failed') is True, (rule, res.get('msg'))
        assert option in res['msg'], (rule, res['msg'])
    assert raw(hba.path) == before, 'byte-identical file'


def test_non_utf8_file_is_read_and_replaced(pg, hba, tmp_path):
    hba(rules=BASE)
    latin1 = raw(hba.path) + b'# caf\xe9 (Latin-1)\n'
    with open(hba.path, 'wb') as f:
        f.write(latin1)
    assert pg.query('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL') == [(0,)], 'the server accepts it'
    predicted = hba(check=True, diff=True, rules=BASE)
    assert predicted['changed'] is True and predicted.get('failed') is not True, predicted.get('msg')
    assert 'caf' in predicted['diff']['before']
    assert raw(hba.path) == latin1, 'check mode changed nothing'
    assert hba(rules=BASE)['changed'] is True
    assert b'\xe9' not in raw(hba.path)
    # validate=local: a Latin-1 include line is preserved byte for byte
    path = str(tmp_path / 'pg_hba.conf')
    with open(path, 'wb') as f:
        f.write(b'# \xe9t\xe9\nlocal all all peer\ninclude_if_exists "extra-\xe9.conf"\n')
    args = dict(validate='local', path=path, rules=BASE)
    res = hba(check=True, diff=True, **args)
    assert res['changed'] is True and res.get('failed') is not True, res.get('msg')
    res = hba(**args)
    assert res['changed'] is True and raw(path).endswith(b'\ninclude_if_exists "extra-\xe9.conf"\n')
    assert hba(**args)['changed'] is False


@pytest.mark.parametrize('check', [True, False])
def test_non_superuser_gets_the_missing_privilege(pg, hba, check):
    pg.query("CREATE ROLE it_hba_plain LOGIN")
    try:
        before = raw(hba.path)
        rules = [dict(type='local', users=['postgres', 'it_hba_plain'], method='trust')] + BASE[1:]
        res = hba(check=check, rules=rules, login_user='it_hba_plain')
        assert res.get('failed') is True and 'Traceback' not in str(res)
        assert 'it_hba_plain' in res['msg'] and 'pg_read_all_settings' in res['msg'], res['msg']
        pg.query('GRANT pg_read_all_settings TO it_hba_plain')
        res = hba(check=check, rules=rules, login_user='it_hba_plain')
        assert res.get('failed') is True and 'pg_hba_file_rules' in res['msg'], res['msg']
        assert 'GRANT EXECUTE ON FUNCTION pg_hba_file_rules()' in res['msg']
        assert raw(hba.path) == before
    finally:
        pg.query('DROP ROLE it_hba_plain')


def test_mode_given_as_an_unquoted_yaml_int(pg, hba):
    res = hba(rules=BASE, mode=0o600)  # what YAML makes of `mode: 0600`
    assert res.get('failed') is not True, res.get('msg')
    assert stat.S_IMODE(os.stat(hba.path).st_mode) == 0o600
    assert hba(rules=BASE, mode='0600')['changed'] is False
    res = hba(rules=BASE, mode=600)  # `mode: 600`: decimal 600, not an octal mode
    assert res.get('failed') is True and 'mode' in res['msg'] and 'quote' in res['msg'], res['msg']
    assert stat.S_IMODE(os.stat(hba.path).st_mode) == 0o600


SEPARATED = '# note\u2028include_dir /x\n# b\x85include /y\n# c\u2029include_if_exists /z\n# d\u202eb\n'


def _include_lines(text):
    return [line for line in text.split('\n') if line.lstrip(' \t').startswith('include')]


def _no_include_line(text):
    return _include_lines(text) == []


def test_a_file_with_unicode_line_separators_gets_no_new_lines(pg, hba, tmp_path):
    """A comment of an existing file holding U+2028, U+2029 or U+0085 before include words is one comment line,
    as PostgreSQL reads it: no include line is made of it, and the next runs change nothing."""
    hba(rules=BASE)
    with open(hba.path, 'ab') as f:
        f.write(SEPARATED.encode('utf-8'))
    assert pg.query('SELECT count(*), count(error) FROM pg_hba_file_rules') == [(2, 0)], 'the server reads comments'
    predicted = hba(check=True, diff=True, rules=BASE)
    assert predicted['changed'] is True and predicted['preserved_includes'] == [], predicted
    assert _no_include_line(predicted['diff']['after'])
    res = hba(rules=BASE)
    assert res['changed'] is True and res.get('failed') is not True and res['preserved_includes'] == [], res.get('msg')
    written = raw(hba.path)
    assert _no_include_line(written.decode()) and '\u2028'.encode() not in written
    for _run in range(2):
        assert hba(rules=BASE)['changed'] is False
    assert raw(hba.path) == written
    assert pg.query('SELECT count(*), count(error) FROM pg_hba_file_rules') == [(2, 0)]
    # validate=local (any server version): the same, and a real include line next to them is kept once
    path = str(tmp_path / 'pg_hba.conf')
    with open(path, 'wb') as f:
        f.write(('local all all peer\n' + SEPARATED + 'include_if_exists "extra.conf"\n').encode('utf-8'))
    args = dict(validate='local', path=path, rules=BASE)
    res = hba(**args)
    assert res['changed'] is True and res['preserved_includes'] == ['include_if_exists "extra.conf"'], res
    written = raw(path)
    assert _include_lines(written.decode()) == ['include_if_exists "extra.conf"']
    for _run in range(2):
        assert hba(**args)['changed'] is False
    assert raw(path) == written


def test_unicode_line_separators_and_format_controls_are_refused_before_the_file_changes(pg, hba):
    """Through the module's JSON arguments (YAML would fold U+0085 and U+2028 into a space before the module sees
    them): every field, the comment included, names the option."""
    hba(rules=BASE)
    before = raw(hba.path)
    cases = [(dict(type='host', address='all', method='reject', comment='note\u2028include_dir /x'), 'rules[2].comment'),
             (dict(type='host', address='all', method='reject', comment='ok\nnote\x85include /y'), 'rules[2].comment'),
             (dict(type='host', address='all', method='reject', comment='x\u2029host all all 0.0.0.0/0 trust'),
              'rules[2].comment'),
             (dict(type='host', address='all', method='reject', comment='admins \u202enimda'), 'rules[2].comment'),
             (dict(type='host', databases=['app\u2028'], address='all', method='reject'), 'rules[2].databases'),
             (dict(type='host', users='app,u\x85', address='all', method='reject'), 'rules[2].users'),
             (dict(type='host', address='10.0.0.0/8\u2029', method='reject'), 'rules[2].address'),
             (dict(type='host', address='all', method='ident', options={'map': 'm\u200b'}), 'rules[2].options.map'),
             (dict(LDAP, secret_options={'ldapbindpasswd': SECRET + '\u2028'}), 'rules[2].secret_options.ldapbindpasswd'),
             (dict(type='include', file='extra\u2028.conf'), 'rules[2].file')]
    for rule, option in cases:
        res = hba(rules=BASE + [rule])
        assert res.get('failed') is True and res['msg'].startswith(option + ': must not contain U+'), (rule, res)
        assert SECRET not in repr(res)
    assert raw(hba.path) == before, 'byte-identical file'
