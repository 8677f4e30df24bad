"""dpkg_facts' parser: installed packages only, in package_facts' shape with the hold flag, hostile lines ignored."""
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.dpkg_facts import held, parse


def test_installed_packages_in_package_facts_shape():
    out = 'ii |install|pgbackrest|2.54.2-1|amd64\nii |install|libc6|2.36-9|amd64\nii |install|libc6|2.36-9|i386\n'
    got = parse(out)
    assert got['pgbackrest'] == [dict(name='pgbackrest', version='2.54.2-1', arch='amd64', source='apt', held=False)]
    assert [p['arch'] for p in got['libc6']] == ['amd64', 'i386']
    assert held(got) == []


def test_removed_half_installed_and_malformed_lines_are_left_out():
    out = ('rc |deinstall|etcd-server|3.4|amd64\niU |install|patroni|3.0|all\nii |install||1|all\nii |install|a|b\n'
           'ii |install|x|1|all|extra\nii |pgbackrest|2.54|amd64\n\ni|install|short|1|all\nii |install|ok|1|all\n')
    assert list(parse(out)) == ['ok']


def test_held_packages_are_installed_and_flagged():
    out = ('hi |hold|postgresql-15|15.20-0+deb12u1|amd64\nii |install|pgbouncer|1.19|amd64\n'
           'hc |hold|old-pkg|1|all\n'  # held but only its configuration is left: not installed
           'ri |deinstall|going|1|all\n'  # selected for removal, still installed
           'hi |hold|libfoo|1|amd64\nii |install|libfoo|1|i386\n')
    got = parse(out)
    assert got['postgresql-15'] == [dict(name='postgresql-15', version='15.20-0+deb12u1', arch='amd64', source='apt',
                                         held=True)]
    assert got['pgbouncer'][0]['held'] is False and got['going'][0]['held'] is False and 'old-pkg' not in got
    assert [(e['arch'], e['held']) for e in got['libfoo']] == [('amd64', True), ('i386', False)]
    assert held(got) == ['libfoo', 'postgresql-15']


def test_only_a_newline_ends_a_line():
    out = 'ii |install|a\u2028ii |hold|evil|1|all|1|all\nii |install|b\x85hi |hold|x|1|all\n'
    got = parse(out)
    assert got == {}  # each line has the wrong number of fields; nothing is made of the separators


def test_the_filter_reads_these_facts():
    from ansible_collections.pgwarden.postgresql.plugins.filter.packages import packages_missing
    facts = parse('ii |install|pgbouncer|1.19|amd64\nrc |deinstall|haproxy|2.6|amd64\nhi |hold|etcd-server|3.4|amd64\n')
    assert packages_missing(['pgbouncer', 'haproxy', 'etcd-server'], facts) == ['haproxy']
