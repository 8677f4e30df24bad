# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The installed packages from dpkg's database, in the shape of ansible.builtin.package_facts.

Pure: the module runs dpkg-query with FORMAT and hands its output to parse()."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# One line per package dpkg knows: the status abbreviation ("ii " installed), name, version, architecture.
FORMAT = '${db:Status-Abbrev}|${Package}|${Version}|${Architecture}\\n'


def parse(text):
    """{name: [{name, version, arch, source}]} for the installed packages ("ii"), as package_facts gives.

    A package installed for several architectures has one entry per architecture. Lines that are not
    installed packages (removed with its configuration kept, half-installed) or not of the format are left out."""
    packages = {}
    for line in text.splitlines():
        fields = line.split('|')
        if len(fields) != 4 or not fields[0].startswith('ii') or not fields[1]:
            continue
        name, version, arch = fields[1], fields[2], fields[3]
        packages.setdefault(name, []).append(dict(name=name, version=version, arch=arch, source='apt'))
    return packages
