# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's backup facts: pgBackRest's configuration, its `info` per stanza and the restore test status.

Backups, retention and restore tests are judged where they are. On a database host whose
repositories live on a repository host (repoN-host in pgbackrest.conf), the repository host's
own facts (read there by audit_repository_info, fed to audit_info as `repositories`) replace what
the database host cannot see: its retention settings and its restore test status file.

pgBackRest's TLS server authorises clients per stanza (tls-server-auth=CN=stanza): `info` without
--stanza lists every stanza and is refused, so `info` always runs once per stanza of the configuration.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import socket
import subprocess

from ansible_collections.pgwarden.postgresql.plugins.module_utils.monitoring import health_collect as hcol

CONFIG_PATHS = ('/etc/pgbackrest/pgbackrest.conf', '/etc/pgbackrest.conf')
RESTORE_TEST_CONFIG = '/etc/pgwarden/restore-test.json'
REMOTE_TYPES = ('s3', 'gcs', 'azure', 'sftp', 'cifs')


# One reading of pgbackrest.conf for the audit and the health checks (health_collect is also copied onto hosts).
parse_pgbackrest_conf = hcol.parse_pgbackrest_conf
stanzas = hcol.stanza_names


def backup_layout(conf):
    """Off-host and retention facts of a parsed pgbackrest.conf; secrets never leave this function."""
    opts = dict(conf.get('global') or {})
    repos = sorted(set(re.match(r'^(repo\d+)-', k).group(1) for k in opts if re.match(r'^repo\d+-', k)) or ['repo1'],
                   key=lambda r: int(r[4:]))
    out = []
    for r in repos:
        host = opts.get(r + '-host')
        rtype = opts.get(r + '-type', 'posix')
        path = opts.get(r + '-path', '/var/lib/pgbackrest')
        out.append(dict(repo=r, off_host=bool(host) or rtype in REMOTE_TYPES, host=host, path=path,
                        location=host or (rtype if rtype != 'posix' else path),
                        retention_full=opts.get(r + '-retention-full')))
    return out


def read_config(params):
    """(path, parsed conf or None, not_visible) of the first pgbackrest.conf that exists."""
    for path in (params.get('pgbackrest_config'),) + CONFIG_PATHS:
        if path and os.path.exists(path):
            try:
                with open(path) as f:
                    return path, parse_pgbackrest_conf(f.read()), []
            except (IOError, OSError) as e:
                return path, None, ['pgBackRest configuration %s: %s (run with become)' % (path, e.strerror)]
    return None, None, []


def pgbackrest_info(command, config, names):
    """{'items': [...]} of `pgbackrest info` run once per stanza, or {'error': ...}; errors per stanza are kept."""
    exe = shutil.which(command or 'pgbackrest')
    if not exe:
        return dict(error='pgbackrest is not installed (%s not found)' % command)
    if not names:
        return dict(error='no stanza in the pgBackRest configuration %s' % (config or ''))
    items, errors = [], []
    for name in names:
        argv = [exe] + (['--config=%s' % config] if config else []) + ['--stanza=%s' % name, '--output=json', 'info']
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                  timeout=120, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            errors.append('stanza %s: %s' % (name, e))
            continue
        if proc.returncode != 0:
            errors.append('pgbackrest info --stanza=%s failed (rc=%d): %s'
                          % (name, proc.returncode, proc.stderr.strip()[-300:]))
            continue
        try:
            items.extend(hcol.parse_pgbackrest_info(json.loads(proc.stdout or '[]')))
        except (ValueError, KeyError, TypeError) as e:
            errors.append('stanza %s: unreadable info (%s)' % (name, e))
    out = dict(items=items)
    if errors:
        out['error'] = '; '.join(errors)
    return out


