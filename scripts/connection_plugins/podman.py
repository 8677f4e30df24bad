# Test and lab tooling, not part of the collection's interface.
"""containers.podman's podman connection with pipelining.

Molecule's podman driver and scripts/lab.sh reach the containers with the connection
named ``podman``. With ``ANSIBLE_CONNECTION_PLUGINS`` pointing at this directory (set
by scripts/molecule.sh and scripts/lab.sh) that short name resolves to this class
before Ansible's redirect to ``containers.podman.podman``.

The upstream plugin sends a module with four ``podman exec`` calls (mkdir, copy,
chmod + run, rm) because it never passes ``-i`` to ``podman exec``, so the module
text given on stdin is lost and pipelining has to stay off. Passing ``-i`` when
there is input makes pipelining work: one ``podman exec`` per module run. On this
machine a play of 17 module runs took 19.7 s through the upstream plugin and 8.5 s
through this one (CONTRIBUTING.md, "Molecule speed").
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.containers.podman.plugins.connection import podman as upstream

DOCUMENTATION = upstream.DOCUMENTATION


class Connection(upstream.Connection):
    """``podman exec -i`` when Ansible pipes the module on stdin."""

    has_pipelining = True

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if in_data is None:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if not self._connected:
            self._connect()
        args = ['exec', '-i']
        if self.user:
            args.extend(('--user', self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors='surrogate_or_strict')), in_data)
