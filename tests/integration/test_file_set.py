"""pgwarden.postgresql.file_set on this host: one module run converges a set of files, check mode and
diff come from the same plan, and bad input changes nothing."""
import os
import stat
import threading

from runner import run_module


def _files(d, a='one\n', b='two\n', mode_b='0600'):
    return [dict(path=os.path.join(d, 'a.service'), content=a, mode='0644'),
            dict(path=os.path.join(d, 'b.timer'), content=b, mode=mode_b)]


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_then_changes_nothing_then_only_what_differs(tmp_path):
    d = str(tmp_path)
    r = run_module('pgwarden.postgresql.file_set', dict(files=_files(d)), check=True, diff=True)
    assert r['changed'] and len(r['changed_files']) == 2 and os.listdir(d) == []
    assert r['diff'][0]['after'].endswith('one\n')
    r = run_module('pgwarden.postgresql.file_set', dict(files=_files(d)))
    assert r['changed'] and sorted(os.listdir(d)) == ['a.service', 'b.timer']
    assert open(os.path.join(d, 'b.timer')).read() == 'two\n' and _mode(os.path.join(d, 'b.timer')) == 0o600
    r = run_module('pgwarden.postgresql.file_set', dict(files=_files(d)))
    assert r['changed'] is False and r['changed_files'] == []
    r = run_module('pgwarden.postgresql.file_set', dict(files=_files(d, b='three\n', mode_b='0640')), diff=True)
    assert r['changed_files'] == [os.path.join(d, 'b.timer')]
    assert open(os.path.join(d, 'b.timer')).read() == 'three\n' and _mode(os.path.join(d, 'b.timer')) == 0o640
    assert '# mode 0600' in r['diff'][0]['before'] and '# mode 0640' in r['diff'][0]['after']


def test_mode_alone_is_fixed_without_rewriting(tmp_path):
    d = str(tmp_path)
    run_module('pgwarden.postgresql.file_set', dict(files=_files(d)))
    path = os.path.join(d, 'a.service')
    os.chmod(path, 0o666)
    inode = os.stat(path).st_ino
    r = run_module('pgwarden.postgresql.file_set', dict(files=_files(d)))
    assert r['changed_files'] == [path] and _mode(path) == 0o644 and os.stat(path).st_ino == inode


def test_bad_entry_fails_naming_it_and_writes_nothing(tmp_path):
    d = str(tmp_path)
    files = _files(d) + [dict(path=d + '/../escape', content='x', mode='0644')]
    r = run_module('pgwarden.postgresql.file_set', dict(files=files))
    assert r.get('failed') and 'files[2].path' in r['msg'] and os.listdir(d) == []
    files = _files(d) + [dict(path=d + '/c', content='x', mode='0644', owner='no-such-user-pgw')]
    r = run_module('pgwarden.postgresql.file_set', dict(files=files))
    assert r.get('failed') and 'files[2].owner: no such user' in r['msg'] and os.listdir(d) == []
    r = run_module('pgwarden.postgresql.file_set', dict(files=[dict(path=d + '/missing/x', content='x', mode='0644')]))
    assert r.get('failed') and 'does not exist' in r['msg']


def test_owner_and_group_are_set(tmp_path):
    d = str(tmp_path)
    files = [dict(path=d + '/owned', content='x\n', mode='0640', owner='root', group='root')]
    r = run_module('pgwarden.postgresql.file_set', dict(files=files))
    assert r['changed'] and os.stat(d + '/owned').st_uid == 0 and os.stat(d + '/owned').st_gid == 0
    assert run_module('pgwarden.postgresql.file_set', dict(files=files))['changed'] is False


