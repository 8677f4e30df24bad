"""Run playbooks/failover_drill.yml (and the other Patroni playbooks) against the loopback Patroni cluster.

Each member is an inventory host with the local connection; the libpq conninfo names 127.0.0.1 once per
member with the members' ports; killing the postmaster reads its pid from the member's data directory."""
import json
import os
import subprocess
import sys
import tempfile

import yaml

from patroniserver import API_PASSWORD, API_USER, SUPERUSER_PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def drill_vars(pc, **extra):
    names = [m.name for m in pc.members]
    v = dict(drill_members=names,
             drill_api_url=[m.api_url for m in pc.members], drill_api_username=API_USER,
             drill_api_password=API_PASSWORD, drill_api_validate_certs=False,
             drill_db_hosts=['127.0.0.1'] * len(names), drill_db_port=','.join(str(m.pg_port) for m in pc.members),
             drill_db_password=SUPERUSER_PASSWORD, drill_db_sslmode='disable', drill_ca_file='',
             drill_postgres_kill_command='kill -KILL $(head -1 %s/{{ __drill_leader_host }}/data/postmaster.pid)' % pc.root,
             drill_workdir=os.path.join(pc.root, 'drill'))
    v.update(extra)
    return v


def run_playbook(pc, playbook, extra_vars):
    """ansible-playbook PLAYBOOK against the cluster's members; returns (rc, output)."""
    inventory = dict(all=dict(
        vars=dict(ansible_connection='local', ansible_python_interpreter=sys.executable, ansible_become_method='su'),
        children=dict(postgresql=dict(hosts=dict((m.name, None) for m in pc.members)))))
    with tempfile.TemporaryDirectory(prefix='pgwarden-drill-') as tmp:
        inv, ev = os.path.join(tmp, 'inventory.yml'), os.path.join(tmp, 'vars.json')
        with open(inv, 'w') as f:
            yaml.safe_dump(inventory, f)
        with open(ev, 'w') as f:
            json.dump(extra_vars, f)
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_FORCE_COLOR='0')
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inv, '-e', '@' + ev,
               os.path.join(ROOT, 'playbooks', playbook)]
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return proc.returncode, proc.stdout
