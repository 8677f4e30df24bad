"""For every scenario: run testinfra commands with `podman exec` instead of one ansible task per command.

Molecule passes `--connection=ansible`; testinfra then falls back to running every
command as an ansible ad-hoc task for connection types it does not know (podman),
about 2 s each. The podman backend runs the same commands in the same containers directly.
"""

import pytest
import testinfra


@pytest.fixture(scope="module")
def host(host):
    backend = host.backend
    if backend.NAME != "ansible":
        return host
    hostvars = backend.ansible_runner.inventory["_meta"]["hostvars"].get(backend.host, {})
    if hostvars.get("ansible_connection") in ("podman", "containers.podman.podman"):
        return testinfra.get_host(f"podman://{backend.host}")
    return host
