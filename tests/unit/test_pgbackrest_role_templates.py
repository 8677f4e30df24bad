"""The pgbackrest role's templates rendered by Ansible's own templar with the role's defaults."""
import os

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = os.path.join(os.path.dirname(__file__), '..', '..', 'roles', 'pgbackrest')
CLUSTER = dict(data_directory='/var/lib/postgresql/15/main', port=5432, socket_directory='/var/run/postgresql',
               service='postgresql@15-main')


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _templar(overrides):
    variables = {}
    for part in ('defaults', 'vars'):
        with open(os.path.join(ROLE, part, 'main.yml')) as f:
            variables.update(_trusted(yaml.safe_load(f)))
    variables.update(server_cluster=CLUSTER, ansible_managed='managed', pgbackrest_cipher_pass='p' * 24)
    variables.update(_trusted(overrides))
    return Templar(loader=DataLoader(), variables=variables)


def render(template, **overrides):
    """Render roles/pgbackrest/templates/<template> as the role would, with its defaults, vars + overrides."""
    with open(os.path.join(ROLE, 'templates', template)) as f:
        text = f.read()
    return _templar(overrides).template(trust_as_template(text))


def var(name, **overrides):
    """The value of a role variable (defaults or vars) as the role sees it."""
    return _templar(overrides).template(trust_as_template('{{ %s }}' % name))


def env(**overrides):
    """backup.env as a dict of shell-unquoted values."""
    import shlex
    return {k: shlex.split(v)[0] if shlex.split(v) else ''
            for k, v in (line.split('=', 1) for line in conf_lines(render('backup.env.j2', **overrides)))}


def conf_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith('#')]


def test_start_fast_follows_the_role_variable():
    assert 'start-fast=y' in conf_lines(render('pgbackrest.conf.j2'))
    lines = conf_lines(render('pgbackrest.conf.j2', pgbackrest_start_fast=False))
    assert 'start-fast=n' in lines and 'start-fast=y' not in lines


REPO2 = dict(pgbackrest_repo2={'path': '/srv/repo2'}, pgbackrest_repo2_cipher_pass='q' * 24)


def test_scheduled_backups_go_to_every_repository():
    assert env()['PGWARDEN_REPOS'] == '1'
    assert env(**REPO2)['PGWARDEN_REPOS'] == '1 2'
    timers = {t['timer']: t for t in var('__pgbackrest_timers', **REPO2)}
    assert not timers['pgwarden-backup-repo2-full.timer']['enabled']   # repo2 rides on repo1's timers


def test_repo2_on_a_schedule_of_its_own():
    own = dict(REPO2, pgbackrest_repo2_schedule_full='Sat *-*-* 03:00:00', pgbackrest_repo2_schedule_diff='daily')
    assert env(**own)['PGWARDEN_REPOS'] == '1'
    timers = {t['timer']: t for t in var('__pgbackrest_timers', **own)}
    assert timers['pgwarden-backup-repo2-full.timer']['enabled']
    assert timers['pgwarden-backup-repo2-full.timer']['schedule'] == 'Sat *-*-* 03:00:00'
    assert timers['pgwarden-backup-repo2-diff.timer']['unit'] == 'pgwarden-backup@diff-repo2.service'
    assert var('__pgbackrest_repos', **own) == [1, 2]


def test_dump_settings_and_passphrase_fallback():
    e = env(pgbackrest_pg_dump_copy_to='vault:/srv/dumps', pgbackrest_pg_dump_keep=3)
    assert (e['PGWARDEN_DUMP_KEEP'], e['PGWARDEN_DUMP_COPY_TO']) == ('3', 'vault:/srv/dumps')
    assert e['PGWARDEN_DUMP_PASSPHRASE_FILE'] == '/etc/pgwarden/pg-dump.passphrase'
    assert 'p' * 24 not in render('backup.env.j2')                    # the passphrase stays in its own file
    assert var('__pgbackrest_pg_dump_passphrase') == 'p' * 24          # empty: repo1's passphrase
    assert var('__pgbackrest_pg_dump_passphrase', pgbackrest_pg_dump_passphrase='d' * 20) == 'd' * 20
    assert var('__pgbackrest_packages') == ['pgbackrest', 'gpg']
    assert var('__pgbackrest_packages', pgbackrest_pg_dump_copy_to='/mnt/x') == ['pgbackrest', 'gpg', 'rsync']
