"""pgBackRest planners with plain dicts shaped like `pgbackrest info --output=json` (2.45)."""
import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_plan import (
    info_facts, new_backup, parse_duration, plan_backup, plan_restore, plan_stanza, stanza_entry, stanza_state)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_runner import (
    option_args, postmaster_pid, secret_env)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

SYSID = 7710726934292846254


def status(code, message):
    return dict(code=code, message=message, lock=dict(backup=dict(held=False)))


def backup(label, btype, start, stop):
    return dict(label=label, type=btype, error=False, timestamp=dict(start=start, stop=stop),
                archive=dict(start='000000010000000000000002', stop='000000010000000000000003'),
                lsn=dict(start='0/2000028', stop='0/3000050'),
                info=dict(size=22992536, delta=22992536, repository=dict(size=2833728, delta=2833728)))


def entry(code=0, message='ok', version='15', sysid=SYSID, backups=(), repos=None):
    return dict(name='main', cipher='aes-256-cbc', status=status(code, message), backup=list(backups),
                archive=[dict(id='15-1', min='000000010000000000000001', max='000000010000000000000003')],
                db=[] if code == 1 else [dict(id=1, version=version, **{'system-id': sysid})],
                repo=repos if repos is not None else [dict(key=1, cipher='aes-256-cbc', status=status(code, message))])


MISSING = [dict(name='main', status=status(1, 'missing stanza path'), backup=[], archive=[], db=[],
                repo=[dict(key=1, status=status(1, 'missing stanza path'))])]
CLUSTER = dict(version='15', system_id=SYSID)


@pytest.mark.parametrize('info,cluster,expected', [
    ([], CLUSTER, 'missing'),
    (MISSING, CLUSTER, 'missing'),
    ([entry(3, 'missing stanza data')], CLUSTER, 'missing'),
    ([entry(2, 'no valid backups')], CLUSTER, 'healthy'),
    ([entry(0)], CLUSTER, 'healthy'),
    ([entry(0)], None, 'healthy'),
    ([entry(0, version='15')], dict(version='17', system_id=SYSID), 'needs-upgrade'),
    ([entry(0)], dict(version='15', system_id=SYSID + 1), 'needs-upgrade'),
    ([entry(99, 'other')], CLUSTER, 'error'),
    # two repositories, the second one new: stanza-create completes it
    ([entry(4, 'different across repos', repos=[dict(key=1, status=status(0, 'ok')),
                                                dict(key=2, status=status(1, 'missing stanza path'))])], CLUSTER, 'missing'),
])
def test_stanza_states(info, cluster, expected):
    assert stanza_state(stanza_entry(info, 'main'), cluster)[0] == expected


def test_stanza_entry_picks_by_name():
    other = dict(entry(0), name='other')
    assert stanza_entry([other, entry(0)], 'main')['name'] == 'main'
    assert stanza_entry([other], 'main') is None


def test_plan_stanza_per_state():
    assert plan_stanza('missing', '', 'present') == ([('stanza-create', [])], [('check', [])])
    assert plan_stanza('needs-upgrade', '', 'present') == ([('stanza-upgrade', [])], [('check', [])])
    assert plan_stanza('healthy', '', 'present') == ([], [('check', [])])
    assert plan_stanza('healthy', '', 'present', check=False) == ([], [])
    # offline (a stopped cluster, or a standby without its primary configured): no check
    assert plan_stanza('missing', '', 'present', online=False) == ([('stanza-create', ['--no-online'])], [])
    assert plan_stanza('missing', '', 'absent') == ([], [])
    assert plan_stanza('healthy', '', 'absent', force=True)[0] == [('stop', []), ('stanza-delete', ['--force']), ('start', [])]
    with pytest.raises(PlanError) as e:
        plan_stanza('error', 'other', 'present')
    assert e.value.option == 'stanza' and 'other' in str(e.value)


@pytest.mark.parametrize('value,seconds', [('90', 90), ('90s', 90), ('30m', 1800), ('12h', 43200), ('7d', 604800),
                                           ('2w', 1209600), (None, None)])
def test_parse_duration(value, seconds):
    assert parse_duration('max_age', value) == seconds


def test_parse_duration_refuses_garbage():
    with pytest.raises(PlanError) as e:
        parse_duration('max_age', 'a week')
    assert e.value.option == 'max_age'


def test_plan_backup_max_age_and_type_strength():
    now = 1000000
    e = entry(backups=[backup('F1', 'full', now - 9000, now - 8000), backup('I1', 'incr', now - 200, now - 100)])
    assert plan_backup(e, 'full', None, now) == (['--start-fast', '--type=full'], None)
    assert plan_backup(e, 'full', 3600, now)[0] == ['--start-fast', '--type=full']  # full is 8000 s old
    args, reason = plan_backup(e, 'full', 9000, now)
    assert args is None and 'F1' in reason
    assert plan_backup(e, 'incr', 3600, now)[0] is None                    # a recent incr is enough
    assert plan_backup(e, 'diff', 3600, now)[0][1:] == ['--type=diff']     # an incr is not a diff
    assert plan_backup(entry(2, backups=[]), 'diff', 3600, now)[0][1:] == ['--type=diff']


def test_plan_backup_start_fast_false_is_explicit_and_overrides_the_configuration():
    # pgbackrest.conf may say start-fast=y: only an explicit --no-start-fast turns it off.
    args, _reason = plan_backup(entry(backups=[]), 'full', None, 1000, start_fast=False)
    assert args == ['--no-start-fast', '--type=full']


