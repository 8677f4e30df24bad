"""The access role refuses weak passwords before anything reaches the server, without showing them."""
import datetime
import os
import subprocess
import sys
import tempfile

import pytest
import yaml

SOON = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()


def run_role(logins):
    play = [dict(hosts='localhost', gather_facts=False, vars=dict(access_logins=logins, access_port=1),
                 roles=['pgwarden.postgresql.access'])]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        yaml.safe_dump(play, f)
    try:
        return subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                               '-c', 'local', f.name], env=dict(os.environ, ANSIBLE_NOCOLOR='1',
                                                                ANSIBLE_PYTHON_INTERPRETER=sys.executable), check=False,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finally:
        os.unlink(f.name)


@pytest.mark.parametrize('password,valid_until,problem', [
    ('Sh0rt!pw', SOON, 'shorter than 16'),
    ('xx-Shop_App-2026-long!', SOON, 'contains the role name'),
    ('alllowercaseletters', SOON, 'fewer than 3'),
    ('Long-Enough-pw-2026!', '2099-01-01', 'valid_until'),
    ('Long-Enough-pw-2026!', None, 'valid_until'),
])
def test_weak_password_fails_clearly_and_is_not_shown(password, valid_until, problem):
    login = dict(name='shop_app', group='app', password=password)
    if valid_until:
        login['valid_until'] = valid_until
    proc = run_role([login])
    assert proc.returncode != 0
    assert 'access_logins[0]: login shop_app is refused' in proc.stdout and problem in proc.stdout
    assert password not in proc.stdout
    # Failed before the first task that talks to the server.
    assert 'Group roles and login roles' not in proc.stdout
