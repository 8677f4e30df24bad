import os

import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.files import (
    atomic_write, backup, file_mode, printable, read_text)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.hba_io import explain, missing_privileges
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.hba_model import (
    HEADER, hide, include_lines, lockout, mask, normalise_rules, render_file, render_rule, secret_values)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

ADMIN = dict(type='local', databases=['all'], users=['postgres'], method='peer')


def rules(*rs):
    return normalise_rules(list(rs))


def test_render_ordered_rules_with_options_and_quoting():
    text, numbers = render_file(rules(
        ADMIN,
        dict(type='hostssl', databases=['app', 'my db'], users=['+readers'], address='10.1.2.0/24',
             method='scram-sha-256', comment='application servers'),
        dict(type='hostssl', users=['report'], address='192.0.2.7', method='cert',
             options={'clientcert': 'verify-full', 'map': 'certmap'}),
        dict(type='hostssl', address='::1', method='scram-sha-256'),
        dict(type='host', address='.example.com', method='scram-sha-256'),
        dict(type='hostnossl', address='all', method='reject')))
    assert text.startswith(HEADER)
    body = text[len(HEADER):].splitlines()
    assert body == [
        '',
        'local  all  postgres  peer',
        '# application servers',
        'hostssl  app,"my db"  +readers  10.1.2.0/24  scram-sha-256',
        'hostssl  all  report  192.0.2.7/32  cert  clientcert=verify-full  map=certmap',
        'hostssl  all  all  ::1/128  scram-sha-256',
        'host  all  all  .example.com  scram-sha-256',
        'hostnossl  all  all  all  reject',
    ]
    lines = text.splitlines()
    assert [lines[n - 1] for n in numbers] == body[1:2] + body[3:]


def test_include_lines_preserved_after_rules():
    old = 'local all all peer\ninclude_dir conf.d  # extra\ninclude_if_exists "/etc/x y.conf"\n'
    assert include_lines(old) == ['include_dir conf.d  # extra', 'include_if_exists "/etc/x y.conf"']
    existing = ['include_dir conf.d', 'include ext.conf']
    text, _unused = render_file(rules(ADMIN, dict(type='include_dir', file='conf.d')), existing)
    assert text.endswith('include_dir conf.d\n\n# include lines found in the previous file, kept by pgwarden\n'
                         'include ext.conf\n')


@pytest.mark.parametrize('rule,option,problem', [
    (dict(type='hostssl', method='scram-sha-256'), 'rules[1].address', 'is required'),
    (dict(type='host', address='10.0.0.1/8', method='md5'), 'rules[1].address', 'host bits set'),
    (dict(type='host', address='300.1.1.1/32', method='md5'), 'rules[1].address', 'not a valid address'),
    (dict(type='host', address='10.0.0.0/33', method='md5'), 'rules[1].address', 'not a valid'),
    (dict(type='host', address='bad_host!', method='md5'), 'rules[1].address', 'neither a CIDR'),
    (dict(type='local', address='10.0.0.0/8', method='peer'), 'rules[1].address', 'take no address'),
    (dict(type='host', address='all', method='cert'), 'rules[1].method', 'needs a hostssl'),
    (dict(type='host', address='all', method='peer'), 'rules[1].method', 'only works for local'),
    (dict(type='hostssl', address='all', method='scram-sha-256', options={'map': 'x'}), 'rules[1].options',
     "'map' is not an option of method scram-sha-256"),
    (dict(type='host', address='all', method='md5', options={'clientcert': 'verify-full'}), 'rules[1].options',
     'only valid on hostssl'),
    (dict(type='hostssl', address='all', method='cert', options={'clientcert': 'verify-ca'}), 'rules[1].options',
     'verify-full'),
    (dict(type='hostssl', address='all', method='nope'), 'rules[1].method', 'must be one of'),
    (dict(type='hostx', address='all', method='md5'), 'rules[1].type', 'must be one of'),
    (dict(type='include'), 'rules[1].file', 'is required'),
    (dict(type='host', users=['a"b'], address='all', method='md5'), 'rules[1].users', 'double quote'),
    (dict(type='host', databases=[], address='all', method='md5'), 'rules[1].databases', 'must not be empty'),
])
def test_invalid_rules_name_the_field(rule, option, problem):
    with pytest.raises(PlanError) as e:
        rules(ADMIN, rule)
    assert e.value.option == option and problem in e.value.problem


