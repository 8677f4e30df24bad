"""Failover drill figures: run playbooks/failover_drill.yml N times per kind and print median/min/max
next to issue 11's targets, with the load average at the start and the end.

  .venv/bin/python benchmarks/failover/run.py --scenario site -n 3                     # a converged molecule scenario (the default)
  .venv/bin/python benchmarks/failover/run.py -i inventory.yml -n 3 --kinds host,postgres -e drill_writer_host=localhost
  .venv/bin/python benchmarks/failover/run.py -i lab/.state/inventory.yml --kinds switchover --router pgw-lab-repo:5000
  .venv/bin/python benchmarks/failover/run.py -i lab/.state/inventory.yml --kinds switchover -n 10 \
      -e drill_switchover_candidate=next --patroni-log        # round robin, then the members' Patroni logs

--patroni-log reads each member's Patroni journal since the series started (ansible, group postgresql,
become): Patroni's own ERROR/CRITICAL lines and "Can not fetch local timeline" messages fail the run;
lines of PostgreSQL (its stderr goes to the same journal) that say ERROR are counted and shown apart.

--router HOST:PORT sends the writer through the router's read-write port (roles/haproxy) instead of a
libpq list of the members: the figure is then what an application behind HAProxy sees, the seconds
during which its writes fail while the leader moves, with no change to the router's configuration.

Each run's JSON report is kept in --out (default benchmarks/failover/results/<timestamp>/); the summary
goes to summary.json there. Targets: host kill - ttl + loop_wait + 5 s to a writable leader; postgres
crash - 15 s; switchover - writes refused for at most 5 s; synchronous_mode - 0 lost commits.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def scenario_inventory(scenario, tmp):
    import importlib.util
    spec = importlib.util.spec_from_file_location('molinv', os.path.join(ROOT, 'scripts', 'molecule-inventory.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import yaml
    path = os.path.join(tmp, 'inventory.yml')
    with open(path, 'w') as f:
        yaml.safe_dump(mod.inventory(scenario), f)
    return path


def run_drill(inventory, kind, report, extra, env):
    playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    cmd = [playbook if os.path.exists(playbook) else 'ansible-playbook', '-i', inventory, os.path.join(ROOT, 'playbooks', 'failover_drill.yml'),
           '-e', 'drill_kind=%s' % kind, '-e', 'drill_report_path=%s' % report]
    for e in extra:
        cmd += ['-e', e]
    start = time.time()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.time() - start
    if proc.returncode != 0 or not os.path.exists(report):
        tail = (proc.stdout + proc.stderr)[-3000:]
        return None, took, tail
    with open(report) as f:
        return json.load(f), took, None


# Patroni's own lines start with its logging format's time stamp ('2026-12-07 19:46:05,306 ERROR: ...');
# PostgreSQL's lines in the same journal carry log_line_prefix ('2026-12-07 19:55:05.797 UTC [pid] ...').
PATRONI_BAD = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (ERROR|CRITICAL):|Can not fetch local timeline')


def split_log(lines):
    """(Patroni's ERROR/CRITICAL lines and local-timeline failures, the other lines: PostgreSQL's)."""
    bad = [line for line in lines if PATRONI_BAD.search(line)]
    return bad, [line for line in lines if not PATRONI_BAD.search(line)]


def patroni_log(inventory, since, env):
    """{member: [lines]}: ERROR lines and local-timeline failures in each member's Patroni journal since `since`."""
    adhoc = os.path.join(os.path.dirname(sys.executable), 'ansible')
    script = ("journalctl -u patroni --since @%d --no-pager -o cat | grep -E 'ERROR|Can not fetch local timeline' || true"
              % int(since))
    proc = subprocess.run([adhoc if os.path.exists(adhoc) else 'ansible', '-i', inventory, 'postgresql', '-b',
                           '-m', 'ansible.builtin.shell', '-a', script],
                          env=dict(env, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1'),
                          cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        hosts = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']
    except (ValueError, KeyError, IndexError):
        return {'(ansible)': ['could not read the journals: rc=%d %s' % (proc.returncode, (proc.stdout + proc.stderr)[-500:])]}
    return {h: ([l for l in r.get('stdout', '').splitlines() if l] if not r.get('failed') else [r.get('msg', 'failed')])
            for h, r in sorted(hosts.items())}


def summary(kind, reports):
    values = [r['target']['value_s'] for r in reports if r['target']['value_s'] is not None]
    return dict(kind=kind, metric=reports[0]['target']['metric'] if reports else None, runs=len(reports),
                values=values, median=statistics.median(values) if values else None,
                min=min(values) if values else None, max=max(values) if values else None,
                target=reports[0]['target']['limit_s'] if reports else None,
                lost=[r['lost'] for r in reports], synchronous=[r['synchronous_mode'] for r in reports],
                time_to_writable=[r['time_to_writable_s'] for r in reports],
                unavailable=[r['unavailable_s'] for r in reports],
                rejoin=[r.get('rejoin') for r in reports])


def _fmt(value):
    return '-' if value is None else '%.1f' % value


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument('-i', '--inventory')
    g.add_argument('--scenario', default='site',
                   help='a converged molecule scenario (scripts/molecule-inventory.py); default site')
    p.add_argument('-n', type=int, default=3)
    p.add_argument('--kinds', default='host,postgres,switchover')
    p.add_argument('-e', action='append', default=[], help='extra variables for the playbook')
    p.add_argument('--router', metavar='HOST:PORT',
                   help="write through the router's read-write port (HAProxy) instead of the members")
    p.add_argument('--patroni-log', action='store_true',
                   help="afterwards, read the members' Patroni journals since the start: any ERROR fails the run")
    p.add_argument('--out')
    args = p.parse_args()
    extra = list(args.e)
    if args.router:
        host, _sep, port = args.router.rpartition(':')
        if not host or not port.isdigit():
            p.error('--router must be HOST:PORT, got %r' % args.router)
        extra.append(json.dumps(dict(drill_db_hosts=[host], drill_db_port=int(port))))
    out = os.path.abspath(args.out or os.path.join(ROOT, 'benchmarks', 'failover', 'results', time.strftime('%Y%m%dT%H%M%S')))
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ)
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', subprocess.check_output(
        [os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip())
    env.setdefault('ANSIBLE_NOCOLOR', '1')
    # The lab's and molecule's connection: podman with pipelining (scripts/connection_plugins/podman.py)
    env.setdefault('ANSIBLE_CONNECTION_PLUGINS', os.path.join(ROOT, 'scripts', 'connection_plugins'))
    env.setdefault('ANSIBLE_PIPELINING', 'True')
    if 'CONTAINERS_CONF' not in env:  # podman kill/start of the lab's containers (scripts/podman-env.sh)
        for line in subprocess.check_output([os.path.join(ROOT, 'scripts', 'podman-env.sh')], text=True).splitlines():
            if '=' in line:
                key, value = line.split('=', 1)
                env[key.replace('export ', '').strip()] = value.strip().strip('"\'')
    tmp = tempfile.mkdtemp(prefix='pgwarden-failover-bench-')
    inventory = args.inventory or scenario_inventory(args.scenario, tmp)
    started = time.time()
    result = dict(started=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(started)), load_start=loadavg(),
                  nproc=os.cpu_count(), router=args.router, kinds=[], failures=[])
    for kind in args.kinds.split(','):
        reports = []
        for i in range(args.n):
            report_path = os.path.join(out, '%s-%d.json' % (kind, i + 1))
            load = loadavg()
            report, took, error = run_drill(inventory, kind, report_path, extra, env)
            if report is None:
                print('%s #%d FAILED after %.0f s (load %s):\n%s' % (kind, i + 1, took, load, error), flush=True)
                result['failures'].append(dict(kind=kind, run=i + 1, tail=error))
                continue
            reports.append(report)
            print('%s #%d: time_to_writable %s s, unavailable %s s, lost %d, sync %s, rejoin %s; playbook %.0f s, load %s'
                  % (kind, i + 1, report['time_to_writable_s'], report['unavailable_s'], report['lost'],
                     report['synchronous_mode'], report.get('rejoin'), took, load), flush=True)
        result['kinds'].append(summary(kind, reports))
    result['load_end'] = loadavg()
    if args.patroni_log:
        result['patroni_log'] = patroni_log(inventory, started, env)
    with open(os.path.join(out, 'summary.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print('\n%-11s %-19s %5s %8s %8s %8s %8s  %s' % ('kind', 'metric', 'runs', 'median', 'min', 'max', 'target', 'lost'))
    for s in result['kinds']:
        cells = [_fmt(s[k]) for k in ('median', 'min', 'max', 'target')]
        print('%-11s %-19s %5d %8s %8s %8s %8s  %s' % tuple([s['kind'], s['metric'], s['runs']] + cells + [s['lost']]))
    if args.router:
        print('writes went through the router %s (not to the members directly)' % args.router)
    if args.patroni_log:
        for member, lines in result['patroni_log'].items():
            patroni, postgres = split_log(lines)
            print("journal of %s's patroni.service since the start: %d Patroni ERROR/CRITICAL or local-timeline lines, "
                  '%d other lines naming ERROR (PostgreSQL\'s stderr)' % (member, len(patroni), len(postgres)))
            for line in (patroni + postgres)[:6]:
                print('    ' + line[:300])
    print('load average: %s at the start, %s at the end (%d cores); reports in %s'
          % (result['load_start'], result['load_end'], result['nproc'], out))
    bad_log = any(split_log(lines)[0] for lines in result.get('patroni_log', {}).values())
    return 1 if result['failures'] or bad_log else 0


if __name__ == '__main__':
    sys.exit(main())
