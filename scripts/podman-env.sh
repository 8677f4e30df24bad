#!/usr/bin/env bash
# Print the environment podman needs on this host, one VAR=value a line, for
#   set -a; eval "$(scripts/podman-env.sh)"; set +a
# Prints nothing where podman works with its defaults (cgroup v2 host with usable
# ulimits); prints CONTAINERS_CONF=<repo>/.ci/containers.conf on cgroup v1/hybrid
# hosts or where the default ulimits exceed the hard limits.
# Cheap: only reads /sys and ulimit, never starts a container.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
conf="$root/.ci/containers.conf"

need=0
# cgroup v2 only ("unified") reports cgroup2fs; v1 and hybrid mount a tmpfs there.
[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] || need=1
# Rootful podman raises nofile and nproc of every container to 1048576 by default;
# without CAP_SYS_RESOURCE that fails when the hard limits are lower.
hn="$(ulimit -Hn)"; hu="$(ulimit -Hu)"
[ "$hn" = unlimited ] || [ "$hn" -ge 1048576 ] || need=1
[ "$hu" = unlimited ] || [ "$hu" -ge 1048576 ] || need=1

if [ "$need" = 1 ]; then
  echo "CONTAINERS_CONF=$conf"
fi
