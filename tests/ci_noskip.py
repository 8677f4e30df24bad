"""Pytest plugin: under CI=true a skipped test fails (loaded by tests/conftest.py)."""
import os

import pytest


def _ci():
    return os.environ.get('CI', '').strip().lower() in ('1', 'true', 'yes')


def _skip_reason(longrepr):
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return longrepr[2]
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failed test: a run with less coverage is not green.

    Tests skip when a tool they need (pgaudit, pgBackRest, ...) is missing on a developer's
    machine; CI installs everything with scripts/install-deps.sh, so a skip there means an
    install step is missing.
    """
    outcome = yield
    report = outcome.get_result()
    if _ci() and report.skipped and not hasattr(report, 'wasxfail'):
        report.outcome = 'failed'
        report.longrepr = 'skipped under CI=true, which allows no skip: %s' % _skip_reason(report.longrepr)
