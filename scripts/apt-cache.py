"""Per-container apt caches for the molecule scenarios.

apt holds a lock on its archives directory for a whole install, so containers that install at
the same moment (the members of one scenario, or two scenarios run in parallel) must not share
one. Each platform mounts $PGW_APT_CACHE/hosts/<name>; `seed` fills it with hard links to the
packages already in the shared cache of its Debian release ($PGW_APT_CACHE/debNN), and `keep`
hard-links what the run downloaded back into the shared cache for the next scenario or run.

Usage: python scripts/apt-cache.py seed|keep SCENARIO...
       python scripts/apt-cache.py seed|keep NAME:MAJOR...   (containers outside molecule, e.g. the lab:
                                                           pgw-lab-db1:12 uses hosts/pgw-lab-db1 and deb12)
"""
import os
import re
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def platforms(scenario):
    with open(os.path.join(ROOT, 'molecule', scenario, 'molecule.yml')) as f:
        spec = yaml.safe_load(f)
    for p in spec.get('platforms', []):
        m = re.search(r':(\d+)$', p.get('image', ''))
        if m:
            yield p['name'], 'deb' + m.group(1)


def containers(arg):
    """(name, release) of a scenario's platforms, or of one NAME:MAJOR container (scripts/lab.sh)."""
    m = re.match(r'^([A-Za-z0-9][A-Za-z0-9_.-]*):(\d+)$', arg)
    if m:
        return [(m.group(1), 'deb' + m.group(2))]
    return list(platforms(arg))


def link_all(src, dst):
    """Hard-link every .deb of src into dst that dst lacks; returns how many."""
    n = 0
    for name in os.listdir(src):
        if name.endswith('.deb') and not os.path.exists(os.path.join(dst, name)):
            try:
                os.link(os.path.join(src, name), os.path.join(dst, name))
                n += 1
            except FileExistsError:
                pass
    return n


def main(argv):
    if len(argv) < 2 or argv[0] not in ('seed', 'keep'):
        sys.exit(__doc__)
    base = os.environ.get('PGW_APT_CACHE', '/var/cache/pgwarden/apt')
    for arg in argv[1:]:
        for name, release in containers(arg):
            shared, own = os.path.join(base, release), os.path.join(base, 'hosts', name)
            for d in (shared, own):
                os.makedirs(os.path.join(d, 'partial'), exist_ok=True)
            if argv[0] == 'seed':
                link_all(shared, own)
            else:
                link_all(own, shared)


if __name__ == '__main__':
    main(sys.argv[1:])
