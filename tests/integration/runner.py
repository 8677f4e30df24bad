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
    """Run one module and return its result.

    By default the module runs directly, the way ansible-playbook's local connection runs it: the
    module file as a Python program, its arguments as JSON (`_ansible_check_mode`, `_ansible_diff`),
    its JSON answer on stdout. That skips the ~3 s of CPU an ansible-playbook start costs, which was
    most of this suite's time. With extra_env (become, interpreter) or PGW_IT_RUNNER=playbook the
    module runs through a real ansible-playbook instead; the molecule scenarios run every module so."""
    if extra_env or os.environ.get('PGW_IT_RUNNER') == 'playbook':
        return _run_module_in_play(module, args, check, diff, extra_env)
    return _run_module_direct(module, args, check, diff)


def _run_module_in_play(module, args, check, diff, extra_env):
    rc, out, stdout, stderr = run_play([{module: _unsafe(args), 'register': 'result'}], check, diff, extra_env)
    try:
        result = out['plays'][0]['tasks'][0]['hosts']['localhost']
    except (KeyError, IndexError):
        raise AssertionError('ansible-playbook gave no result (rc=%d):\n%s\n%s' % (rc, stdout, stderr))
    result['_stdout'] = stdout
    return result


_COLLECTION_PREFIX = 'pgwarden.postgresql.'


def _run_module_direct(module, args, check, diff):
    if not module.startswith(_COLLECTION_PREFIX):
        raise ValueError('the direct runner runs this collection\'s modules only, not %s' % module)
    name = 'ansible_collections.pgwarden.postgresql.plugins.modules.' + module[len(_COLLECTION_PREFIX):]
    params = dict(args, _ansible_check_mode=bool(check), _ansible_diff=bool(diff))
    env = dict(os.environ)
    # The collection is importable as ansible_collections.* from the ANSIBLE_COLLECTIONS_PATH entries.
    paths = env.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) + [env.get('PYTHONPATH', '')]
    env['PYTHONPATH'] = os.pathsep.join(p for p in paths if p)
    with tempfile.TemporaryDirectory() as tmp:
        env['HOME'] = env.get('HOME') or tmp
        proc = subprocess.run([sys.executable, '-m', name], input=json.dumps({'ANSIBLE_MODULE_ARGS': params}),
                              env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        # What the controller makes of a module that printed no JSON (a traceback, a crash).
        return dict(failed=True, msg='MODULE FAILURE', rc=proc.returncode, module_stdout=proc.stdout,
                    module_stderr=proc.stderr, changed=False, _stdout=proc.stdout)
    result.setdefault('changed', False)
    if proc.returncode != 0:
        result.setdefault('failed', True)
    result['_stdout'] = proc.stdout
    return result
