"""The runbooks and guides name only what exists: systemd units the roles install (or the
distribution's, by a version-free name), playbooks and tags of this collection, and the
collection's modules, roles and playbooks."""
import fnmatch
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = sorted(glob.glob(os.path.join(ROOT, 'docs', 'runbooks', '*.md')) + glob.glob(os.path.join(ROOT, 'docs', '*.md')))
# Units of Debian packages the runbooks may point at (the cluster unit by its template name).
DISTRIBUTION_UNITS = {'postgresql.service', 'postgresql@.service', 'prometheus-postgres-exporter.service',
                      'patroni.service', 'etcd.service'}
SYSTEMCTL = re.compile(r"systemctl\s+(?:start|stop|restart|reload|status|enable|disable|is-active|is-enabled|cat)"
                       r"((?:\s+(?:--\S+|'[^'\s]+'|[\w@.*{},-]+))+)")
JOURNAL_UNIT = re.compile(r"-u\s+'?([\w@.*{},-]+)'?")


def load(path):
    with open(os.path.join(ROOT, path)) as f:
        return yaml.safe_load(f)


def strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


def installed_units():
    units = set(DISTRIBUTION_UNITS)
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'vars', 'main.yml')):
        units.update(s for s in strings(load(path)) if re.match(r'^pgwarden-[\w@.-]+\.(service|timer)$', s))
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'templates', 'pgwarden-*.service.j2')):
        if 'job' not in os.path.basename(path):
            units.add(os.path.basename(path)[:-3])
    for job in load('roles/maintenance/vars/main.yml')['__maintenance_jobs']:
        units.update('pgwarden-%s.%s' % (job['name'], kind) for kind in ('service', 'timer'))
    unit = load('roles/monitoring/vars/main.yml')['__monitoring_unit']
    units.update((unit + '.service', unit + '.timer'))
    return units


def unit_exists(ref, units):
    """A unit reference (glob and {a,b} allowed, .service implied) names at least one known unit."""
    name = ref if re.search(r'\.(service|timer|target)$', ref) else ref + '.service'
    name = re.sub(r'\{[^}]*\}', '*', name)
    for unit in units:
        if fnmatch.fnmatch(unit, name):
            return True
        if '@.' in unit and re.fullmatch(re.escape(unit).replace('@\\.', '@[^.]*\\.'), name):
            return True  # an instance of a template unit
    return False


def referenced_units(text):
    refs = []
    for line in text.splitlines():
        for m in SYSTEMCTL.finditer(line):
            refs += [a.strip("'") for a in m.group(1).split() if not a.startswith('--')]
        if 'journalctl' in line:
            refs += JOURNAL_UNIT.findall(line.split('journalctl', 1)[1])
    return refs


def collection_names():
    names = set(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py')))
    names.update(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, 'roles', '*')))
    names.update(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')))
    # doc fragments (`extends_documentation_fragment: pgwarden.postgresql.connection`) and filters
    for kind in ('doc_fragments', 'filter'):
        names.update(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'plugins', kind, '*.py')))
    return names


def defined_tags():
    tags = set()
    for path in glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')) + glob.glob(os.path.join(ROOT, 'roles', '*', 'tasks', '*.yml')):
        text = open(path).read()
        for m in re.finditer(r'^\s*-?\s*tags:\s*(.+)$', text, re.M):
            tags.update(t.strip(' []"\'') for t in m.group(1).split(','))
    return tags


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: os.path.relpath(p, ROOT))
def test_doc_names_only_what_exists(doc):
    text = open(doc).read()
    units, names, tags = installed_units(), collection_names(), defined_tags()
    missing = [u for u in referenced_units(text) if not unit_exists(u, units)]
    assert not missing, 'units no role installs: %s' % missing
    versioned = re.findall(r'postgresql@\d+-\w+', text)
    assert not versioned, 'a version hard-coded in a unit name (use pg_lsclusters / postgresql@*): %s' % versioned
    for ref in re.findall(r'pgwarden\.postgresql\.(\w+)', text):
        assert ref in names, 'pgwarden.postgresql.%s is no module, role or playbook' % ref
    for m in re.finditer(r'ansible-playbook\s+(\S+)', text):
        target = m.group(1).strip('`')
        if target.endswith('.yml'):
            assert os.path.exists(os.path.join(ROOT, target)), target
    for tag in re.findall(r'--tags[ =]+([\w,-]+)', text):
        assert set(tag.split(',')) <= tags, '--tags %s: no such tag in the playbooks or roles' % tag


def test_the_checks_catch_what_issue_10_found():
    units = installed_units()
    assert not unit_exists('pgbackrest*', units - DISTRIBUTION_UNITS)
    assert unit_exists('pgwarden-backup@*', units) and unit_exists('pgwarden-backup@full.service', units)
    assert unit_exists('postgresql@*-main', units) and unit_exists('pgwarden-healthcheck', units)
    assert referenced_units("journalctl -u 'pgbackrest*' -u pgwarden-restore-test -n 50") == [
        'pgbackrest*', 'pgwarden-restore-test']
    assert referenced_units('systemctl status postgresql@15-main') == ['postgresql@15-main']
    # site.yml now tags every layer (issue 12), so --tags server is a real tag; a made-up one is still caught.
    assert {'server', 'backup', 'pgbouncer', 'haproxy'} <= defined_tags()
    assert 'servers' not in defined_tags()


def test_runbooks_name_the_playbooks_that_act():
    pitr = open(os.path.join(ROOT, 'docs', 'runbooks', 'point-in-time-restore.md')).read()
    assert 'playbooks/restore.yml' in pitr and 'ansible-playbook pgwarden.postgresql.restore ' in pitr
    assert 'restore_confirm=' in pitr
    index = open(os.path.join(ROOT, 'docs', 'runbooks', 'README.md')).read()
    for path in glob.glob(os.path.join(ROOT, 'docs', 'runbooks', '*.md')):
        if not path.endswith('README.md'):
            assert '(%s)' % os.path.basename(path) in index, 'README.md does not list ' + os.path.basename(path)


def test_every_runbook_the_alerts_link_exists():
    text = open(os.path.join(ROOT, 'roles', 'monitoring', 'vars', 'main.yml')).read()
    text += open(os.path.join(ROOT, 'roles', 'monitoring', 'templates', 'pgwarden.rules.yml.j2')).read()
    names = set(re.findall(r"runbook: ([\w-]+)", text)) | set(re.findall(r"/([a-z][a-z-]*)\.md", text))
    names |= set(re.findall(r"'\w+': '([\w-]+)'", text))  # the checks' runbooks outside the rules lists
    assert {'wal-archiving', 'failover', 'point-in-time-restore', 'slow-queries'} <= names
    for name in names:
        assert os.path.isfile(os.path.join(ROOT, 'docs', 'runbooks', name + '.md')), name
