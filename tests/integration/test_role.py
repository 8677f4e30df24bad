"""pgwarden.postgresql.role through ansible-playbook against a real PostgreSQL."""
import psycopg2
import pytest

HOSTILE = [
    "quote'd", 'dq"name', 'semi;colon', 'back\\slash', 'with space', u'ünïcødé-名前', "x'); DROP ROLE postgres; --",
    'a' * 63, u'é' * 31 + 'x',  # 63 bytes, two-byte characters
]
# Each carries a token that appears nowhere else, so finding it in the server log means a leak.
PASSWORDS = [p + '-Zq9w' for p in ["it's", 'semi;colon"', 'back\\slash\\', 'spa ce', u'pässwörd-名前',
                                   "'; ALTER ROLE postgres NOLOGIN; --"]]


def catalog(pg):
    """Everything about non-system roles, to prove that nothing changed."""
    return pg.query("""SELECT a.rolname, a.rolsuper, a.rolcanlogin, a.rolconnlimit, a.rolvaliduntil, a.rolpassword,
        (SELECT array_agg(g.rolname ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
          WHERE m.member = a.oid),
        (SELECT array_agg(array_to_string(s.setconfig, ',')) FROM pg_db_role_setting s WHERE s.setrole = a.oid)
        FROM pg_authid a WHERE a.oid > 16383 ORDER BY 1""")


def test_check_mode_predicts_then_converges_then_noop(pg, role):
    roles = [dict(name='it_group'),
             dict(name='it_app', login=True, password='Secr3t-pw', connection_limit=7, valid_until='2031-02-03',
                  member_of=[dict(name='it_group', admin=True)], settings={'statement_timeout': '45s'},
                  database_settings={'postgres': {'search_path': '"$user", public'}})]
    before = catalog(pg)
    predicted = role(check=True, diff=True, roles=roles)
    assert predicted['changed'] is True
    assert catalog(pg) == before, 'check mode must not change anything'
    applied = role(diff=True, roles=roles)
    assert applied['changed'] is True
    assert applied['queries'] == predicted['queries']
    assert applied['created'] == ['it_group', 'it_app']
    assert applied['diff']['after']['it_app']['member_of'] == {'it_group': {'admin': True, 'inherit': None, 'set': None}}
    assert 'Secr3t-pw' not in applied['_stdout'] and 'SCRAM-SHA-256$' not in applied['_stdout']
    again = role(roles=roles)
    assert again['changed'] is False and again['queries'] == []
    assert role(check=True, roles=roles)['changed'] is False
    row = pg.query("SELECT rolcanlogin, rolconnlimit, rolvaliduntil::date::text, rolpassword LIKE 'SCRAM-SHA-256$%%' "
                   "FROM pg_authid WHERE rolname = 'it_app'")
    assert row == [(True, 7, '2031-02-03', True)]
    conn = pg.connect(user='it_app', password='Secr3t-pw', host='127.0.0.1')
    conn.close()
    assert 'Secr3t-pw' not in pg.log_text(), 'the clear-text password reached the server log'


@pytest.mark.parametrize('name', HOSTILE)
def test_hostile_names_round_trip(pg, role, name):
    res = role(name=name, login=True, member_of=[], settings={'application_name': name})
    assert res['changed'] is True
    assert pg.query('SELECT rolname FROM pg_roles WHERE rolname = %s', (name,)) == [(name,)]
    assert pg.query('SELECT count(*) FROM pg_roles WHERE oid > 16383')[0][0] == 1
    assert pg.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = %s', ('postgres',)) == [(True,)]
    assert role(name=name, login=True, settings={'application_name': name})['changed'] is False


@pytest.mark.parametrize('password', PASSWORDS)
def test_hostile_passwords_log_in_and_are_idempotent(pg, role, password):
    assert role(name='it_pw', login=True, password=password)['changed'] is True
    psycopg2.connect(host='127.0.0.1', port=pg.port, dbname='postgres', user='it_pw', password=password).close()
    assert role(name='it_pw', login=True, password=password)['changed'] is False
    assert role(name='it_pw', password=password + 'x')['changed'] is True
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host='127.0.0.1', port=pg.port, dbname='postgres', user='it_pw', password=password)
    assert password not in pg.log_text()


