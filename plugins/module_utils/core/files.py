# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configuration files written the safe way: atomically, with restrictive modes, backed up."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import shutil
import stat
import tempfile
import time


def read_text(path):
    """The file's text, or None if it does not exist.

    Bytes that are not UTF-8 (a Latin-1 comment, which PostgreSQL accepts) are kept as surrogate
    escapes, so that text written back with atomic_write() has the same bytes; show such text
    through printable().
    """
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'surrogateescape')
    except (IOError, OSError) as e:
        if getattr(e, 'errno', None) == 2:
            return None
        raise


_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
          (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISSOCK, 'a socket'))


class NotARegularFile(ValueError):
    """The path is not a regular file of the allowed size; the message says what it is."""


def _regular(st, limit):
    if not stat.S_ISREG(st.st_mode):
        kind = [name for test, name in _KINDS if test(st.st_mode)]
        raise NotARegularFile('is %s, not a regular file' % (kind[0] if kind else 'not a regular file'))
    if st.st_size > limit:
        raise NotARegularFile('is larger than %d bytes (%d)' % (limit, st.st_size))


def read_regular(path, limit):
    """read_text() for a path that must be a regular file of at most `limit` bytes; None if it does not exist.

    Anything else raises NotARegularFile before a byte is read: the path is looked at first, opened
    without blocking (a FIFO never hangs the caller, a device is never read), looked at again through
    the open descriptor (in case it was swapped in between), and never more than limit + 1 bytes are read
    (in case it grew)."""
    try:
        _regular(os.stat(path), limit)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, 'O_CLOEXEC', 0))
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise
    with os.fdopen(fd, 'rb') as f:
        _regular(os.fstat(fd), limit)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise NotARegularFile('is larger than %d bytes (it grew while read)' % limit)
    return data.decode('utf-8', 'surrogateescape')


def printable(text):
    """Text from read_text() for a diff or a message: undecodable bytes shown as \\xNN."""
    if text is None:
        return None
    return text.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def file_mode(path):
    """The permission bits of `path`, or None if it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def atomic_write(path, text, mode, owner_of=None):
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    Readers see the old or the new content, never a partial one. The new file gets
    `mode` and the owner and group of the existing file (or of `owner_of`, if given,
    when `path` does not exist yet) where the process is allowed to set them.
    A symbolic link is written through: the file it points to is replaced (in its own
    directory) and the link stays a link.
    """
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    ref = path if os.path.exists(path) else owner_of
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(text.encode('utf-8', 'surrogateescape'))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if ref and os.path.exists(ref):
            st = os.stat(ref)
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    pass  # not root: the file keeps the writer's ownership
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup(path):
    """Copy `path` next to itself as PATH.YYYYmmddTHHMMSS.N~ (mode and owner kept); returns the copy's name.
    For a symbolic link, the copy is of the file it points to, next to that file."""
    if not os.path.exists(path):
        return None
    path = os.path.realpath(path)
    stamp = time.strftime('%Y%m%dT%H%M%S')
    n = 0
    while True:
        dest = '%s.%s.%d~' % (path, stamp, n)
        if not os.path.exists(dest):
            break
        n += 1
    shutil.copy2(path, dest)
    st = os.stat(path)
    try:
        os.chown(dest, st.st_uid, st.st_gid)
    except OSError:
        pass
    return dest