def restore_test_path(params):
    """The restore test status file: the option, else the one the restore test's own settings name."""
    if params.get('restore_test_status_file'):
        return params['restore_test_status_file']
    try:
        with open(params.get('restore_test_config') or RESTORE_TEST_CONFIG) as f:
            path = json.load(f).get('status_file')
        if isinstance(path, str) and path.startswith('/'):
            return path
    except (IOError, OSError, ValueError, AttributeError):
        pass
    return hcol.RESTORE_TEST_STATUS


def read_local(params):
    """(facts, not_visible): configuration, info per stanza and restore test status of this host."""
    path, conf, not_visible = read_config(params)
    facts = dict(pgbackrest_config=path, stanzas=stanzas(conf or {}), pgbackrest_repos=None)
    if conf is not None:
        facts['pgbackrest_repos'] = backup_layout(conf)
        facts['pgbackrest'] = pgbackrest_info(params.get('pgbackrest_command'), path, facts['stanzas'])
    else:
        facts['pgbackrest'] = dict(error='no pgBackRest configuration readable on this host')
    facts['restore_test'] = hcol.restore_test_status(restore_test_path(params))
    return facts, not_visible


def read_repository(params):
    """The facts of a repository host (audit_repository_info), with the names it is known by."""
    facts, not_visible = read_local(params)
    names = [n for n in (params.get('names') or []) if n]
    for n in (socket.gethostname(), socket.getfqdn()):
        if n and n not in names:
            names.append(n)
    facts['names'] = names
    return facts, not_visible


def _repository_for(host, repositories):
    for r in repositories or []:
        if host in (r.get('names') or []):
            return r
    return None


def _same_repo(mine, theirs):
    """The repository host's repository that a database host's repoN is (same path, else same number)."""
    by_path = [r for r in theirs if r.get('path') == mine.get('path')]
    if by_path:
        return by_path[0]
    same = [r for r in theirs if r['repo'] == mine['repo']]
    return same[0] if same else None


def _info_for(mine_stanzas, repo_info):
    items = [i for i in (repo_info or {}).get('items') or [] if i.get('stanza') in mine_stanzas]
    missing = [s for s in mine_stanzas if s not in [i.get('stanza') for i in items]]
    out = dict(items=items)
    if missing:
        out['error'] = 'stanza %s not found on the repository host (%s)' % (
            ', '.join(missing), (repo_info or {}).get('error') or 'no backup info')
    return out


def judge_where_they_are(facts, repositories):
    """The database host's backup facts, with those of its repository host where pgbackrest.conf names one
    of `repositories` (pure): info of its stanzas, retention and the restore test of that host."""
    repos = facts.get('pgbackrest_repos')
    if not repos or not repositories:
        return facts
    hosts = [r for r in repos if r.get('host')]
    there = [(r, _repository_for(r['host'], repositories)) for r in hosts]
    there = [(r, h) for r, h in there if h is not None]
    if not there:
        return facts
    out = dict(facts)
    repo_host = there[0][1]
    new_repos = []
    for r in repos:
        h = _repository_for(r.get('host'), repositories) if r.get('host') else None
        other = _same_repo(r, h.get('pgbackrest_repos') or []) if h else None
        r = dict(r)
        if other is not None and not r.get('retention_full') and other.get('retention_full') not in (None, ''):
            r['retention_full'] = str(other['retention_full'])
        new_repos.append(r)
    out['pgbackrest_repos'] = new_repos
    out['pgbackrest'] = _info_for(facts.get('stanzas') or [], repo_host.get('pgbackrest'))
    rt = dict(repo_host.get('restore_test') or {})
    doc = rt.get('status')
    if isinstance(doc, dict) and doc.get('stanza') not in (None, '') and doc.get('stanza') not in (facts.get('stanzas') or []):
        rt = dict(error='the restore test on %s is for stanza %s, not %s' % (
            there[0][0]['host'], doc.get('stanza'), ', '.join(facts.get('stanzas') or []) or 'none'))
    if rt.get('path'):
        rt['path'] = '%s:%s' % (there[0][0]['host'], rt['path'])
    out['restore_test'] = rt
    out['backup_judged_on'] = there[0][0]['host']
    return out
