# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The installed packages from dpkg's database, in the shape of ansible.builtin.package_facts, and which of
them are on hold.

Pure: the module runs dpkg-query with FORMAT and hands its output to parse()."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# One line per package dpkg knows: the status abbreviation (want, status, error flag: "ii " installed,
# "hi " installed and on hold), the selection (install, hold, deinstall, purge, unknown), name, version,
# architecture.
FORMAT = '${db:Status-Abbrev}|${db:Status-Want}|${Package}|${Version}|${Architecture}\\n'


def parse(text):
    """{name: [{name, version, arch, source, held}]} for the installed packages, as package_facts gives, plus
    `held`: true when the package is on hold (apt-mark hold, dpkg --set-selections), so apt will not upgrade or
    remove it.

    A package is installed when dpkg's status is "installed" (the second letter of the abbreviation), whatever
    its selection: a held package ("hi") is installed too. A package installed for several architectures has
    one entry per architecture. Lines that are not installed packages (removed with its configuration kept,
    half-installed, unpacked) or not of the format are left out. Only '\\n' ends a line."""
    packages = {}
    for line in text.split('\n'):
        fields = line.split('|')
        if len(fields) != 5 or len(fields[0]) < 2 or fields[0][1] != 'i' or not fields[2]:
            continue
        want, name, version, arch = fields[1], fields[2], fields[3], fields[4]
        packages.setdefault(name, []).append(dict(name=name, version=version, arch=arch, source='apt',
                                                  held=want == 'hold' or fields[0][0] == 'h'))
    return packages


def held(packages):
    """Sorted names of the packages parse() found on hold (for any of their architectures)."""
    return sorted(name for name, entries in packages.items() if any(e['held'] for e in entries))
