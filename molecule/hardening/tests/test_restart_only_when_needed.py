"""Re-run the hardening role with changed parameters: a reload-only one must not restart the
server (pg_postmaster_start_time unchanged), one that needs a restart must."""

import json
import os
import subprocess

from test_hardening import psql

# The database hosts; the client container is a test tool.
testinfra_only = ['pgw-hardening-deb12', 'pgw-hardening-deb13']

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDLER = 'RUNNING HANDLER [pgwarden.postgresql.hardening : Restart PostgreSQL'


def reapply(name, settings):
    res = subprocess.run(['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], '--limit', 'pgw-hardening-client,' + name,
                          '-e', json.dumps(dict(hardening_settings=settings)),
                          os.path.join(SCENARIO, 'reapply.yml')],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert res.returncode == 0, res.stdout[-4000:]
    return res.stdout


def state(server, parameter):
    return psql(server, "SELECT pg_postmaster_start_time(), setting FROM pg_settings WHERE name = '%s'"
                % parameter)[0]


def test_reload_only_parameter_does_not_restart(name, server):
    started, work_mem = state(server, 'work_mem')
    wanted = '%dkB' % (int(work_mem) + 1024)
    try:
        out = reapply(name, {'work_mem': wanted})
        assert 'changed=1' in out.split('PLAY RECAP')[1].split(name)[1].splitlines()[0], out[-3000:]
        assert HANDLER not in out
        assert state(server, 'work_mem') == [started, str(int(work_mem) + 1024)]

        started, max_connections = state(server, 'max_connections')
        out = reapply(name, {'work_mem': wanted, 'max_connections': int(max_connections) + 1})
        assert HANDLER in out
        after = state(server, 'max_connections')
        assert after[1] == str(int(max_connections) + 1) and after[0] != started
    finally:
        for parameter in ('work_mem', 'max_connections'):
            psql(server, 'ALTER SYSTEM RESET %s' % parameter)
        version = psql(server, "SELECT current_setting('server_version_num')::int / 10000")[0][0]
        server.check_output('systemctl restart postgresql@%s-main', version)
