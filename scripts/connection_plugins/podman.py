# Test and lab tooling, not part of the collection's interface.
"""containers.podman's podman connection with pipelining, and optionally without podman exec.

Molecule's podman driver and scripts/lab.sh reach the containers with the connection
named ``podman``. With ``ANSIBLE_CONNECTION_PLUGINS`` pointing at this directory (set
by scripts/molecule.sh and scripts/lab.sh) that short name resolves to this class
before Ansible's redirect to ``containers.podman.podman``.

Pipelining: the upstream plugin sends a module with four ``podman exec`` calls (mkdir,
copy, chmod + run, rm) because it never passes ``-i`` to ``podman exec``, so the module
text given on stdin is lost and pipelining has to stay off. Passing ``-i`` when there is
input makes pipelining work: one ``podman exec`` per module run. On this machine a play
of 17 module runs took 19.7 s through the upstream plugin and 8.5 s through this one
(CONTRIBUTING.md, "Molecule speed").

nsenter (``PGW_PODMAN_NSENTER=1``, what scripts/lab.sh sets): one ``podman exec`` still
costs about 0.3 s of wall time (the podman client, conmon, runc), which is most of a task
that changes nothing. As root, a command can enter the container's namespaces directly
with ``nsenter`` (milliseconds): mount, UTS, IPC, network, PID and cgroup namespaces and
the container's root, the container's environment, and its capability bounding set
(``setpriv``), so a task has the same view and no more privilege than under podman exec.
What differs: the process is not moved into the container's cgroups. The container's PID,
ID and environment come from one ``podman inspect`` and are kept in a 0700 cache
directory; a cached entry is used only while that PID's cgroup still names the container's
ID (a restarted container gets a new PID and a new inspect). Not root, a remote user set,
or anything unexpected: the podman exec path above.
"""

import json
import os
import shlex
import subprocess

from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.utils.display import Display
from ansible_collections.containers.podman.plugins.connection import podman as upstream

DOCUMENTATION = upstream.DOCUMENTATION

display = Display()

# Linux capability numbers (capabilities(7)), as setpriv names them.
CAPABILITIES = (
    'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
    'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
    'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
    'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
    'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
    'checkpoint_restore')
CACHE_DIR = '/run/pgwarden-podman-nsenter'


def bounding_set(mask):
    """setpriv's --bounding-set argument for a CapBnd mask: all dropped, then the mask's capabilities kept."""
    names = [name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1]
    return ','.join(['-all'] + ['+' + name for name in names])


def nsenter_argv(pid, mask, env, argv):
    """The host command that runs argv inside the container whose init is pid."""
    return (['nsenter', '-t', str(pid), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', '--',
             'setpriv', '--bounding-set', bounding_set(mask), '--', 'env', '-i']
            + ['%s=%s' % item for item in sorted(env.items())] + list(argv))


class Connection(upstream.Connection):
    """``podman exec -i`` when Ansible pipes the module on stdin; nsenter when asked to and root."""

    has_pipelining = True

    def _nsenter_target(self):
        """(pid, capability mask, environment) of the running container, or None to use podman exec."""
        if os.environ.get('PGW_PODMAN_NSENTER') != '1' or os.geteuid() != 0 or self.user:
            return None
        name = str(self._container_id)
        cache = os.path.join(CACHE_DIR, name.replace('/', '_') + '.json')
        try:
            with open(cache) as f:
                entry = json.load(f)
            if self._still_running(entry):
                return entry['pid'], entry['mask'], entry['env']
        except (OSError, ValueError, KeyError):
            pass
        rc, out, err = self._podman('inspect', ['--format', '{{.Id}} {{.State.Pid}} {{json .Config.Env}}'])
        if rc != 0:
            display.vvv('nsenter: podman inspect failed (%s); podman exec instead' % to_native(err).strip(), host=name)
            return None
        try:
            cid, pid, env = to_native(out).strip().split(' ', 2)
            entry = dict(id=cid, pid=int(pid),
                         env=dict(e.split('=', 1) for e in json.loads(env) if '=' in e))
            with open('/proc/%d/status' % entry['pid']) as f:
                entry['mask'] = int([ln.split()[1] for ln in f if ln.startswith('CapBnd:')][0], 16)
        except (ValueError, IndexError, OSError):
            return None
        if entry['pid'] <= 0 or not self._still_running(entry):
            return None
        os.makedirs(CACHE_DIR, mode=0o700, exist_ok=True)
        tmp = '%s.%d' % (cache, os.getpid())
        with open(tmp, 'w') as f:
            json.dump(entry, f)
        os.replace(tmp, cache)
        return entry['pid'], entry['mask'], entry['env']

    @staticmethod
    def _still_running(entry):
        try:
            with open('/proc/%d/cgroup' % entry['pid']) as f:
                return entry['id'] in f.read()
        except OSError:
            return False

    def _connect(self):
        # The container's filesystem is mounted (podman mount) only when a file is transferred.
        self._connected = True
        self._mount_point = None

    def _ensure_mount(self):
        if getattr(self, '_mounted', False):
            return
        upstream.Connection._connect(self)
        self._mounted = True

    def put_file(self, in_path, out_path):
        self._ensure_mount()
        return super().put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        self._ensure_mount()
        return super().fetch_file(in_path, out_path)

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if not self._connected:
            self._connect()
        argv = shlex.split(to_native(cmd, errors='surrogate_or_strict'))
        target = self._nsenter_target()
        if target is not None:
            local = [to_bytes(a, errors='surrogate_or_strict') for a in nsenter_argv(*target, argv=argv)]
            display.vvv('NSENTER %s' % local, host=self._container_id)
            p = subprocess.Popen(local, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stdout, stderr = p.communicate(input=in_data)
            return p.returncode, stdout, stderr
        args = ['exec', '-i'] if in_data is not None else ['exec']
        if self.user:
            args.extend(('--user', self.user))
        return self._podman(args, argv, in_data)
