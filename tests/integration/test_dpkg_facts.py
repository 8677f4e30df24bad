"""pgwarden.postgresql.dpkg_facts on this host agrees with dpkg-query, and changes nothing in check mode. Holds
are made with dpkg itself on a copy of the host's dpkg database (--admindir), so the machine is untouched."""
import os
import shutil
import subprocess

import pytest

from runner import run_module


def test_installed_packages_match_dpkg_query():
    r = run_module('pgwarden.postgresql.dpkg_facts', {})
    assert r['changed'] is False
    packages = r['ansible_facts']['packages']
    version = subprocess.check_output(['dpkg-query', '-W', '-f', '${Version}', 'dpkg'], text=True)
    assert [p['version'] for p in packages['dpkg']] == [version]
    held = subprocess.check_output(['dpkg-query', '-W', '-f', '${db:Status-Want} ${Package}\n'], text=True)
    assert r['ansible_facts']['held_packages'] == sorted(set(n for w, n in (x.split() for x in held.splitlines()) if w == 'hold'))
    assert run_module('pgwarden.postgresql.dpkg_facts', {}, check=True)['ansible_facts']['packages'] == packages


@pytest.fixture
def admindir(tmp_path):
    """A copy of the host's dpkg database (status file and the directories dpkg expects)."""
    d = tmp_path / 'dpkg'
    for sub in ('updates', 'info'):
        (d / sub).mkdir(parents=True)
    shutil.copy('/var/lib/dpkg/status', str(d / 'status'))
    (d / 'available').touch()
    return str(d)


def _selections(admindir, text):
    subprocess.run(['dpkg', '--admindir=' + admindir, '--set-selections'], input=text, text=True, check=True)


def test_a_package_on_hold_is_reported(admindir):
    with open('/var/lib/dpkg/status', 'rb') as f:
        system_status = f.read()
    _selections(admindir, 'bash hold\ndpkg hold\n')  # what apt-mark hold does, on the copy
    for check in (False, True):
        r = run_module('pgwarden.postgresql.dpkg_facts', dict(admindir=admindir), check=check)
        assert r['changed'] is False and not r.get('failed'), r
        facts = r['ansible_facts']
        assert facts['held_packages'] == ['bash', 'dpkg'], facts['held_packages']
        assert [e['held'] for e in facts['packages']['bash']] == [True], 'still installed, and held'
        assert facts['packages']['coreutils'][0]['held'] is False
    _selections(admindir, 'dpkg install\n')  # apt-mark unhold
    r = run_module('pgwarden.postgresql.dpkg_facts', dict(admindir=admindir))
    assert r['ansible_facts']['held_packages'] == ['bash'] and r['ansible_facts']['packages']['dpkg'][0]['held'] is False
    with open('/var/lib/dpkg/status', 'rb') as f:
        assert f.read() == system_status, 'the host database is untouched'


@pytest.mark.parametrize('bad, message', [
    ('relative/dpkg', 'admindir: must be an absolute'),
    ('/var/lib/../lib/dpkg', 'admindir: must be an absolute'),
    ('/var/lib/dpkg\n--help', 'admindir: must not contain NUL or a line break'),
    ('/nonexistent-pgw/dpkg', 'admindir: not a directory: /nonexistent-pgw/dpkg'),
])
def test_bad_admindir_fails_naming_the_option(bad, message):
    r = run_module('pgwarden.postgresql.dpkg_facts', dict(admindir=bad))
    assert r.get('failed') and r['msg'].startswith(message), r
    assert os.path.isdir('/var/lib/dpkg')
