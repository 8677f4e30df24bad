"""Print an Ansible inventory (YAML) for the running containers of a molecule scenario.

Hosts and groups come from molecule/SCENARIO/molecule.yml (platforms), with the podman connection;
group_vars and host_vars from its provisioner.inventory. For running playbooks by hand against a
converged scenario (failover drills, benchmarks/failover/run.py) and from verify tests.
Usage: .venv/bin/python scripts/molecule-inventory.py SCENARIO > inventory.yml
"""
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def inventory(scenario):
    with open(os.path.join(ROOT, 'molecule', scenario, 'molecule.yml')) as f:
        mol = yaml.safe_load(f)
    conn = dict(ansible_connection='podman', ansible_python_interpreter='/usr/bin/python3')
    inv = dict(all=dict(hosts={}, children={}))
    prov = (mol.get('provisioner') or {}).get('inventory') or {}
    host_vars = prov.get('host_vars') or {}
    for p in mol.get('platforms', []):
        inv['all']['hosts'][p['name']] = dict(conn, **(host_vars.get(p['name']) or {}))
        for g in p.get('groups', []):
            inv['all']['children'].setdefault(g, dict(hosts={}))['hosts'][p['name']] = None
    for g, gvars in (prov.get('group_vars') or {}).items():
        if g == 'all':
            inv['all']['vars'] = gvars
        else:
            inv['all']['children'].setdefault(g, dict(hosts={}))['vars'] = gvars
    return inv


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    yaml.safe_dump(inventory(sys.argv[1]), sys.stdout, sort_keys=False)