def test_directories_and_files_in_them_take_one_run(tmp_path):
    d = str(tmp_path)
    args = dict(directories=[dict(path=d + '/etc/jobs', mode='0750', owner='root', group='root'),
                             dict(path=d + '/etc', mode='0755')],
                files=[dict(path=d + '/etc/jobs/a.conf', content='a\n', mode='0640')])
    r = run_module('pgwarden.postgresql.file_set', args, check=True, diff=True)
    assert r['changed'] and r['changed_directories'] == [d + '/etc', d + '/etc/jobs'] and os.listdir(d) == []
    assert r['changed_files'] == [d + '/etc/jobs/a.conf'] and r['diff'][0]['before'] == '# absent\n'
    r = run_module('pgwarden.postgresql.file_set', args)
    assert r['changed'] and _mode(d + '/etc/jobs') == 0o750 and _mode(d + '/etc') == 0o755
    assert open(d + '/etc/jobs/a.conf').read() == 'a\n'
    assert run_module('pgwarden.postgresql.file_set', args)['changed'] is False
    os.chmod(d + '/etc/jobs', 0o777)
    r = run_module('pgwarden.postgresql.file_set', args, diff=True)
    assert r['changed_directories'] == [d + '/etc/jobs'] and r['changed_files'] == [] and _mode(d + '/etc/jobs') == 0o750
    assert '# directory mode 0777' in r['diff'][0]['before']
    r = run_module('pgwarden.postgresql.file_set', dict(directories=[dict(path=d + '/srv/a/b', mode='0700')]))
    assert r['changed_directories'] == [d + '/srv', d + '/srv/a', d + '/srv/a/b']
    assert (_mode(d + '/srv'), _mode(d + '/srv/a'), _mode(d + '/srv/a/b')) == (0o755, 0o755, 0o700)


def test_bad_directory_input_changes_nothing(tmp_path):
    d = str(tmp_path)
    open(d + '/plain', 'w').close()
    for args, message in [
        (dict(directories=[dict(path=d + '/new', mode='0755'), dict(path=d + '/plain', mode='0755')]),
         'is not a directory'),
        (dict(directories=[dict(path=d + '/new', mode='0755'), dict(path=d + '/plain/b', mode='0755')]),
         '%s/plain exists and is not a directory' % d),
        (dict(directories=[dict(path=d + '/new', mode='0755', owner='no-such-user-pgw')]),
         'directories[0].owner: no such user'),
        (dict(directories=[dict(path=d + '/new', mode='0755')], files=[dict(path=d + '/x/y', content='', mode='0644')]),
         'does not exist'),
    ]:
        r = run_module('pgwarden.postgresql.file_set', args)
        assert r.get('failed') and message in r['msg'], r
        assert sorted(os.listdir(d)) == ['plain']


def test_src_copies_a_file_of_the_host_and_hides_it_in_the_diff(tmp_path):
    d = str(tmp_path)
    with open(d + '/server.key', 'w') as f:
        f.write('-----BEGIN PRIVATE KEY-----\nsecret\n')
    args = dict(directories=[dict(path=d + '/tls', mode='0750')],
                files=[dict(path=d + '/tls/server.key', src=d + '/server.key', mode='0600')])
    r = run_module('pgwarden.postgresql.file_set', args, diff=True)
    assert r['changed'] and open(d + '/tls/server.key').read().endswith('secret\n') and _mode(d + '/tls/server.key') == 0o600
    assert 'secret' not in str(r['diff']) and 'secret' not in str(r)
    assert run_module('pgwarden.postgresql.file_set', args)['changed'] is False
    with open(d + '/server.key', 'a') as f:
        f.write('renewed\n')
    r = run_module('pgwarden.postgresql.file_set', args, check=True, diff=True)
    assert r['changed_files'] == [d + '/tls/server.key'] and 'renewed' not in str(r)
    assert 'renewed' not in open(d + '/tls/server.key').read()
    r = run_module('pgwarden.postgresql.file_set', dict(files=[dict(path=d + '/x', src=d + '/missing', mode='0600')]))
    assert r.get('failed') and 'files[0].src: no such file on this host' in r['msg'] and not os.path.exists(d + '/x')


def _fifo_writer(fifo, release):
    """After 20 s (or when released), open the FIFO for writing and close it: a reader waiting for a writer gets
    an empty file then."""
    release.wait(20)
    os.close(os.open(fifo, os.O_WRONLY))


def _release_writer(fifo, writer, release):
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer's open() returns
    release.set()
    writer.join(10)
    os.close(fd)


