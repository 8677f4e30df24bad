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


def render(template, **overrides):
    """Render roles/pgbackrest/templates/<template> as the role would, with its defaults + overrides."""
    with open(os.path.join(ROLE, 'defaults', 'main.yml')) as f:
        variables = _trusted(yaml.safe_load(f))
    variables.update(server_cluster=CLUSTER, ansible_managed='managed', pgbackrest_cipher_pass='p' * 24)
    variables.update(_trusted(overrides))
    with open(os.path.join(ROLE, 'templates', template)) as f:
        text = f.read()
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text))


def conf_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith('#')]


def test_start_fast_follows_the_role_variable():
    assert 'start-fast=y' in conf_lines(render('pgbackrest.conf.j2'))
    lines = conf_lines(render('pgbackrest.conf.j2', pgbackrest_start_fast=False))
    assert 'start-fast=n' in lines and 'start-fast=y' not in lines