@pytest.mark.parametrize('args,option', [
    (dict(name='n' * 64), 'name'),
    (dict(roles=[dict(name='it_ok'), dict(name='it_m', member_of=['it_nosuch'])]), 'member_of'),
    (dict(roles=[dict(name='it_ok')], login=True), 'login'),
    (dict(name='it_ok', state='absent', superuser=True), 'superuser'),
    (dict(name='it_ok', valid_until='not a date'), 'valid_until'),
    (dict(roles=[dict(name='it_ok'), dict(name='it_ok')]), 'roles[1].name'),
])
def test_invalid_input_fails_clearly_and_changes_nothing(pg, role, args, option):
    role(name='it_existing', login=True, password='keep-me')
    before = catalog(pg)
    res = role(**args)
    assert res.get('failed') is True
    assert option in res['msg']
    assert catalog(pg) == before


def test_name_and_roles_together_rejected(pg, role):
    res = role(name='it_a', roles=[dict(name='it_b')])
    assert res.get('failed') is True and 'mutually exclusive' in res['msg'] and 'name' in res['msg']


def test_failed_apply_rolls_back_everything(pg, role):
    role(name='it_owner')
    pg.query('CREATE DATABASE it_owned OWNER it_owner')
    try:
        before = catalog(pg)
        res = role(roles=[dict(name='it_new1'), dict(name='it_new2', login=True), dict(name='it_owner', state='absent')])
        assert res.get('failed') is True and 'DROP ROLE "it_owner"' in res['msg']
        assert catalog(pg) == before
    finally:
        pg.query('DROP DATABASE it_owned')


def test_memberships_admin_and_exclusive(pg, role):
    role(roles=[dict(name='it_g1'), dict(name='it_g2'), dict(name='it_m', member_of=['it_g1', 'it_g2']),
                dict(name='it_stray')])
    res = role(roles=[dict(name='it_g1'), dict(name='it_m', member_of=[dict(name='it_g1', admin=True)])], exclusive=True)
    assert res['changed'] is True
    assert sorted(res['dropped']) == ['it_g2', 'it_stray']
    assert pg.query("""SELECT g.rolname, m.admin_option FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                       JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'it_m'""") == [('it_g1', True)]
    assert pg.query("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'") == [(1,)]
    res = role(roles=[dict(name='it_g1'), dict(name='it_m', member_of=[dict(name='it_g1', admin=True)])], exclusive=True)
    assert res['changed'] is False


def test_settings_and_valid_until_idempotent(pg, role):
    args = dict(name='it_s', valid_until='2030-06-01 12:00', settings={'work_mem': '8MB', 'search_path': 'app,public'},
                database_settings={'postgres': {'statement_timeout': 1000}})
    assert role(**args)['changed'] is True
    assert role(**args)['changed'] is False
    assert sorted(pg.query("SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                           "WHERE r.rolname = 'it_s'")) == [('search_path=app, public',), ('statement_timeout=1000',),
                                                            ('work_mem=8MB',)]
    res = role(name='it_s', settings={'work_mem': None}, valid_until='infinity')
    assert res['changed'] is True and res['queries'] == [
        'ALTER ROLE "it_s" WITH VALID UNTIL \'infinity\'', 'ALTER ROLE "it_s" RESET "work_mem"']


def test_batch_of_1000_constant_statements(pg, role):
    """A no-op re-run executes the same number of statements for 10 and for 1,000 roles."""
    def batch(n):
        groups = [dict(name='it_grp%d' % g) for g in range(10)]
        return groups + [dict(name='it_user%04d' % i, login=True, password='pw-%d' % i,
                              member_of=['it_grp%d' % (i % 10)]) for i in range(n)]
    counts = {}
    for n in (10, 1000):
        first = role(roles=batch(n))
        assert first['changed'] is True
        offset = pg.log_size()
        noop = role(roles=batch(n))
        assert noop['changed'] is False
        counts[n] = pg.statements_since(offset)
    assert pg.query("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'it_user%%'") == [(1000,)]
    assert len(counts[10]) == len(counts[1000]) == 3, counts[1000]


def test_membership_in_a_predefined_role(pg, role):
    first = role(name='it_exporter', login=True, member_of=['pg_monitor'])
    assert first['changed'] and 'GRANT "pg_monitor" TO "it_exporter"' in first['queries']
    assert pg.query("SELECT pg_has_role('it_exporter', 'pg_monitor', 'MEMBER')") == [(True,)]
    assert role(name='it_exporter', login=True, member_of=['pg_monitor'])['changed'] is False
