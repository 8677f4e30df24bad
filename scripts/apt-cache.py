"""Per-container apt caches for the molecule scenarios.

apt holds a lock on its archives directory for a whole install, so containers that install at
the same moment (the members of one scenario, or two scenarios run in parallel) must not share
one. Each platform mounts $PGW_APT_CACHE/hosts/<name>; `seed` fills it with hard links to the
packages already in the shared cache of its Debian release ($PGW_APT_CACHE/debNN), and `keep`
hard-links what the run downloaded back into the shared cache for the next scenario or run.

Usage: python scripts/apt-cache.py seed|keep SCENARIO...
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
    for scenario in argv[1:]:
        for name, release in platforms(scenario):
            shared, own = os.path.join(base, release), os.path.join(base, 'hosts', name)
            for d in (shared, own):
                os.makedirs(os.path.join(d, 'partial'), exist_ok=True)
            if argv[0] == 'seed':
                link_all(shared, own)
            else:
                link_all(own, shared)


if __name__ == '__main__':
    main(sys.argv[1:])
