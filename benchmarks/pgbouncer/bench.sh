#!/usr/bin/env bash
# pgbench TPS through PgBouncer (transaction pooling, SCRAM via auth_query, TLS both sides)
# next to a direct TLS connection to PostgreSQL, at the same number of clients.
#
# Builds one Debian 12 container (pgw-bench-pgbouncer) with the collection's server, tls and
# pgbouncer roles, fills a pgbench database, runs pgbench inside the container (loopback, so
# the network is not measured) and prints the figures side by side:
#   - steady: each client keeps its connection (the pooler's cost: one more hop);
#   - connect: a new connection per transaction (-C; what the pooler is for).
# Nothing is asserted. Usage (from the checkout root, as root):
#   benchmarks/pgbouncer/bench.sh [--clients 50] [--seconds 30] [--scale 10] [--keep]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
clients=50 seconds=30 scale=10 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
set -a; eval "$(scripts/podman-env.sh)"; set +a
VENV="${VENV:-$root/.venv}"
export PATH="$VENV/bin:$PATH"
ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"
export ANSIBLE_COLLECTIONS_PATH ANSIBLE_FORCE_COLOR=0
name=pgw-bench-pgbouncer
cache="${PGW_APT_CACHE:-/var/cache/pgwarden/apt}/deb12"
mkdir -p "$cache/partial"
podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
[ "$keep" = 1 ] || trap 'podman rm -f -t 0 "$name" >/dev/null 2>&1 || true' EXIT
podman run -d --name "$name" --systemd=always -v "$cache:/var/cache/apt/archives" \
  localhost/pgwarden-debian:12 /sbin/init >/dev/null
for _ in $(seq 60); do
  state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 1
done
inv=$(mktemp); trap 'rm -f "$inv"; [ "$keep" = 1 ] || podman rm -f -t 0 "$name" >/dev/null 2>&1 || true' EXIT
echo "$name ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3" > "$inv"
echo "converging $name (server, tls, pgbouncer roles) ..."
ansible-playbook -i "$inv" benchmarks/pgbouncer/site.yml > /tmp/pgw-bench-pgbouncer-converge.log 2>&1 \
  || { tail -40 /tmp/pgw-bench-pgbouncer-converge.log; exit 1; }

in_box() { podman exec -e PGPASSWORD='Bench-User-pw-2026!x' "$name" "$@"; }
direct="host=127.0.0.1 port=5432 dbname=bench user=bench sslmode=require"
pooled="host=127.0.0.1 port=6432 dbname=bench user=bench sslmode=require"
in_box pgbench -q -i -s "$scale" "$direct" >/dev/null 2>&1
run() {  # run LABEL CONNINFO [pgbench options] -> prints "tps"
  local out
  out=$(in_box pgbench -n -c "$clients" -j 2 -T "$seconds" "${@:2}" "$1" 2>&1) || { echo "$out" >&2; return 1; }
  echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1
}
echo "pgbench: $clients clients, 2 threads, ${seconds} s per run, scale $scale, TPC-B-like; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A tps
tps[steady_direct]=$(run "$direct")
tps[steady_pooled]=$(run "$pooled")
tps[connect_direct]=$(run "$direct" -C)
tps[connect_pooled]=$(run "$pooled" -C)
version=$(podman exec "$name" pgbouncer -V | head -1)
server=$(in_box psql -X -At "$direct" -c 'SHOW server_version')
printf '\n%s, PostgreSQL %s, both paths TLS (sslmode=require), SCRAM-SHA-256\n' "$version" "$server"
printf '%-44s %14s %14s %8s\n' "mode" "direct tps" "pgbouncer tps" "ratio"
for mode in steady connect; do
  d="${tps[${mode}_direct]}" p="${tps[${mode}_pooled]}"
  label=$([ "$mode" = steady ] && echo "steady (connections kept)" || echo "connect (-C, new connection per transaction)")
  printf '%-44s %14.1f %14.1f %8.2f\n' "$label" "$d" "$p" "$(awk -v p="$p" -v d="$d" 'BEGIN { print p / d }')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
