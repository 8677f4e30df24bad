# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  stanza:
    description:
      - Name of the pgBackRest stanza.
    type: str
    required: true
  config:
    description:
      - pgBackRest configuration file. Unset means pgBackRest's default
        (C(/etc/pgbackrest/pgbackrest.conf), else C(/etc/pgbackrest.conf)).
    type: path
  options:
    description:
      - Further pgBackRest options given on the command line, without the leading C(--),
        for example C(pg1-path), C(repo1-path), C(process-max). V(true)/V(false) become
        C(--opt)/C(--no-opt), a list repeats the option.
      - Secret options (C(*-cipher-pass), S3/Azure/GCS keys) are refused here; use O(secret_options).
    type: dict
    default: {}
  secret_options:
    description:
      - Secret pgBackRest options, for example C(repo1-cipher-pass). They are passed through
        C(PGBACKREST_*) environment variables, never on the command line, and their values
        are masked in everything the module returns.
      - Usually not needed; keep secrets in the configuration file (mode 0640).
    type: dict
    default: {}
  binary:
    description:
      - The pgBackRest executable, a name looked up in C(PATH) or an absolute path.
    type: str
    default: pgbackrest
requirements:
  - pgBackRest on the managed host (Debian package C(pgbackrest))
notes:
  - Run the task as the operating system user that owns the cluster (C(become_user=postgres)), because
    pgBackRest reads the data directory and must own the repository files.
'''
