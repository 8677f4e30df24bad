# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""packages_missing(names, installed): which of a role's packages are not installed.

names     - a package name or a list of them (what the role's apt task installs);
installed - ansible_facts.packages (pgwarden.postgresql.dpkg_facts, read once by playbooks/site.yml, or
            ansible.builtin.package_facts),
            or None when the play did not read it.

Returns the names apt still has to install. Without package facts, or for a name apt has to
resolve (a version pin "name=1.2", a release "name/bookworm", a wildcard), every name counts
as missing, so the role's apt task runs as it always did. The roles skip their apt task when
nothing is missing: a no-op apt run costs about 3 s per host (it loads the whole cache).

Pure function of plain data: tests/unit/test_packages_filter.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

_RESOLVED_BY_APT = ('=', '/', '*', '?', '[', ':')


def packages_missing(names, installed=None):
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise AnsibleFilterError('packages_missing: names must be a package name or a list of names, got %r' % (names,))
    if not isinstance(installed, dict):
        return list(names)
    return [n for n in names if any(c in n for c in _RESOLVED_BY_APT) or not installed.get(n)]


class FilterModule(object):
    def filters(self):
        return dict(packages_missing=packages_missing)
