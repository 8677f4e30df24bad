"""Run collection modules through a real ansible-playbook and return the task result."""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml


_DATE = re.compile(r'^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$')


class _Unsafe(str):
    pass


class _Dumper(yaml.SafeDumper):
    pass


# Every string goes in as !unsafe: hostile test values must reach the module as written,
# never templated by Ansible.
_Dumper.add_representer(_Unsafe, lambda d, v: d.represent_scalar('!unsafe', str(v)))


def _unsafe(value):
    if isinstance(value, str):
        # ansible-core 2.19 resolves an !unsafe scalar's type and fails on an impossible date
        # (2030-02-30); such a value cannot be templated, so it goes in as a plain quoted string.
        return value if _DATE.match(value) else _Unsafe(value)
    if isinstance(value, dict):
        return dict((k, _unsafe(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_unsafe(v) for v in value]
    return value


def run_play(tasks, check=False, diff=False, extra_env=None):
    """Run tasks (strings in them go in as !unsafe by the caller) on localhost; returns
    (returncode, the JSON callback's output, stdout, stderr)."""
    play = [dict(hosts='localhost', gather_facts=False, tasks=tasks)]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        yaml.dump(play, f, Dumper=_Dumper, allow_unicode=True)
        path = f.name
    env = dict(os.environ,
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_NOCOLOR='1')
    env.update(extra_env or {})
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', path]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.unlink(path)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('ansible-playbook gave no result (rc=%d):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
    return proc.returncode, out, proc.stdout, proc.stderr


def run_module(module, args, check=False, diff=False, extra_env=None):
    rc, out, stdout, stderr = run_play([{module: _unsafe(args), 'register': 'result'}], check, diff, extra_env)
    try:
        result = out['plays'][0]['tasks'][0]['hosts']['localhost']
    except (KeyError, IndexError):
        raise AssertionError('ansible-playbook gave no result (rc=%d):\n%s\n%s' % (rc, stdout, stderr))
    result['_stdout'] = stdout
    return result
