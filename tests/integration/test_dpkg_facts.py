"""pgwarden.postgresql.dpkg_facts on this host agrees with dpkg-query, and changes nothing in check mode."""
import subprocess

from runner import run_module


def test_installed_packages_match_dpkg_query():
    r = run_module('pgwarden.postgresql.dpkg_facts', {})
    assert r['changed'] is False
    packages = r['ansible_facts']['packages']
    version = subprocess.check_output(['dpkg-query', '-W', '-f', '${Version}', 'dpkg'], text=True)
    assert [p['version'] for p in packages['dpkg']] == [version]
    assert run_module('pgwarden.postgresql.dpkg_facts', {}, check=True)['ansible_facts']['packages'] == packages