def test_lockout_guard():
    assert lockout(rules(ADMIN), 'postgres', 'postgres') is None
    assert lockout(rules(dict(type='local', databases=['postgres'], users=['all'], method='trust')),
                   'postgres', 'postgres') is None
    host_only = rules(dict(type='host', address='all', method='scram-sha-256'))
    assert 'no local rule' in lockout(host_only, 'postgres', 'postgres')
    refused = lockout(rules(dict(type='local', method='reject'), ADMIN), 'postgres', 'postgres')
    assert refused.startswith('rules[0]') and 'reject' in refused
    assert 'scram-sha-256' in lockout(rules(dict(type='local', method='scram-sha-256')), 'postgres', 'postgres')
    assert lockout(rules(dict(type='local', method='scram-sha-256')), 'postgres', 'postgres', password_given=True) is None
    # rules for other users or databases do not count; ambiguous rejects are assumed to match
    assert lockout(rules(dict(type='local', users=['app'], method='reject'),
                         dict(type='local', databases=['replication'], method='reject'), ADMIN),
                   'postgres', 'postgres') is None
    assert 'may match' in lockout(rules(dict(type='local', users=['+blocked'], method='reject'), ADMIN),
                                  'postgres', 'postgres')
    assert lockout(rules(dict(type='local', users=['+admins'], method='peer'), ADMIN), 'postgres', 'postgres') is None


def test_mask_secrets_and_explain():
    assert mask('host all all all ldap ldapbindpasswd="s e" ldapserver=x') == \
        'host all all all ldap ldapbindpasswd=******** ldapserver=x'
    assert explain([dict(line=5, error='bad'), dict(line=9, error='worse')], [4, 5]) == ['rules[1]: bad', 'line 9: worse']


def test_atomic_write_backup_and_modes(tmp_path):
    path = str(tmp_path / 'pg_hba.conf')
    assert read_text(path) is None and backup(path) is None
    atomic_write(path, 'one\n', 0o640)
    assert read_text(path) == 'one\n' and file_mode(path) == 0o640
    copy = backup(path)
    atomic_write(path, u'two \u00e9\n', 0o600)
    assert read_text(path) == u'two \u00e9\n' and file_mode(path) == 0o600
    assert read_text(copy) == 'one\n' and copy.endswith('~')
    assert backup(path) != copy
    names = os.listdir(str(tmp_path))
    assert len(names) == 3 and all(n == 'pg_hba.conf' or n.endswith('~') for n in names), 'no temporary file left'


HOSTILE = ['a"b', 'a\nhost all all 0.0.0.0/0 trust', 'x"\nhost all all 0.0.0.0/0 trust\n#', 'a\rb', 'a\x00b',
           'a\x1bb', 'a\x7fb', 'a\tb', u'a\udce9b']
LDAP = dict(type='host', address='all', method='ldap', options={'ldapserver': 'ldap', 'ldapbasedn': 'dc=x'})


def _field_cases(v):
    yield dict(type='host', databases=['app', v], address='all', method='md5'), 'rules[1].databases'
    yield dict(type='host', users=[v], address='all', method='md5'), 'rules[1].users'
    yield dict(type='host', address='10.0.0.0/8' + v, method='md5'), 'rules[1].address'
    yield dict(type='host', address='all', method='ident', options={'map' + v: 'x'}), 'rules[1].options'
    yield dict(type='host', address='all', method='ident', options={'map': v}), 'rules[1].options.map'
    yield dict(LDAP, secret_options={'ldapbindpasswd': v}), 'rules[1].secret_options.ldapbindpasswd'
    yield dict(type='include_if_exists', file='x' + v), 'rules[1].file'


@pytest.mark.parametrize('value', HOSTILE)
def test_hostile_values_refused_in_every_written_field(value):
    for rule, option in _field_cases(value):
        with pytest.raises(PlanError) as e:
            rules(ADMIN, rule)
        assert e.value.option == option, rule
        if 'secret' in option:
            assert value not in str(e.value), 'a secret is never echoed'


