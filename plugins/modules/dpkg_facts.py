#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: dpkg_facts
short_description: The installed Debian packages as ansible_facts.packages, read from dpkg's database
version_added: 0.1.0
description:
  - Sets C(ansible_facts.packages) in the shape M(ansible.builtin.package_facts) gives (name to a list of
    C(name), C(version), C(arch), C(source)), from one C(dpkg-query) run.
  - M(ansible.builtin.package_facts) with C(manager=apt) loads the whole apt cache through python3-apt (about a
    second of CPU per host) and needs python3-apt; dpkg's database is all a check of installed packages needs.
    The roles of this collection read these facts to skip an apt run when their packages are installed
    (filter C(pgwarden.postgresql.packages_missing)).
  - Only installed packages are listed (dpkg status C(installed), whatever the selection, so C(ii) and C(hi) for a
    package on hold); removed packages whose configuration is kept are not.
  - Packages on hold (C(apt-mark hold), C(dpkg --set-selections); apt neither upgrades nor removes them) have
    C(held=true) in their entries and are listed in C(ansible_facts.held_packages), so a role can tell that an
    upgrade it wants will not happen.
  - Changes nothing; runs the same in check mode.
options:
  admindir:
    description:
      - dpkg's database directory, as C(dpkg-query --admindir). Unset reads the system's (C(/var/lib/dpkg)).
      - An absolute, normalised path of an existing directory; anything else fails naming the option before
        dpkg-query runs.
    type: str
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
  facts:
    description: Sets C(ansible_facts.packages) and C(ansible_facts.held_packages).
    support: full
requirements:
  - dpkg-query (Debian and its derivatives)
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Read the installed packages once
  pgwarden.postgresql.dpkg_facts:

- name: Say so when the server package is held (apt will not upgrade it)
  ansible.builtin.debug:
    msg: postgresql-15 is on hold
  when: "'postgresql-15' in ansible_facts.held_packages"

- name: Install only what is missing
  ansible.builtin.apt:
    name: [pgbackrest, gpg]
  when: "['pgbackrest', 'gpg'] | pgwarden.postgresql.packages_missing(ansible_facts.packages | default(none)) | length > 0"
'''

RETURN = r'''
ansible_facts:
  description: The facts set.
  returned: always
  type: dict
  contains:
    packages:
      description: Installed package name to the list of its installed versions (one per architecture).
      returned: always
      type: dict
      sample: {"pgbackrest": [{"name": "pgbackrest", "version": "2.54.2-1", "arch": "amd64", "source": "apt", "held": false}]}
    held_packages:
      description: Names of the installed packages on hold, sorted.
      returned: always
      type: list
      elements: str
      sample: [postgresql-15]
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.dpkg_facts import FORMAT, held, parse
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.input_checks import absolute_path

ARGUMENT_SPEC = dict(admindir=dict(type='str'))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    admindir = module.params['admindir']
    if admindir is not None:
        try:
            absolute_path('admindir', admindir, ValueError)
        except ValueError as e:
            module.fail_json(msg=str(e), changed=False)
        if not os.path.isdir(admindir):
            module.fail_json(msg='admindir: not a directory: %s' % admindir, changed=False)
    dpkg_query = module.get_bin_path('dpkg-query', required=True)
    cmd = [dpkg_query] + (['--admindir=' + admindir] if admindir is not None else []) + ['-W', '-f', FORMAT]
    rc, out, err = module.run_command(cmd, environ_update=dict(LC_ALL='C'))
    if rc != 0:
        module.fail_json(msg='dpkg-query failed (rc=%d): %s' % (rc, err.strip()), changed=False)
    packages = parse(out)
    module.exit_json(changed=False, ansible_facts=dict(packages=packages, held_packages=held(packages)))


if __name__ == '__main__':
    main()