def test_src_must_be_a_small_regular_file_in_check_mode_too(tmp_path):
    d = str(tmp_path)
    fifo = d + '/fifo'
    os.mkfifo(fifo)
    # Were the module to open the FIFO and wait for a writer, this one comes after 20 s and writes nothing: the
    # module would then copy an empty file (a failure below), never hang the suite.
    release = threading.Event()
    writer = threading.Thread(target=_fifo_writer, args=(fifo, release), daemon=True)
    writer.start()
    with open(d + '/big', 'wb') as f:
        f.truncate(1024 * 1024 + 1)  # sparse: one byte over the documented limit
    link = d + '/zero-link'
    os.symlink('/dev/zero', link)
    try:
        for src, problem in [('/dev/zero', '/dev/zero is a character device, not a regular file'),
                             (link, 'is a character device, not a regular file'),
                             (fifo, 'is a FIFO, not a regular file'),
                             (d, 'is a directory, not a regular file'),
                             (d + '/big', 'is larger than 1048576 bytes (1048577)')]:
            for check in (True, False):
                files = [dict(path=d + '/a', content='a\n', mode='0644'), dict(path=d + '/copy', src=src, mode='0600')]
                r = run_module('pgwarden.postgresql.file_set', dict(files=files), check=check)
                assert r.get('failed') and r['msg'].startswith('files[1].src: ') and problem in r['msg'], r
                assert 'at most 1048576 bytes' in r['msg']
                assert sorted(os.listdir(d)) == ['big', 'fifo', 'zero-link']
    finally:
        _release_writer(fifo, writer, release)
    with open(d + '/ok', 'wb') as f:
        f.write(b'x' * (1024 * 1024))  # exactly the limit is fine
    r = run_module('pgwarden.postgresql.file_set', dict(files=[dict(path=d + '/copy', src=d + '/ok', mode='0600')]))
    assert r['changed'] and os.path.getsize(d + '/copy') == 1024 * 1024


def test_content_over_the_limit_fails_and_a_large_file_in_the_way_is_replaced(tmp_path):
    d = str(tmp_path)
    r = run_module('pgwarden.postgresql.file_set', dict(files=[dict(path=d + '/a', content='x' * (1024 * 1024 + 1), mode='0644')]))
    assert r.get('failed') and 'files[0].content: larger than the limit of 1048576 bytes' in r['msg'] and os.listdir(d) == []
    with open(d + '/a', 'wb') as f:
        f.truncate(1 << 40)  # a sparse terabyte: never read into memory
    args = dict(files=[dict(path=d + '/a', content='small\n', mode='0644')])
    r = run_module('pgwarden.postgresql.file_set', args, check=True, diff=True)
    assert r['changed_files'] == [d + '/a'] and 'larger than 1048576 bytes, not read' in r['diff'][0]['before']
    assert os.path.getsize(d + '/a') == 1 << 40
    assert run_module('pgwarden.postgresql.file_set', args)['changed'] and open(d + '/a').read() == 'small\n'
    assert run_module('pgwarden.postgresql.file_set', args)['changed'] is False


def test_a_dangling_link_is_written_through_or_refused_when_its_directory_is_missing(tmp_path):
    d = str(tmp_path)
    os.mkdir(d + '/real')
    os.symlink(d + '/real/target.conf', d + '/through')
    os.symlink(d + '/gone/target.conf', d + '/dangling')
    for check in (True, False):
        files = [dict(path=d + '/a', content='a\n', mode='0644'), dict(path=d + '/dangling', content='x\n', mode='0644')]
        r = run_module('pgwarden.postgresql.file_set', dict(files=files), check=check)
        assert r.get('failed') and 'Traceback' not in str(r), r
        assert r['msg'] == 'files[1].path: %s/dangling is a symbolic link to %s/gone/target.conf, whose directory does not exist' % (d, d)
        assert sorted(os.listdir(d)) == ['dangling', 'real', 'through'] and not os.path.exists(d + '/gone')
    os.symlink(d + '/loop', d + '/loop')
    r = run_module('pgwarden.postgresql.file_set', dict(files=[dict(path=d + '/loop', content='x\n', mode='0644')]))
    assert r.get('failed') and r['msg'].startswith('files[0].path: cannot look at %s/loop' % d) and os.path.islink(d + '/loop')
    files = [dict(path=d + '/through', content='x\n', mode='0640')]
    assert run_module('pgwarden.postgresql.file_set', dict(files=files))['changed']
    assert os.path.islink(d + '/through') and open(d + '/real/target.conf').read() == 'x\n'
    assert run_module('pgwarden.postgresql.file_set', dict(files=files))['changed'] is False
