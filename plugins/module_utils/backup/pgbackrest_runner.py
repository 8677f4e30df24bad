# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection runs pgBackRest.

Every pgBackRest command goes through `Runner`: it builds the command line from the
module's options, passes secrets through the environment (never on the command line,
where `ps` shows them), records each command in `commands` as it would be typed,
skips commands that change something in check mode and masks secret values in
everything it returns. Reads (`info --output=json`) run in check mode too.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import re

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

MASK = '********'
# Option names whose values are secrets: pgBackRest reads them from PGBACKREST_* variables.
_SECRET = re.compile(r'(cipher-pass|key-secret|s3-key|s3-token|azure-key|gcs-key|passphrase|password)$')
_OPTION = re.compile(r'^[a-z0-9][a-z0-9-]*$')
_PG_OPTION = re.compile(r'^--(no-)?pg[0-9]+-')
REPO_ONLY_COMMANDS = ('info', 'verify', 'repo-ls', 'repo-get', 'expire', 'stop', 'start')

# Options every pgBackRest module shares (doc fragment pgwarden.postgresql.pgbackrest).
PGBACKREST_ARGUMENT_SPEC = dict(
    stanza=dict(type='str', required=True),
    config=dict(type='path'),
    options=dict(type='dict', default={}),
    secret_options=dict(type='dict', default={}, no_log=True),
    binary=dict(type='str', default='pgbackrest'),
)


