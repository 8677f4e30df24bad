"""The file_set planner: validation names the option, and only what differs is planned."""
import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.file_set_plan import FileSetError, diff, plan, validate


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
    ([f(path='/etc/x\ny')], r'files\[0\]\.path: must not contain NUL or a newline'),
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
