"""Under CI=true a skipped test must fail the run: CI with less coverage is never green."""
import os
import subprocess
import sys

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SAMPLE = '''
import pytest
@pytest.mark.skipif(True, reason="pgaudit is not installed")
def test_needs_tool():
    pass
def test_runtime_skip():
    pytest.skip("pgbackrest is missing")
def test_plain():
    pass
'''


def run(tmp_path, ci):
    (tmp_path / 'test_sample.py').write_text(SAMPLE)
    env = dict(os.environ, PYTHONPATH=TESTS)
    env.pop('CI', None)
    if ci is not None:
        env['CI'] = ci
    return subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'ci_noskip', '-p', 'no:cacheprovider',
                           '-c', os.devnull, '--rootdir', str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)


def test_skips_fail_under_ci(tmp_path):
    r = run(tmp_path, 'true')
    assert r.returncode == 1, r.stdout
    assert 'skipped under CI=true' in r.stdout
    assert 'pgaudit is not installed' in r.stdout and 'pgbackrest is missing' in r.stdout
    assert '1 passed' in r.stdout


def test_skips_are_skips_elsewhere(tmp_path):
    r = run(tmp_path, None)
    assert r.returncode == 0, r.stdout
    assert '1 passed, 2 skipped' in r.stdout
