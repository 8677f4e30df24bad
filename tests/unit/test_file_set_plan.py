"""The file_set planner: validation names the option, and only what differs is planned."""
import os
import re

import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.file_set_plan import (
    FileSetError, diff, diff_directories, plan, plan_directories, validate)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.files import NotARegularFile, read_regular, read_text


def f(path='/etc/x.conf', content='a\n', mode='0644', owner=None, group=None):
    return dict(path=path, content=content, mode=mode, owner=owner, group=group)


def cur(content='a\n', mode=0o644, owner='root', group='root'):
    return dict(kind='file', content=content, mode=mode, owner=owner, group=group)


def test_unchanged_files_plan_nothing():
    wanted = validate([f(owner='root', group='root'), f('/etc/y', 'b', '0600')])
    assert plan(wanted, {'/etc/x.conf': cur(), '/etc/y': cur('b', 0o600)}) == []


def test_missing_file_is_written_with_mode_and_owner():
    [a] = plan(validate([f(owner='postgres', group='postgres')]), {'/etc/x.conf': None})
    assert (a['write'], a['chmod'], a['chown']) == (True, True, True)
    assert a['before']['content'] == '' and a['after']['mode'] == '0644' and a['after']['owner'] == 'postgres'


def test_content_mode_and_owner_differences_are_told_apart():
    wanted = validate([f('/a'), f('/b', mode='0600'), f('/c', owner='postgres')])
    actions = plan(wanted, {'/a': cur('old\n'), '/b': cur(), '/c': cur()})
    got = dict((a['path'], (a['write'], a['chmod'], a['chown'])) for a in actions)
    assert got == {'/a': (True, True, False), '/b': (False, True, False), '/c': (False, False, True)}


def test_a_yaml_octal_number_is_the_mode_itself():
    assert validate([f(mode=0o640)])[0]['mode'] == 0o640


def test_unset_owner_and_group_are_not_managed():
    assert plan(validate([f()]), {'/etc/x.conf': cur(owner='postgres', group='adm')}) == []


def test_diff_shows_mode_owner_and_content():
    [d] = diff(plan(validate([f(content='new\n', mode='0600')]), {'/etc/x.conf': cur('old\n')}))
    assert d['before'] == '# mode 0644 owner root group root\nold\n'
    assert d['after'] == '# mode 0600 owner root group root\nnew\n'
    assert d['before_header'] == d['after_header'] == '/etc/x.conf'


def test_a_directory_in_the_way_is_refused():
    with pytest.raises(FileSetError, match='not a regular file'):
        plan(validate([f()]), {'/etc/x.conf': dict(kind='other')})


@pytest.mark.parametrize('bad, message', [
    ([], 'files: give at least one file'),
    ([f(path='relative/x')], r'files\[0\]\.path: must be an absolute'),
    ([f(path='/etc/../etc/shadow')], r'files\[0\]\.path: must be an absolute, normalised'),
    ([f(path='/etc//x')], r'files\[0\]\.path'),
    ([f(path='/etc/x/')], r'files\[0\]\.path'),
    ([f(path='/')], r'files\[0\]\.path'),
    ([f(path='/etc/x\x00y')], r'files\[0\]\.path: must not contain NUL'),
    ([f(path='/etc/x\ny')], r'files\[0\]\.path: must not contain NUL or a line break'),
    ([f(), f()], r'files\[1\]\.path: /etc/x.conf is also files\[0\]\.path'),
    ([f(content=None)], r'files\[0\]\.content: required'),
    ([f(mode=0o4755)], r'files\[0\]\.mode: an octal mode such as'),
    ([f(mode=True)], r'files\[0\]\.mode'),
    ([f(mode='0999')], r'files\[0\]\.mode'),
    ([f(mode='u+rwx')], r'files\[0\]\.mode'),
    ([f(mode='04755')], r'files\[0\]\.mode'),
    ([f(owner='root; rm -rf /')], r'files\[0\]\.owner: a user or group name'),
    ([f(group='-g')], r'files\[0\]\.group'),
    ([dict(f(), extra=1)], r'files\[0\]: unknown option\(s\) extra'),
    (['/etc/x'], r'files\[0\]: must be a dictionary'),
])
def test_bad_input_names_the_option(bad, message):
    with pytest.raises(FileSetError, match=message):
        validate(bad)


def d(path='/etc/pgw', mode='0750', owner=None, group=None):
    return dict(path=path, mode=mode, owner=owner, group=group)


def dcur(mode=0o750, owner='root', group='root'):
    return dict(kind='directory', mode=mode, owner=owner, group=group)


def test_directories_missing_are_created_parents_first_existing_ones_fixed():
    dirs, files = validate([f('/etc/pgw/a/x.conf')], [d('/etc/pgw/a', '0700'), d('/etc/pgw', owner='postgres'), d('/var/x')])
    assert [e['path'] for e in files] == ['/etc/pgw/a/x.conf']
    actions = plan_directories(dirs, {'/etc/pgw': None, '/etc/pgw/a': None, '/etc': dcur(0o755),
                                      '/var/x': dcur(0o700), '/var': dcur(0o755)})
    got = [(a['path'], a['create'], a['chmod'], a['chown']) for a in actions]
    assert got == [('/etc/pgw', True, True, True), ('/var/x', False, True, False), ('/etc/pgw/a', True, True, False)]
    assert diff_directories(actions)[0]['before'] == '# absent\n'
    assert '# directory mode 0750 owner postgres' in diff_directories(actions)[0]['after']


