# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A set of files converged in one module run: validate the wanted files, compare them with what is
on disk, and plan the writes, mode and ownership changes. Pure: the module reads and applies."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

_MODE = re.compile(r'^0?[0-7]{3}$')
_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]{0,31}$')


class FileSetError(ValueError):
    """Bad input, naming the option."""


def validate(files):
    """Normalised wanted files: dicts with path, content, mode (int), owner, group (names or None).

    Raises FileSetError naming files[N].option for the first problem; nothing is read or written
    before every entry passed."""
    if not isinstance(files, list) or not files:
        raise FileSetError('files: give at least one file')
    seen, wanted = {}, []
    for i, f in enumerate(files):
        where = 'files[%d]' % i
        if not isinstance(f, dict):
            raise FileSetError('%s: must be a dictionary with path and content' % where)
        unknown = sorted(set(f) - set(['path', 'content', 'mode', 'owner', 'group']))
        if unknown:
            raise FileSetError('%s: unknown option(s) %s' % (where, ', '.join(unknown)))
        path = f.get('path')
        if not isinstance(path, str) or not path:
            raise FileSetError('%s.path: required' % where)
        if '\x00' in path or '\n' in path:
            raise FileSetError('%s.path: must not contain NUL or a newline' % where)
        if not path.startswith('/') or posixpath.normpath(path) != path or path == '/':
            raise FileSetError('%s.path: must be an absolute, normalised file path (no "..", "//" or trailing "/"): %r'
                               % (where, path))
        if path in seen:
            raise FileSetError('%s.path: %s is also files[%d].path' % (where, path, seen[path]))
        seen[path] = i
        content = f.get('content')
        if not isinstance(content, str):
            raise FileSetError('%s.content: required, a string' % where)
        mode = f.get('mode')
        if isinstance(mode, int) and not isinstance(mode, bool) and 0 <= mode <= 0o777:
            mode = '%04o' % mode  # a YAML 0644 is the number 420, as for ansible.builtin.file
        if not isinstance(mode, str) or not _MODE.match(mode):
            raise FileSetError('%s.mode: an octal mode such as "0644" (permission bits only), got %r' % (where, mode))
        for key in ('owner', 'group'):
            value = f.get(key)
            if value is not None and (not isinstance(value, str) or not _NAME.match(value)):
                raise FileSetError('%s.%s: a user or group name, got %r' % (where, key, value))
        wanted.append(dict(path=path, content=content, mode=int(str(mode), 8),
                           owner=f.get('owner'), group=f.get('group')))
    return wanted


def plan(wanted, current):
    """Actions for each wanted file that differs.

    current: path -> None (missing) or dict(kind='file'|'other', content, mode, owner, group).
    Returns a list of dict(path, write, chmod, chown, before, after) for the files that change."""
    actions = []
    for f in wanted:
        cur = current.get(f['path'])
        if cur is not None and cur.get('kind') != 'file':
            raise FileSetError('files: %s exists and is not a regular file' % f['path'])
        write = cur is None or cur['content'] != f['content']
        chmod = write or cur['mode'] != f['mode']
        chown = (f['owner'] is not None and (cur is None or cur['owner'] != f['owner'])) or \
                (f['group'] is not None and (cur is None or cur['group'] != f['group']))
        if not (write or chmod or chown):
            continue
        before = dict(path=f['path'], content='' if cur is None else cur['content'],
                      mode=None if cur is None else '%04o' % cur['mode'],
                      owner=None if cur is None else cur['owner'], group=None if cur is None else cur['group'])
        after = dict(path=f['path'], content=f['content'], mode='%04o' % f['mode'],
                     owner=f['owner'] or before['owner'], group=f['group'] or before['group'])
        actions.append(dict(path=f['path'], write=write, chmod=chmod, chown=chown, before=before, after=after))
    return actions


def _meta(d):
    return '' if d['mode'] is None else '# mode %s owner %s group %s\n' % (d['mode'], d['owner'], d['group'])


def diff(actions):
    """Ansible's diff list: one before/after per changed file (mode and owner first, then the content)."""
    return [dict(before_header=a['path'], after_header=a['path'],
                 before=_meta(a['before']) + a['before']['content'], after=_meta(a['after']) + a['after']['content'])
            for a in actions]
