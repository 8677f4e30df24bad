"""packages_missing: the guard in front of each role's apt task."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgwarden.postgresql.plugins.filter.packages import packages_missing

FACTS = {'pgbouncer': [{'name': 'pgbouncer', 'version': '1.18.0-1', 'source': 'apt'}],
         'etcd-server': [{'name': 'etcd-server', 'version': '3.4.23-4', 'source': 'apt'}],
         'removed': []}


def test_without_package_facts_everything_is_missing():
    assert packages_missing(['pgbouncer', 'haproxy']) == ['pgbouncer', 'haproxy']
    assert packages_missing('pgbouncer', None) == ['pgbouncer']


def test_installed_packages_are_not_missing():
    assert packages_missing(['pgbouncer', 'etcd-server'], FACTS) == []
    assert packages_missing('pgbouncer', FACTS) == []


def test_one_name_is_one_package_not_its_characters():
    assert packages_missing('haproxy', FACTS) == ['haproxy']


def test_missing_and_empty_entries_are_missing():
    assert packages_missing(['etcd-server', 'etcd-client', 'removed'], FACTS) == ['etcd-client', 'removed']


@pytest.mark.parametrize('name', ['pgbouncer=1.18.0-1', 'pgbouncer/bookworm-backports', 'pgbounce*', 'pgbouncer:amd64'])
def test_names_apt_resolves_always_go_to_apt(name):
    assert packages_missing([name], FACTS) == [name]


@pytest.mark.parametrize('bad', [None, 5, {'pgbouncer': 1}, ['pgbouncer', 3]])
def test_bad_names_fail_clearly(bad):
    with pytest.raises(AnsibleFilterError, match='packages_missing: names must be'):
        packages_missing(bad, FACTS)