def test_unchanged_directories_plan_nothing():
    dirs = validate(None, [d(owner='root', group='root')])[0]
    assert plan_directories(dirs, {'/etc/pgw': dcur(), '/etc': dcur(0o755)}) == []


def test_a_directory_over_a_file_or_without_its_parent_fails():
    dirs = validate(None, [d()])[0]
    with pytest.raises(FileSetError, match='exists and is not a directory'):
        plan_directories(dirs, {'/etc/pgw': dict(kind='other')})
    dirs = validate(None, [d('/plain/pgw')])[0]
    with pytest.raises(FileSetError, match='/plain exists and is not a directory'):
        plan_directories(dirs, {'/plain/pgw': None, '/plain': dict(kind='other')})


def test_missing_parents_are_created_0755_before_the_listed_directory():
    dirs = validate(None, [d('/srv/a/b/pgw', owner='postgres')])[0]
    actions = plan_directories(dirs, {'/srv/a/b/pgw': None, '/srv/a/b': None, '/srv/a': None, '/srv': dcur(0o755)})
    assert [(a['path'], a['after']['mode'], a['after']['owner']) for a in actions] == [
        ('/srv/a', '0755', None), ('/srv/a/b', '0755', None), ('/srv/a/b/pgw', '0750', 'postgres')]


@pytest.mark.parametrize('entry,message', [
    (d('relative'), r'directories\[0\].path: must be an absolute'),
    (d('/etc/../root'), r'directories\[0\].path: must be an absolute'),
    (d('/etc/x\n'), r'directories\[0\].path: must not contain'),
    (d(mode='4755'), r'directories\[0\].mode'),
    (d(owner='root;rm -rf /'), r'directories\[0\].owner'),
    (dict(path='/etc/x', mode='0755', recurse=True), r'directories\[0\]: unknown option'),
])
def test_bad_directory_entries_are_named(entry, message):
    with pytest.raises(FileSetError, match=message):
        validate(None, [entry])


def test_a_path_in_both_lists_and_an_empty_set_fail():
    with pytest.raises(FileSetError, match=r'files\[0\].path: /etc/pgw is also directories\[0\].path'):
        validate([f('/etc/pgw')], [d('/etc/pgw')])
    with pytest.raises(FileSetError, match='give at least one file or directory'):
        validate([], [])


def test_src_is_validated_and_its_content_never_shown_in_the_diff():
    with pytest.raises(FileSetError, match=r'files\[0\]: give content or src, not both'):
        validate([dict(path='/etc/a', content='x', src='/etc/b', mode='0644')])
    with pytest.raises(FileSetError, match=r'files\[0\].src: must be an absolute'):
        validate([dict(path='/etc/a', src='../b', mode='0644')])
    with pytest.raises(FileSetError, match=r'files\[0\].content: required'):
        validate([dict(path='/etc/a', mode='0644')])
    [w] = validate([dict(path='/etc/a.key', src='/etc/ssl/b.key', mode='0600')])
    assert w['src'] == '/etc/ssl/b.key' and w['content'] is None
    w['content'] = 'SECRET KEY\n'
    [a] = plan([w], {'/etc/a.key': cur('OLD KEY\n', 0o600)})
    [d] = diff([a])
    assert 'KEY' not in d['before'] + d['after'] and '# content of /etc/ssl/b.key' in d['after']


def test_content_over_the_limit_is_refused_and_a_large_current_file_is_replaced_unread():
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.file_set_plan import MAX_BYTES
    assert len(validate([f(content='x' * MAX_BYTES)])[0]['content']) == MAX_BYTES
    with pytest.raises(FileSetError, match=r'files\[1\]\.content: larger than the limit of 1048576 bytes'):
        validate([f('/a'), f('/b', content='\u00e9' * (MAX_BYTES // 2 + 1))])  # counted in UTF-8 bytes
    [a] = plan(validate([f()]), {'/etc/x.conf': cur(content=None)})
    assert a['write'] and 'larger than 1048576 bytes, not read' in a['before']['content']


def _fifo(tmp_path):
    path = str(tmp_path / 'fifo')
    os.mkfifo(path)
    return path


def test_read_regular_refuses_devices_fifos_directories_and_large_files_without_reading(tmp_path):
    big = tmp_path / 'big'
    big.write_bytes(b'x' * 101)
    ok = tmp_path / 'ok'
    ok.write_bytes(b'caf\xc3\xa9 \xff\n')
    link = tmp_path / 'link'
    link.symlink_to(ok)
    assert read_regular(str(ok), 100) == read_regular(str(link), 100) == read_text(str(ok))
    assert read_regular(str(tmp_path / 'missing'), 100) is None
    for path, what in [('/dev/zero', 'is a character device'), (_fifo(tmp_path), 'is a FIFO'),
                       (str(tmp_path), 'is a directory'), (str(big), 'is larger than 100 bytes (101)')]:
        with pytest.raises(NotARegularFile, match=re.escape(what)):
            read_regular(path, 100)
