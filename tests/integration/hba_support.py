"""Helpers for the hba tests: many tasks in one playbook, and a run at -vvv with its whole output."""
import json
import os
import subprocess
import sys
import tempfile

import yaml

from runner import _Dumper, _unsafe

MODULE = 'pgwarden.postgresql.hba'


def _env():
    return dict(os.environ,
                ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
                ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                ANSIBLE_LOCALHOST_WARNING='false',
                ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                ANSIBLE_NOCOLOR='1')


def _play(tasks, *options):
    play = [dict(hosts='localhost', gather_facts=False, tasks=tasks)]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        yaml.dump(play, f, Dumper=_Dumper, allow_unicode=True)
        path = f.name
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', path]
    try:
        proc = subprocess.run(cmd + list(options), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, check=False)
    finally:
        os.unlink(path)
    # With -v..., ansible-playbook prints its messages before the callback's JSON document.
    start = proc.stdout.rfind('\n{\n') + 1 if not proc.stdout.startswith('{') else 0
    try:
        out = json.loads(proc.stdout[start:])
        results = [t['hosts']['localhost'] for t in out['plays'][0]['tasks']]
    except (ValueError, KeyError, IndexError):
        raise AssertionError('ansible-playbook gave no result (rc=%d):\n%s\n%s'
                             % (proc.returncode, proc.stdout, proc.stderr))
    return results, proc


def run_many(args_list, check=False):
    """One playbook, one hba task per argument dict (failures do not stop the play); the results in order."""
    tasks = [{MODULE: _unsafe(args), 'ignore_errors': True} for args in args_list]
    results, _proc = _play(tasks, *(['--check'] if check else []))
    return results


def run_verbose(args, check=False, diff=False):
    """One hba task at -vvv: (result, everything ansible-playbook printed on stdout and stderr)."""
    options = ['-vvv'] + (['--check'] if check else []) + (['--diff'] if diff else [])
    results, proc = _play([{MODULE: _unsafe(args), 'ignore_errors': True}], *options)
    return results[0], proc.stdout + proc.stderr