@pytest.mark.parametrize('value', ['a\rb', 'a\x00b', 'a\x1bb', 'a\x0bb', u'a\udce9b'])
def test_comment_refuses_control_characters(value):
    with pytest.raises(PlanError) as e:
        rules(dict(ADMIN, comment=value))
    assert e.value.option == 'rules[0].comment'


def test_comment_lines_stay_comments():
    text, _unused = render_file(rules(dict(ADMIN, comment='one "quoted"\nhost all all 0.0.0.0/0 trust\tx')))
    assert '\n# one "quoted"\n# host all all 0.0.0.0/0 trust\tx\nlocal  all  postgres  peer\n' in text


# Line and paragraph separators, NEL, other controls and format controls (bidi, zero width, BOM), private use.
UNICODE_HOSTILE = ['\u2028', '\u2029', '\x85', '\x1c', '\x1e', '\u202e', '\u2066', '\u200b', '\u200e', '\ufeff', '\ue000']


@pytest.mark.parametrize('char', UNICODE_HOSTILE)
def test_line_separators_and_non_printing_characters_refused_in_every_field(char):
    fields = [
        ('rules[0].comment', dict(ADMIN, comment='ok\nnote' + char + 'include_dir /x')),
        ('rules[0].databases', dict(type='host', databases=['app' + char], address='all', method='reject')),
        ('rules[0].databases', dict(type='host', databases='app,db' + char, address='all', method='reject')),
        ('rules[0].users', dict(type='host', users=[char + 'u'], address='all', method='reject')),
        ('rules[0].users', dict(type='host', users='u' + char, address='all', method='reject')),  # not stripped away
        ('rules[0].address', dict(type='host', address='10.0.0.0/8' + char, method='reject')),
        ('rules[0].options', dict(type='host', address='all', method='ident', options={'map' + char: 'x'})),
        ('rules[0].options.map', dict(type='host', address='all', method='ident', options={'map': 'm' + char})),
        ('rules[0].file', dict(type='include', file='extra' + char + '.conf')),
    ]
    for option, rule in fields:
        with pytest.raises(PlanError) as e:
            rules(rule)
        assert e.value.option == option, (rule, e.value)
        assert 'U+%04X' % ord(char) in str(e.value) and char not in str(e.value), str(e.value)
    secret = dict(type='host', address='all', method='ldap', options={'ldapserver': 'ldap.example.com'},
                  secret_options={'ldapbindpasswd': 'S3cret' + char})
    with pytest.raises(PlanError) as e:
        rules(secret)
    assert e.value.option == 'rules[0].secret_options.ldapbindpasswd' and 'S3cret' not in str(e.value)


def test_printable_unicode_is_still_accepted():
    text, _unused = render_file(rules(dict(ADMIN, comment='caf\u00e9 \u65e5\u672c \u00a0 emoji \U0001f418')))
    assert '# caf\u00e9 \u65e5\u672c \u00a0 emoji \U0001f418\n' in text


def test_include_lines_split_on_newline_only():
    text = ('# note\u2028include_dir /x\n# b\x85include /y\n# c\u2029include_if_exists /z\r\n'
            'include_dir\u2028/w\n'
            '\t include "a b.conf"  # kept\r\n')
    assert include_lines(text) == ['include "a b.conf"  # kept']


@pytest.mark.parametrize('address', ['fe80::1%x trust #', 'fe80::1%eth0', '10.0.0.0/8 trust', 'all trust'])
def test_address_cannot_smuggle_columns(address):
    with pytest.raises(PlanError) as e:
        rules(dict(type='host', address=address, method='md5'))
    assert e.value.option == 'rules[0].address'


def test_option_names_and_values_must_be_scalars():
    with pytest.raises(PlanError) as e:
        rules(dict(type='host', address='all', method='ident', options={1: 'x'}))
    assert e.value.option == 'rules[0].options'
    with pytest.raises(PlanError) as e:
        rules(dict(type='host', address='all', method='ident', options={'map': ['a', 'b']}))
    assert e.value.option == 'rules[0].options.map'


