# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A set of directories and files converged in one module run: validate the wanted entries, compare
them with what is on disk, and plan the creations, writes, mode and ownership changes. Pure: the
module reads and applies."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.input_checks import absolute_path, permission_mode

_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]{0,31}$')

# The largest file the module handles, for content and src alike (in the module's documentation): a
# src is read into memory, so a device or a huge file must be refused before it is read.
MAX_BYTES = 1024 * 1024


class FileSetError(ValueError):
    """Bad input, naming the option."""


def _path(where, path, option='path'):
    return absolute_path('%s.%s' % (where, option), path, FileSetError)


def _mode(where, mode):
    return permission_mode('%s.mode' % where, mode, FileSetError)


def _owners(where, entry):
    for key in ('owner', 'group'):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not _NAME.match(value)):
            raise FileSetError('%s.%s: a user or group name, got %r' % (where, key, value))
    return entry.get('owner'), entry.get('group')


def _entries(option, entries, keys, seen):
    if not isinstance(entries, list):
        raise FileSetError('%s: must be a list' % option)
    for i, e in enumerate(entries):
        where = '%s[%d]' % (option, i)
        if not isinstance(e, dict):
            raise FileSetError('%s: must be a dictionary with %s' % (where, ' and '.join(keys)))
        unknown = sorted(set(e) - set(keys + ['mode', 'owner', 'group']))
        if unknown:
            raise FileSetError('%s: unknown option(s) %s' % (where, ', '.join(unknown)))
        path = _path(where, e.get('path'))
        if path in seen:
            raise FileSetError('%s.path: %s is also %s.path' % (where, path, seen[path]))
        seen[path] = where
        mode = _mode(where, e.get('mode'))
        owner, group = _owners(where, e)
        yield where, e, dict(path=path, mode=mode, owner=owner, group=group)


def validate(files, directories=None):
    """Normalised wanted files: dicts with path, content, mode (int), owner, group (names or None).

    With directories (a list of path, mode, owner, group), returns (directories, files). Raises FileSetError naming files[N].option or
    directories[N].option for the first problem; nothing is read or written before every entry passed."""
    files = [] if files is None else files
    if not (isinstance(files, list) and files) and not (isinstance(directories, list) and directories):
        raise FileSetError('files: give at least one file (or directory)' if directories is None
                           else 'files, directories: give at least one file or directory')
    seen = {}
    dirs = [entry[2] for entry in _entries('directories', directories or [], ['path'], seen)]
    wanted = []
    for where, f, entry in _entries('files', files, ['path', 'content', 'src'], seen):
        content, src = f.get('content'), f.get('src')
        if src is not None:
            if content is not None:
                raise FileSetError('%s: give content or src, not both' % where)
            entry['src'] = _path(where, src, 'src')
            entry['content'] = None  # the module reads it on the host
        elif not isinstance(content, str):
            raise FileSetError('%s.content: required, a string (or src, a file on the host)' % where)
        elif len(content.encode('utf-8', 'surrogatepass')) > MAX_BYTES:
            raise FileSetError('%s.content: larger than the limit of %d bytes' % (where, MAX_BYTES))
        else:
            entry['content'], entry['src'] = content, None
        wanted.append(entry)
    if directories is None:
        return wanted
    return dirs, wanted