def pgbackrest_argument_spec(**extra):
    spec = dict((k, dict(v)) for k, v in PGBACKREST_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


def is_secret(option):
    return bool(_SECRET.search(option))


def _value(option, value):
    if isinstance(value, bool):
        return ['--%s' % option] if value else ['--no-%s' % option]
    if isinstance(value, (list, tuple)):
        return ['--%s=%s' % (option, v) for v in value]
    return ['--%s=%s' % (option, value)]


def option_args(options):
    """Command-line arguments of a dict of pgBackRest options (sorted, so plans are stable)."""
    args = []
    for option in sorted(options):
        if not _OPTION.match(option):
            raise PlanError('options', '%r is not a pgBackRest option name (lower case, digits and -)' % option)
        if is_secret(option):
            raise PlanError('options', '%r is a secret: pass it in secret_options (given to pgBackRest '
                                       'through the environment, never on the command line)' % option)
        if options[option] is None:
            continue
        args.extend(_value(option, options[option]))
    return args


def secret_env(secret_options):
    """PGBACKREST_* environment variables for secret options."""
    env = {}
    for option, value in sorted(secret_options.items()):
        if not _OPTION.match(option):
            raise PlanError('secret_options', '%r is not a pgBackRest option name' % option)
        if value is not None:
            env['PGBACKREST_' + option.upper().replace('-', '_')] = str(value)
    return env


def read_config(path):
    """Sections of a pgBackRest configuration file as dicts (no interpolation)."""
    sections, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if line.startswith('[') and line.endswith(']'):
                current = sections.setdefault(line[1:-1].strip(), {})
            elif current is not None and '=' in line:
                key, value = line.split('=', 1)
                current[key.strip()] = value.strip()
    return sections


def config_option(params, option):
    """An option's value: module options first, then [stanza], then [global] of the config file."""
    if params['options'].get(option) is not None:
        return str(params['options'][option])
    path = params.get('config') or '/etc/pgbackrest/pgbackrest.conf'
    if not params.get('config') and not os.path.exists(path):
        path = '/etc/pgbackrest.conf'
    try:
        sections = read_config(path)
    except (IOError, OSError):
        return None
    for section in (params['stanza'], 'global'):
        if option in sections.get(section, {}):
            return sections[section][option]
    return None


class RunError(Exception):
    def __init__(self, command, rc, message):
        self.command = command
        self.rc = rc
        self.message = message
        super(RunError, self).__init__('%s failed (rc=%s): %s' % (command, rc, message))


class Runner(object):
    def __init__(self, module, stanza_option=True):
        params = module.params
        self.module = module
        self.check_mode = module.check_mode
        self.commands = []
        self._secrets = [str(v) for v in params['secret_options'].values() if v not in (None, '')]
        self._env = secret_env(params['secret_options'])
        binary = params['binary']
        path = binary if os.path.isabs(binary) else module.get_bin_path(binary)
        if not path:
            module.fail_json(msg='binary: %s not found on the managed host (apt-get install pgbackrest)' % binary)
        self.base = [path]
        if params.get('config'):
            self.base.append('--config=%s' % params['config'])
        if stanza_option:
            self.base.append('--stanza=%s' % params['stanza'])
        self.base.extend(option_args(params['options']))

    def argv(self, command, args=()):
        base = self.base
        if command in REPO_ONLY_COMMANDS:  # pgBackRest refuses pgN-* options for these
            base = [a for a in base if not _PG_OPTION.match(a)]
        return base + list(args) + [command]

    def render(self, argv):
        return ' '.join(a if re.match(r'^[\w@%+=:,./-]+$', a) else "'%s'" % a.replace("'", "'\"'\"'") for a in argv)

    def mask(self, text):
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _exec(self, argv):
        rc, out, err = self.module.run_command(argv, environ_update=self._env)
        out, err = self.mask(out or ''), self.mask(err or '')
        if rc != 0:
            lines = [line for line in (err + '\n' + out).splitlines() if line.strip()]
            errors = [line for line in lines if 'ERROR' in line] or lines[-5:]
            raise RunError(self.render(argv), rc, ' '.join(errors).strip())
        return out, err

    def read_json(self, command, args=()):
        """A read-only command with --output=json; runs in check mode too, is not recorded."""
        out, _err = self._exec(self.argv(command, ['--output=json'] + list(args)))
        try:
            return json.loads(out)
        except ValueError:
            raise RunError(self.render(self.argv(command, args)), 0, 'pgBackRest did not return JSON: %s' % out[:200])

    def info(self, args=()):
        return self.read_json('info', args)

    def run(self, command, args=()):
        """A command that changes something: recorded, and skipped in check mode."""
        argv = self.argv(command, args)
        self.commands.append(self.render(argv))
        if self.check_mode:
            return '', ''
        return self._exec(argv)


def postmaster_pid(text):
    """The PID in the first line of a postmaster.pid file, or None."""
    first = (text or '').split('\n', 1)[0].strip()
    return int(first) if first.isdigit() else None


def data_dir_state(path):
    """What the restore planner needs to know about a target data directory."""
    state = dict(path=path, exists=os.path.isdir(path), empty=True, running_pid=None)
    if not state['exists']:
        return state
    state['empty'] = not os.listdir(path)
    try:
        with open(os.path.join(path, 'postmaster.pid')) as f:
            pid = postmaster_pid(f.read())
    except (IOError, OSError):
        pid = None
    if pid:
        try:
            os.kill(pid, 0)
            state['running_pid'] = pid
        except OSError as e:
            if e.errno == errno.EPERM:  #: the process exists, owned by someone else
                state['running_pid'] = pid
    return state


def read_cluster(module, pg_path):
    """Version and system identifier of the cluster in pg_path (from its control file), or None."""
    if not pg_path:
        return None
    try:
        with open(os.path.join(pg_path, 'PG_VERSION')) as f:
            version = f.read().strip()
    except (IOError, OSError):
        return None
    controldata = '/usr/lib/postgresql/%s/bin/pg_controldata' % version
    if not os.path.exists(controldata):
        controldata = module.get_bin_path('pg_controldata')
    if not controldata:
        return dict(version=version, system_id=None, state=None)
    rc, out, _err = module.run_command([controldata, pg_path], environ_update=dict(LC_ALL='C'))
    return dict(parse_controldata(out if rc == 0 else ''), version=version)


def parse_controldata(text):
    """System identifier and state ('in production', 'in archive recovery', 'shut down', ...) from pg_controldata."""
    sysid = re.search(r'^Database system identifier:\s*(\d+)', text or '', re.M)
    state = re.search(r'^Database cluster state:\s*(.+?)\s*$', text or '', re.M)
    return dict(system_id=int(sysid.group(1)) if sysid else None, state=state.group(1) if state else None)