def test_secret_options_rendered_in_the_file_masked_elsewhere():
    rs = rules(ADMIN, dict(LDAP, secret_options={'ldapbindpasswd': 's e'}),
               dict(type='host', address='all', method='radius',
                    options={'radiusservers': 'r1'}, secret_options={'radiussecrets': 'rs'}))
    text, _unused = render_file(rs)
    assert 'ldap  ldapbasedn="dc=x"  ldapbindpasswd="s e"  ldapserver=ldap\n' in text
    assert 'radius  radiussecrets=rs  radiusservers=r1\n' in text
    assert render_rule(rs[1]) == 'host  all  all  all  ldap  ldapbasedn="dc=x"  ldapbindpasswd=********  ldapserver=ldap'
    assert render_rule(rs[2]) == 'host  all  all  all  radius  radiussecrets=********  radiusservers=r1'
    assert mask(text).count('********') == 2 and 's e' not in mask(text)
    assert hide('error near "s e" and rs', {'s e', 'rs'}) == 'error near "********" and ********'


@pytest.mark.parametrize('rule,option', [
    (dict(LDAP, options=dict(LDAP['options'], ldapbindpasswd='pw')), 'rules[1].options'),
    (dict(LDAP, secret_options={'ldapserver': 'x'}), 'rules[1].secret_options'),
    (dict(LDAP, secret_options={'radiussecrets': 'x'}), 'rules[1].secret_options'),
    (dict(LDAP, secret_options={'ldapbindpasswd': ''}), 'rules[1].secret_options.ldapbindpasswd'),
])
def test_secret_options_only_in_their_home(rule, option):
    with pytest.raises(PlanError) as e:
        rules(ADMIN, rule)
    assert e.value.option == option and 'pw' not in e.value.problem


def test_secret_values_found_also_in_ordinary_options():
    assert secret_values([dict(LDAP, options={'ldapbindpasswd': 'a', 'ldapserver': 'b'}),
                          dict(type='host', secret_options={'radiussecrets': 'c', 'x': ''}), 'junk']) == {'a', 'c'}


def test_missing_privileges_names_each_grant():
    everything = dict(user='u', read_settings=True, hba_rules=True, reload=True, hba_file='/x')
    assert missing_privileges(everything, True) is None
    assert missing_privileges(dict(everything, reload=False), False) is None
    msg = missing_privileges(dict(everything, read_settings=False, hba_rules=False, reload=False), True)
    assert msg.startswith("login_user: 'u'")
    for grant in ('GRANT pg_read_all_settings TO u', 'GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO u',
                  'GRANT EXECUTE ON FUNCTION pg_reload_conf() TO u'):
        assert grant in msg


def test_non_utf8_bytes_survive_a_read_write_round_trip(tmp_path):
    path = str(tmp_path / 'pg_hba.conf')
    with open(path, 'wb') as f:
        f.write(b'# caf\xe9\ninclude "x\xe9.conf"\n')
    text = read_text(path)
    assert printable(text) == '# caf\\xe9\ninclude "x\\xe9.conf"\n'
    assert include_lines(text) == [u'include "x\udce9.conf"']
    atomic_write(path, text + 'local all all peer\n', 0o600)
    with open(path, 'rb') as f:
        assert f.read() == b'# caf\xe9\ninclude "x\xe9.conf"\nlocal all all peer\n'


def test_atomic_write_and_backup_through_a_symlink(tmp_path):
    real_dir = tmp_path / 'etc'
    real_dir.mkdir()
    target, link = str(real_dir / 'pg_hba.conf'), str(tmp_path / 'pg_hba.conf')
    atomic_write(target, 'old\n', 0o640)
    os.symlink(target, link)
    copy = backup(link)
    atomic_write(link, 'new\n', 0o600)
    assert os.path.islink(link) and os.readlink(link) == target
    assert read_text(target) == 'new\n' and file_mode(target) == 0o600
    assert os.path.dirname(copy) == str(real_dir) and read_text(copy) == 'old\n'
    assert sorted(os.listdir(str(real_dir))) == sorted(['pg_hba.conf', os.path.basename(copy)])
