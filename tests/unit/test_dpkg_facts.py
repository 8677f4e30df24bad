"""dpkg_facts' parser: installed packages only, in package_facts' shape, hostile lines ignored."""
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.dpkg_facts import parse


def test_installed_packages_in_package_facts_shape():
    out = 'ii |pgbackrest|2.54.2-1|amd64\nii |libc6|2.36-9|amd64\nii |libc6|2.36-9|i386\n'
    got = parse(out)
    assert got['pgbackrest'] == [dict(name='pgbackrest', version='2.54.2-1', arch='amd64', source='apt')]
    assert [p['arch'] for p in got['libc6']] == ['amd64', 'i386']


def test_removed_half_installed_and_malformed_lines_are_left_out():
    out = ('rc |etcd-server|3.4|amd64\niU |patroni|3.0|all\nii ||1|all\nii |a|b\n'
           'ii |x|1|all|extra\n\nii |ok|1|all\n')
    assert list(parse(out)) == ['ok']


def test_the_filter_reads_these_facts():
    from ansible_collections.pgwarden.postgresql.plugins.filter.packages import packages_missing
    facts = parse('ii |pgbouncer|1.19|amd64\nrc |haproxy|2.6|amd64\n')
    assert packages_missing(['pgbouncer', 'haproxy'], facts) == ['haproxy']
