"""Hosts for the checks: commands run with `podman exec` (fast), servers and the client apart."""

import pytest
import testinfra

SERVERS = ["pgw-hardening-deb12", "pgw-hardening-deb13"]
CLIENT = "pgw-hardening-client"


def _podman(name):
    return testinfra.get_host(f"podman://{name}")


@pytest.fixture(scope="module")
def name(host_name):
    """The inventory name of the host under test; the checks are made on the database hosts."""
    assert host_name in SERVERS, "the client container is a test tool: testinfra_only leaves it out"
    return host_name


@pytest.fixture(scope="module")
def server(name):
    return _podman(name)


@pytest.fixture(scope="module")
def client():
    return _podman(CLIENT)


@pytest.fixture(scope="module")
def other(name):
    return _podman([s for s in SERVERS if s != name][0])
