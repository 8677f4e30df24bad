"""Backups judged where they are (pure): stanzas of a configuration, a database host's facts with its
repository host's, and the filter that gathers the repository hosts' facts in playbooks/audit.yml."""
import copy

from test_audit_checks import CLEAN, NOW

from ansible_collections.pgwarden.postgresql.plugins.filter.audit import audit_repositories
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_backup as ab
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_checks import findings
from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit.audit_score import checklist

MEMBER_CONF = ab.parse_pgbackrest_conf(
    '[global]\nrepo1-host=repo\nrepo1-host-type=tls\nrepo1-path=/var/lib/pgbackrest\nrepo1-cipher-pass=s3cret\n'
    'repo2-host=repo\nrepo2-path=/var/lib/pgbackrest-repo2\n\n[global:archive-push]\nprocess-max=2\n\n'
    '[main]\npg1-path=/var/lib/postgresql/15/main\n\n[main:archive-get]\nprocess-max=1\n')
REPO_FACTS = dict(
    names=['repo', '10.0.0.9'], stanzas=['main'],
    pgbackrest_repos=[dict(repo='repo1', off_host=False, host=None, path='/var/lib/pgbackrest-repo2',
                           location='/var/lib/pgbackrest-repo2', retention_full='4'),
                      dict(repo='repo2', off_host=False, host=None, path='/var/lib/pgbackrest',
                           location='/var/lib/pgbackrest', retention_full=2)],
    pgbackrest=dict(items=[dict(stanza='main', newest_stop=100.0, cipher='aes-256-cbc', cipher_known=True),
                           dict(stanza='other', newest_stop=1.0, cipher='none', cipher_known=True)]),
    restore_test=dict(path='/var/lib/pgwarden/restore-test.json', status=dict(result='passed', stanza='main')))


def member_facts():
    return dict(stanzas=ab.stanzas(MEMBER_CONF), pgbackrest_repos=ab.backup_layout(MEMBER_CONF))


def test_stanzas_are_the_sections_but_global_and_command_sections():
    assert ab.stanzas(MEMBER_CONF) == ['main']
    assert ab.stanzas({}) == [] and ab.stanzas({'global': {}, 'a:backup': {}, 'b': {}}) == ['a', 'b']


def test_a_member_is_judged_on_its_repository_host_repo_by_repo_path():
    got = ab.judge_where_they_are(member_facts(), [dict(REPO_FACTS, names=['elsewhere']), REPO_FACTS])
    # repo1 here is the repository host's repo2 (same path), and the other way round
    assert [(r['repo'], r['retention_full'], r['off_host']) for r in got['pgbackrest_repos']] == [
        ('repo1', '2', True), ('repo2', '4', True)]
    assert got['pgbackrest'] == dict(items=[REPO_FACTS['pgbackrest']['items'][0]])  # only this host's stanza
    assert got['restore_test'] == dict(path='repo:/var/lib/pgwarden/restore-test.json',
                                       status=dict(result='passed', stanza='main'))
    assert got['backup_judged_on'] == 'repo' and 's3cret' not in repr(got)


def test_a_stanza_the_repository_host_does_not_know_and_a_restore_test_of_another_stanza():
    facts = dict(member_facts(), stanzas=['billing'])
    got = ab.judge_where_they_are(facts, [REPO_FACTS])
    assert got['pgbackrest'] == dict(items=[], error='stanza billing not found on the repository host (no backup info)')
    assert got['restore_test'] == dict(error='the restore test on repo is for stanza main, not billing')


def test_no_repository_named_leaves_the_facts_as_they_are():
    facts = member_facts()
    assert ab.judge_where_they_are(facts, []) is facts
    assert ab.judge_where_they_are(facts, [dict(REPO_FACTS, names=['backup2'])]) is facts
    local = dict(stanzas=['main'], pgbackrest_repos=ab.backup_layout({'global': {'repo1-path': '/r'}}))
    assert ab.judge_where_they_are(local, [REPO_FACTS]) is local


def test_info_without_a_stanza_is_never_run(tmp_path):
    assert ab.pgbackrest_info('/bin/true', None, []) == dict(error='no stanza in the pgBackRest configuration ')
    assert ab.pgbackrest_info(str(tmp_path / 'nope'), None, ['main'])['error'].startswith('pgbackrest is not installed')


def test_restore_test_path_from_the_role_settings(tmp_path):
    cfg = tmp_path / 'restore-test.json'
    cfg.write_text('{"status_file": "/srv/rt/status.json", "stanza": "main"}')
    assert ab.restore_test_path(dict(restore_test_config=str(cfg))) == '/srv/rt/status.json'
    assert ab.restore_test_path(dict(restore_test_config=str(cfg), restore_test_status_file='/x.json')) == '/x.json'
    cfg.write_text('["not", "an", "object"]')
    assert ab.restore_test_path(dict(restore_test_config=str(cfg))) == '/var/lib/pgwarden/restore-test.json'


def test_the_filter_keeps_the_repository_hosts_that_were_read():
    hostvars = {'repo': dict(audit_repository=dict(changed=False, repository=REPO_FACTS)),
                'down': dict(audit_repository=dict(unreachable=True, msg='no route')),
                'bad': dict(audit_repository=dict(failed=True, msg='x')), 'none': {}}
    assert audit_repositories(['repo', 'down', 'bad', 'none', 'missing'], hostvars) == [REPO_FACTS]
    assert audit_repositories([], hostvars) == []


def _checklist(**changes):
    s = copy.deepcopy(CLEAN)
    s.update(changes)
    opts = dict(runbooks=None)
    items = checklist(s, findings(s, opts, NOW), opts, NOW)[0]
    return dict((i['id'], (i['status'], i['detail'])) for i in items)


def test_the_rto_the_restore_test_was_held_to_counts_when_none_is_given():
    rt = dict(path='repo:/x', status=dict(result='passed', duration_seconds=30, finished_at=NOW - 3600, rto_seconds=900))
    got = _checklist(restore_test=rt)
    assert got['rpo_rto'] == ('pass', "RPO 26.0 h, RTO 15.0 min (the restore test's, pgbackrest_rto_seconds), "
                                      'restore test passed 0.0 days ago')
    slow = dict(rt, status=dict(rt['status'], duration_seconds=1000))
    assert _checklist(restore_test=slow)['rpo_rto'] == ('fail', 'the last restore test took 1000 s, over the RTO of 15.0 minutes')
    for bad in (None, 'soon', 0, -5):
        got = _checklist(restore_test=dict(rt, status=dict(rt['status'], rto_seconds=bad)))
        assert got['rpo_rto'][0] == 'fail' and 'no RTO defined' in got['rpo_rto'][1]


def test_runbooks_installed_on_the_host_pass_the_item():
    assert _checklist(runbooks_installed='/usr/share/doc/pgwarden/runbooks')['runbooks'] == (
        'pass', 'runbooks: /usr/share/doc/pgwarden/runbooks')
    assert _checklist()['runbooks'][0] == 'unknown'