def plan(wanted, current):
    """Actions for each wanted file that differs.

    current: path -> None (missing) or dict(kind='file'|'other', content, mode, owner, group); content None
    for a file larger than MAX_BYTES (not read: it differs from any content the module accepts).
    Returns a list of dict(path, write, chmod, chown, before, after) for the files that change."""
    actions = []
    for f in wanted:
        cur = current.get(f['path'])
        if cur is not None and cur.get('kind') != 'file':
            raise FileSetError('files: %s exists and is not a regular file' % f['path'])
        write = cur is None or cur['content'] is None or cur['content'] != f['content']
        chmod = write or cur['mode'] != f['mode']
        chown = (f['owner'] is not None and (cur is None or cur['owner'] != f['owner'])) or \
                (f['group'] is not None and (cur is None or cur['group'] != f['group']))
        if not (write or chmod or chown):
            continue
        old = '' if cur is None else cur['content']
        before = dict(path=f['path'], content='# larger than %d bytes, not read\n' % MAX_BYTES if old is None else old,
                      mode=None if cur is None else '%04o' % cur['mode'],
                      owner=None if cur is None else cur['owner'], group=None if cur is None else cur['group'])
        after = dict(path=f['path'], content=f['content'], mode='%04o' % f['mode'],
                     owner=f['owner'] or before['owner'], group=f['group'] or before['group'])
        actions.append(dict(path=f['path'], write=write, chmod=chmod, chown=chown, before=before, after=after,
                            src=f.get('src')))
    return actions


def _meta(d):
    return '' if d['mode'] is None else '# mode %s owner %s group %s\n' % (d['mode'], d['owner'], d['group'])


def diff(actions):
    """Ansible's diff list: one before/after per changed file (mode and owner first, then the content).

    A file copied from src (a key, a certificate on the host) shows whether its content changes, never the content."""
    out = []
    for a in actions:
        before, after = a['before']['content'], a['after']['content']
        if a.get('src'):
            after = '# content of %s\n' % a['src']
            before = '' if a['before']['mode'] is None else (
                '# content of %s\n' % a['src'] if not a['write'] else '# other content\n')
        out.append(dict(before_header=a['path'], after_header=a['path'],
                        before=_meta(a['before']) + before, after=_meta(a['after']) + after))
    return out


def plan_directories(wanted, current):
    """Actions for each wanted directory that is missing or differs.

    current: path -> None (missing) or dict(kind='directory'|'other', mode, owner, group), for the wanted
    directories and for their missing parents up to the first one that exists (the module looks). Missing
    parents that are not listed are created as ansible.builtin.file does (mode 0755, the writer's owner).
    Returns a list of dict(path, create, chmod, chown, before, after), parents first."""
    wanted = list(wanted)
    listed = set(d['path'] for d in wanted)
    for d in list(wanted):
        parent = posixpath.dirname(d['path'])
        while parent != '/' and parent not in listed and parent in current and current[parent] is None:
            wanted.append(dict(path=parent, mode=0o755, owner=None, group=None))
            listed.add(parent)
            parent = posixpath.dirname(parent)
    actions = []
    for d in sorted(wanted, key=lambda d: d['path'].count('/')):  # parents first
        cur = current.get(d['path'])
        if cur is not None and cur.get('kind') != 'directory':
            raise FileSetError('directories: %s exists and is not a directory' % d['path'])
        parent = posixpath.dirname(d['path'])
        if cur is None and parent not in listed and (current.get(parent) or {'kind': 'directory'})['kind'] != 'directory':
            raise FileSetError('directories: %s exists and is not a directory (the parent of %s)' % (parent, d['path']))
        create = cur is None
        chmod = create or cur['mode'] != d['mode']
        chown = (d['owner'] is not None and (create or cur['owner'] != d['owner'])) or \
                (d['group'] is not None and (create or cur['group'] != d['group']))
        if not (create or chmod or chown):
            continue
        if create:
            before = dict(state='absent')
        else:
            before = dict(state='directory', mode='%04o' % cur['mode'], owner=cur['owner'], group=cur['group'])
        after = dict(state='directory', mode='%04o' % d['mode'], owner=d['owner'] or before.get('owner'),
                     group=d['group'] or before.get('group'))
        actions.append(dict(path=d['path'], create=create, chmod=chmod, chown=chown, before=before, after=after))
    return actions


def _dir_meta(d):
    if d['state'] == 'absent':
        return '# absent\n'
    return '# directory mode %s owner %s group %s\n' % (d['mode'], d['owner'], d['group'])


def diff_directories(actions):
    """Ansible's diff list for the directories that change."""
    return [dict(before_header=a['path'], after_header=a['path'], before=_dir_meta(a['before']),
                 after=_dir_meta(a['after'])) for a in actions]
