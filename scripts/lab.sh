#!/usr/bin/env bash
# Local lab: two Debian hosts booted with systemd in podman containers, provisioned with
# playbooks/site.yml.   scripts/lab.sh up     (idempotent: re-run to re-apply)
#                       scripts/lab.sh down   (remove containers and network)
# State (inventory) lives in lab/.state/. Hosts: pgw-lab-db1 (Debian 12), pgw-lab-db2 (Debian 13).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
set -a; eval "$(scripts/podman-env.sh)"; set +a
VENV="${VENV:-$root/.venv}"
if [ -x "$VENV/bin/ansible-playbook" ]; then export PATH="$VENV/bin:$PATH"; fi
NET=pgw-lab
HOSTS=(pgw-lab-db1:12 pgw-lab-db2:13)
STATE="$root/lab/.state"
APT_CACHE="${PGW_APT_CACHE:-/var/cache/pgwarden/apt}"

start_host() {  # $1 name, $2 Debian major version
  local name="$1" v="$2"
  case "$(podman container inspect --format '{{.State.Running}}' "$name" 2>/dev/null || echo missing)" in
    true) return 0 ;;
    false) podman start "$name" >/dev/null ;;
    *) mkdir -p "$APT_CACHE/deb$v/partial"
       podman run -d --name "$name" --hostname "$name" --network "$NET" --systemd=always \
         --label pgwarden.lab=1 -v "$APT_CACHE/deb$v:/var/cache/apt/archives" \
         "localhost/pgwarden-debian:$v" /sbin/init >/dev/null ;;
  esac
  echo "lab: started $name (Debian $v)"
}

wait_booted() {  # systemd in the container reached running (or degraded)
  local name="$1" state=""
  for _ in $(seq 60); do
    state="$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
  echo "lab: $name did not boot (systemd: ${state:-no answer})" >&2; return 1
}

up() {
  scripts/build-images.sh 12 13
  scripts/podman-dns-check.sh
  ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"; export ANSIBLE_COLLECTIONS_PATH
  # podman exec with pipelining (scripts/connection_plugins/podman.py)
  export ANSIBLE_CONNECTION_PLUGINS="$PWD/scripts/connection_plugins" ANSIBLE_PIPELINING=True
  podman network exists "$NET" || podman network create "$NET" >/dev/null
  for h in "${HOSTS[@]}"; do start_host "${h%%:*}" "${h##*:}"; done
  for h in "${HOSTS[@]}"; do wait_booted "${h%%:*}"; done
  mkdir -p "$STATE"
  subnet="$(podman network inspect "$NET" --format '{{range .Subnets}}{{.Subnet}}{{end}}')"
  {
    echo "# Written by scripts/lab.sh; containers reached with podman exec."
    echo "postgresql:"
    echo "  hosts:"
    for h in "${HOSTS[@]}"; do echo "    ${h%%:*}:"; done
    echo "  vars:"
    echo "    ansible_connection: podman"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "    # The lab network may reach the servers over TLS with scram (hostssl only)."
    echo "    hardening_listen_addresses: ['*']"
    echo "    hardening_allowlist:"
    echo "      - {name: lab network, roles: [all], networks: ['$subnet']}"
    echo "    tls_server_ip_addresses: ['127.0.0.1']"
  } > "$STATE/inventory.yml"
  ansible-playbook -i "$STATE/inventory.yml" playbooks/site.yml
  cat <<MSG

Lab is up. Connect with:
  podman exec -it -u postgres pgw-lab-db1 psql      # Debian 12, PostgreSQL 15
  podman exec -it -u postgres pgw-lab-db2 psql      # Debian 13, PostgreSQL 17
  podman exec -it pgw-lab-db1 bash                  # a shell on the host
Re-apply:  scripts/lab.sh up     Inventory: lab/.state/inventory.yml
Remove:    scripts/lab.sh down
MSG
}

down() {
  for h in "${HOSTS[@]}"; do
    podman container exists "${h%%:*}" && podman rm -f -t 10 "${h%%:*}" >/dev/null && echo "lab: removed ${h%%:*}"
  done
  if podman network exists "$NET"; then podman network rm "$NET" >/dev/null; echo "lab: removed network $NET"; fi
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
