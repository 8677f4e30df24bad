# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of user input shared by the planners: a path and a permission mode, each failing with the
planner's own error class and the option's name, before anything is read or written."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

_MODE = re.compile(r'^0?[0-7]{3}$')


def absolute_path(name, value, error):
    """value when it is an absolute, normalised path on one line; raises error('name: ...') otherwise."""
    if not isinstance(value, str) or not value:
        raise error('%s: required, a path' % name)
    if '\x00' in value or '\n' in value or '\r' in value:
        raise error('%s: must not contain NUL or a line break' % name)
    if not value.startswith('/') or posixpath.normpath(value) != value or value == '/':
        raise error('%s: must be an absolute, normalised path (no "..", "//" or trailing "/"): %r' % (name, value))
    return value


def permission_mode(name, value, error):
    """The mode as a number from an octal string ("0644") or the number a YAML 0644 is; permission bits only."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0o777:
        value = '%04o' % value  # a YAML 0644 is the number 420, as for ansible.builtin.file
    if not isinstance(value, str) or not _MODE.match(value):
        raise error('%s: an octal mode such as "0644" (permission bits only), got %r' % (name, value))
    return int(value, 8)
