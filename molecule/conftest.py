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


def backend_name(host):
    """The inventory (container) name of a testinfra host, whatever its backend (ansible or podman)."""
    backend = host.backend
    return getattr(backend, "host", None) or getattr(backend, "name", None)


@pytest.fixture(scope="module")
def host_name(host):
    """The inventory name of the host under test."""
    return backend_name(host)


def _host_name(item):
    """The inventory name of the host a testinfra test item runs on (None when it has none)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    host = params.get("_testinfra_host")
    return None if host is None else backend_name(host)


def pytest_collection_modifyitems(config, items):
    """A test module that checks only some hosts of its scenario lists them in `testinfra_only`.

    Molecule runs every test on every host (`--hosts=all`, which overrides testinfra's own
    `testinfra_hosts`); the host/test pairs outside a module's list are deselected, so the report
    counts only checks that ran, never skips of checks that do not apply.
    """
    keep, drop = [], []
    for item in items:
        only = getattr(getattr(item, "module", None), "testinfra_only", None)
        name = _host_name(item)
        (drop if only is not None and name is not None and name not in only else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