def test_new_backup_and_facts():
    old = backup('F1', 'full', 100, 160)
    new = backup('D1', 'diff', 500, 530)
    taken = new_backup(entry(backups=[old]), entry(backups=[old, new]))
    assert taken['label'] == 'D1'
    assert new_backup(entry(backups=[old]), entry(backups=[old])) is None
    facts = info_facts(entry(backups=[old, new]), 1000)
    assert facts['exists'] is True and facts['cipher'] == 'aes-256-cbc'
    assert facts['newest_backup']['label'] == 'D1' and facts['newest_backup']['duration_seconds'] == 30
    assert facts['newest_backup']['repository_size'] == 2833728 and facts['newest_backup']['wal_stop'] == '000000010000000000000003'
    assert facts['newest_backup_age_seconds'] == 470 and facts['newest_full_age_seconds'] == 840
    assert facts['wal'] == [dict(id='15-1', min='000000010000000000000001', max='000000010000000000000003')]
    assert info_facts(None, 1000)['exists'] is False
    assert info_facts(stanza_entry(MISSING, 'main'), 1000)['exists'] is False


EMPTY = dict(exists=False, empty=True, running_pid=None)


def restore(**kw):
    params = dict(data_dir='/srv/scratch', target_type='default', target=None, target_action=None, set=None,
                  target_exclusive=False, target_timeline=None, archive_mode='off', repo=None, delta=False,
                  force=False, db_include=None, recovery_options=None)
    params.update(kw)
    return params


def test_plan_restore_point_in_time():
    args = plan_restore(restore(target_type='time', target='2026-01-31 12:00:00+00', target_action='promote'), EMPTY)
    assert args == ['--pg1-path=/srv/scratch', '--type=time', '--target=2026-01-31 12:00:00+00',
                    '--target-action=promote', '--archive-mode=off']
    args = plan_restore(restore(target_type='lsn', target='0/3000050', target_timeline='latest', target_exclusive=True,
                                set='20260101-010000F', recovery_options={'recovery_min_apply_delay': '0'}), EMPTY)
    assert '--target-timeline=latest' in args and '--target-exclusive' in args and '--set=20260101-010000F' in args
    assert '--recovery-option=recovery_min_apply_delay=0' in args
    assert plan_restore(restore(target_type='immediate'), EMPTY)[1] == '--type=immediate'


@pytest.mark.parametrize('kw,option', [
    (dict(target_type='time'), 'target'),                       # time without a target: refused before anything runs
    (dict(target_type='time', target='yesterday'), 'target'),
    (dict(target_type='lsn', target='12345'), 'target'),
    (dict(target_type='xid', target='abc'), 'target'),
    (dict(target_type='name'), 'target'),
    (dict(target='2026-01-31 12:00:00'), 'target'),             # a target without a type
    (dict(target_type='immediate', target='0/1'), 'target'),
    (dict(target_action='promote'), 'target_action'),
    (dict(target_type='name', target='x', target_exclusive=True), 'target_exclusive'),
    (dict(target_timeline='sideways'), 'target_timeline'),
    (dict(data_dir='relative/dir'), 'data_dir'),
])
def test_plan_restore_refuses_bad_arguments(kw, option):
    with pytest.raises(PlanError) as e:
        plan_restore(restore(**kw), EMPTY)
    assert e.value.option == option


def test_plan_restore_refuses_running_cluster_even_with_delta():
    live = dict(exists=True, empty=False, running_pid=4242)
    with pytest.raises(PlanError) as e:
        plan_restore(restore(delta=True), live)
    assert e.value.option == 'data_dir' and '4242' in str(e.value)


def test_plan_restore_needs_delta_for_a_non_empty_directory():
    stopped = dict(exists=True, empty=False, running_pid=None)
    with pytest.raises(PlanError) as e:
        plan_restore(restore(), stopped)
    assert e.value.option == 'delta'
    assert '--delta' in plan_restore(restore(delta=True), stopped)


def test_option_args_and_secrets():
    assert option_args({'repo1-path': '/r', 'pg1-port': 5433, 'archive-async': True, 'online': False,
                        'db-include': ['a', 'b'], 'unset': None}) == [
        '--archive-async', '--db-include=a', '--db-include=b', '--no-online', '--pg1-port=5433', '--repo1-path=/r']
    with pytest.raises(PlanError) as e:
        option_args({'repo1-cipher-pass': 'x'})
    assert e.value.option == 'options' and 'secret_options' in str(e.value)
    with pytest.raises(PlanError):
        option_args({'Bad Name': 1})
    assert secret_env({'repo1-cipher-pass': 'p', 'repo2-s3-key-secret': 's'}) == {
        'PGBACKREST_REPO1_CIPHER_PASS': 'p', 'PGBACKREST_REPO2_S3_KEY_SECRET': 's'}


def test_postmaster_pid():
    assert postmaster_pid('4242\n/var/lib/postgresql/15/main\n') == 4242
    assert postmaster_pid('') is None


@pytest.mark.parametrize('given,sent', [
    ('2026-01-31T12:00:00.5+00:00', '2026-01-31 12:00:00.5+00:00'),
    ('2026-01-31T12:00:00Z', '2026-01-31 12:00:00+00'),
    ('2026-01-31 12:00:00', '2026-01-31 12:00:00'),
])
def test_plan_restore_normalises_iso_times(given, sent):
    assert '--target=' + sent in plan_restore(restore(target_type='time', target=given), EMPTY)


def test_parse_controldata():
    from ansible_collections.pgwarden.postgresql.plugins.module_utils.backup.pgbackrest_runner import parse_controldata
    text = ('pg_control version number:            1300\nDatabase system identifier:           7710726934292846254\n'
            'Database cluster state:               in archive recovery\n')
    assert parse_controldata(text) == dict(system_id=SYSID, state='in archive recovery')
    assert parse_controldata('') == dict(system_id=None, state=None)
