#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: file_set
short_description: Converge a set of directories and small files (units, scripts, configuration) in one module run
version_added: 0.1.0
description:
  - Writes each file of O(files) whose content differs, atomically (a temporary file in the same directory and
    a rename), and sets its mode, owner and group.
  - One module run for the whole set, where a looped M(ansible.builtin.template) or M(ansible.builtin.copy) runs
    two per item on every host even when nothing changes. Render the contents on the controller with the
    C(template) or C(file) lookups.
  - Creates each directory of O(directories) that is missing (parents first) and sets its mode, owner and
    group, before the files are written, so that a role's directories and files take one module run where a
    looped M(ansible.builtin.file) takes one per directory.
  - Every entry is checked before anything is read or written; a bad one fails the task naming it
    (C(files[N].option) or C(directories[N].option)) and changes nothing.
  - The directory of each file must exist or be in O(directories); the module never removes directories or other
    files. A path that is a symbolic link whose target's directory does not exist fails the task.
  - The module handles small files, at most 1 MiB (1048576 bytes) each; a larger O(files[].content) or
    O(files[].src) fails the task. An existing file larger than that is replaced without being read.
options:
  directories:
    description:
      - Directories to create when missing and whose mode, owner and group to set. Missing parents that are not
        listed are created with mode 0755 and the writer's owner, as M(ansible.builtin.file) does with the usual umask. An existing
        path that is not a directory (or a link to one) fails the task.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute, normalised path of the directory.
        type: str
        required: true
      mode:
        description: Permission bits, as for O(files[].mode).
        type: raw
        required: true
      owner:
        description: Owner name. Unset keeps the owner of an existing directory (the writer's for a new one).
        type: str
      group:
        description: Group name. Unset keeps the group of an existing directory (the writer's for a new one).
        type: str
  files:
    description: The files to converge. At least one file or directory is required.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute, normalised path of a regular file (a symbolic link is written through).
        type: str
        required: true
      content:
        description: The whole content (text), at most 1 MiB (1048576 bytes) in UTF-8. Exactly one of O(files[].content)
          and O(files[].src).
        type: str
      src:
        description:
          - Absolute path of a file on the managed host whose content to copy (a certificate or key another role
            made), as M(ansible.builtin.copy) with C(remote_src) does, in the same module run. The diff says whether
            the content changes and never shows it.
          - It must be a regular file (or a link to one) of at most 1 MiB (1048576 bytes). A device (such as
            C(/dev/zero)), a FIFO, a socket, a directory or a larger file fails the task, in check mode too,
            before anything is read or written.
        type: str
      mode:
        description: Permission bits, as an octal string such as C("0644") (or, as for M(ansible.builtin.file), a number
          that is the mode itself, which is what an unquoted YAML C(0644) is). Special bits are refused.
        type: raw
        required: true
      owner:
        description: Owner name. Unset keeps the owner of an existing file (the writer's for a new one).
        type: str
      group:
        description: Group name. Unset keeps the group of an existing file (the writer's for a new one).
        type: str
attributes:
  check_mode:
    description: Reports the directories and files that would change, with their diff, and writes nothing.
    support: full
  diff_mode:
    description: One before/after per changed directory (state, mode, owner, group) and per changed file (mode,
      owner and group, then the content).
    support: full
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: The job's directories and its configuration in one module run
  pgwarden.postgresql.file_set:
    directories:
      - {path: /etc/pgwarden, mode: "0755", owner: root, group: root}
      - {path: /etc/pgwarden/jobs, mode: "0750", owner: root, group: postgres}
    files:
      - path: /etc/pgwarden/jobs/vacuum.conf
        content: "{{ lookup('ansible.builtin.template', 'vacuum.conf.j2') }}"
        mode: "0640"
        owner: root
        group: postgres

- name: Install the backup jobs' systemd units in one module run
  pgwarden.postgresql.file_set:
    files: >-
      {{ units | map('combine', {'owner': 'root', 'group': 'root', 'mode': '0644'}) | list }}
  vars:
    units:
      - path: /etc/systemd/system/pgwarden-backup-full.timer
        content: "{{ lookup('ansible.builtin.template', 'unit.timer.j2') }}"
  notify: Reload systemd
'''

RETURN = r'''
changed_directories:
  description: Directories created or whose mode or ownership changed (would change, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/pgwarden/jobs]
changed_files:
  description: Paths written or whose mode or ownership changed (would change, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/pgwarden-backup-full.timer]
'''

import errno
import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.file_set_plan import (
    MAX_BYTES, FileSetError, diff, diff_directories, plan, plan_directories, validate)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.files import NotARegularFile, atomic_write, read_regular


ARGUMENT_SPEC = dict(
    files=dict(type='list', elements='dict', default=[], options=dict(
        path=dict(type='str', required=True),
        content=dict(type='str', no_log=False),
        src=dict(type='str'),
        mode=dict(type='raw', required=True),
        owner=dict(type='str'),
        group=dict(type='str'),
    )),
    directories=dict(type='list', elements='dict', default=[], options=dict(
        path=dict(type='str', required=True),
        mode=dict(type='raw', required=True),
        owner=dict(type='str'),
        group=dict(type='str'),
    )),
)


def _name(table, ident):
    try:
        return table(ident)[0]
    except KeyError:
        return str(ident)


def _current(where, path):
    try:
        st = os.stat(path)  # through a symbolic link, as atomic_write writes
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise FileSetError('%s.path: cannot look at %s: %s' % (where, path, e.strerror))
        target = os.path.realpath(path)
        if target != path and not os.path.isdir(os.path.dirname(target)):
            raise FileSetError('%s.path: %s is a symbolic link to %s, whose directory does not exist'
                               % (where, path, target))
        return None
    if not stat.S_ISREG(st.st_mode):
        return dict(kind='other')
    try:
        content = read_regular(path, MAX_BYTES)
    except NotARegularFile:
        content = None  # larger than any content the module writes: replaced, never read
    except (IOError, OSError) as e:
        raise FileSetError('%s.path: cannot read %s: %s' % (where, path, e.strerror))
    return dict(kind='file', content=content, mode=stat.S_IMODE(st.st_mode),
                owner=_name(pwd.getpwuid, st.st_uid), group=_name(grp.getgrgid, st.st_gid))


def _read_src(where, path):
    """The content of src: a regular file of at most MAX_BYTES, never a device or a FIFO (read_regular)."""
    try:
        content = read_regular(path, MAX_BYTES)
    except NotARegularFile as e:
        raise FileSetError('%s.src: %s %s; src must be a regular file of at most %d bytes' % (where, path, e, MAX_BYTES))
    except (IOError, OSError) as e:
        raise FileSetError('%s.src: cannot read %s: %s' % (where, path, e.strerror or e))
    if content is None:
        raise FileSetError('%s.src: no such file on this host: %s' % (where, path))
    return content


def _current_dir(path):
    try:
        st = os.stat(path)  # a link to a directory is that directory, as for ansible.builtin.file
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return dict(kind='other')
    return dict(kind='directory', mode=stat.S_IMODE(st.st_mode),
                owner=_name(pwd.getpwuid, st.st_uid), group=_name(grp.getgrgid, st.st_gid))


def _ids(module, option, wanted, ids):
    """uid/gid for every owner/group named, failing on an unknown one before anything is written."""
    for i, f in enumerate(wanted):
        for key, table in (('owner', pwd.getpwnam), ('group', grp.getgrnam)):
            if f[key] is not None and (key, f[key]) not in ids:
                try:
                    ids[(key, f[key])] = table(f[key])[2]
                except KeyError:
                    module.fail_json(msg='%s[%d].%s: no such %s on this host: %s'
                                     % (option, i, key, 'user' if key == 'owner' else 'group', f[key]), changed=False)
    return ids


def _chown(path, ids, entry):
    uid = ids.get(('owner', entry['owner']), -1)
    gid = ids.get(('group', entry['group']), -1)
    if uid != -1 or gid != -1:
        os.chown(os.path.realpath(path), uid, gid)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        dirs, wanted = validate(params['files'], params['directories'])
        ids = _ids(module, 'directories', dirs, {})
        ids = _ids(module, 'files', wanted, ids)
        for i, f in enumerate(wanted):
            if f['src'] is not None:
                f['content'] = _read_src('files[%d]' % i, f['src'])
        current_dirs = {}
        for d in dirs:
            path = d['path']
            while path != '/' and path not in current_dirs:  # the directory and its missing parents
                current_dirs[path] = _current_dir(path)
                if current_dirs[path] is not None:
                    break
                path = os.path.dirname(path)
        dir_actions = plan_directories(dirs, current_dirs)
        created = set(a['path'] for a in dir_actions if a['create'])
        current = {}
        for i, f in enumerate(wanted):
            parent = os.path.dirname(f['path'])
            if parent in created:
                current[f['path']] = None  # in a directory this run creates
            elif not os.path.isdir(parent):
                raise FileSetError('files: the directory of %s does not exist (list it in directories)' % f['path'])
            else:
                current[f['path']] = _current('files[%d]' % i, f['path'])
        actions = plan(wanted, current)
    except FileSetError as e:
        module.fail_json(msg=str(e), changed=False)
    result = dict(changed=bool(actions or dir_actions), changed_files=[a['path'] for a in actions],
                  changed_directories=[a['path'] for a in dir_actions])
    if module._diff:
        result['diff'] = diff_directories(dir_actions) + diff(actions)
    if module.check_mode or not result['changed']:
        module.exit_json(**result)
    dir_by_path = dict((a['path'], dict(path=a['path'], mode=0o755, owner=None, group=None)) for a in dir_actions)
    dir_by_path.update((d['path'], d) for d in dirs)  # unlisted missing parents: 0755, the writer's owner
    for a in dir_actions:
        d = dir_by_path[a['path']]
        if a['create']:
            os.mkdir(d['path'], 0o700)  # the wanted mode below, after the owner (no window with wider access)
        if a['chown']:
            _chown(d['path'], ids, d)
        if a['chmod']:
            os.chmod(d['path'], d['mode'])
    by_path = dict((f['path'], f) for f in wanted)
    for a in actions:
        f = by_path[a['path']]
        if a['write']:
            atomic_write(f['path'], f['content'], f['mode'])
        elif a['chmod']:
            os.chmod(f['path'], f['mode'])
        if a['chown'] or a['write']:
            _chown(f['path'], ids, f)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
