#!/usr/bin/env bash
# Run `molecule test` for each scenario given (default: default), one after the other.
# Sets up what every scenario needs: podman's environment on this host, the collection
# path (pgwarden.postgresql -> this checkout) and the host apt cache dirs the containers
# mount at /var/cache/apt/archives. Usage: scripts/molecule.sh [SCENARIO...]
# MOLECULE_CMD=converge (or verify, destroy, ...) runs another molecule command instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
set -a; eval "$(scripts/podman-env.sh)"; set +a
VENV="${VENV:-$root/.venv}"
if [ -x "$VENV/bin/ansible-playbook" ]; then export PATH="$VENV/bin:$PATH"; fi
ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"
export ANSIBLE_COLLECTIONS_PATH
export PGW_APT_CACHE="${PGW_APT_CACHE:-/var/cache/pgwarden/apt}"
mkdir -p "$PGW_APT_CACHE/deb12/partial" "$PGW_APT_CACHE/deb13/partial"
# The cluster scenario's three members install at the same moment: one cache each (apt locks its cache
# directory for the whole install), seeded with hard links to the shared cache's packages.
for m in 1 2 3; do
  mkdir -p "$PGW_APT_CACHE/deb12-cluster-$m/partial"
  find "$PGW_APT_CACHE/deb12" -maxdepth 1 -name '*.deb' -exec cp -nl -t "$PGW_APT_CACHE/deb12-cluster-$m/" {} + 2>/dev/null || true
done
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}" PY_COLORS="${PY_COLORS:-0}"

scenarios=("$@"); [ "${#scenarios[@]}" -gt 0 ] || scenarios=(default)
# Every scenario reaches its hosts by container name: prove name resolution works first.
scripts/podman-dns-check.sh
rc=0
for s in "${scenarios[@]}"; do
  start=$SECONDS
  echo "=== molecule ${MOLECULE_CMD:-test} -s $s"
  if molecule "${MOLECULE_CMD:-test}" -s "$s"; then
    echo "=== $s: passed in $((SECONDS - start)) s"
  else
    echo "=== $s: FAILED after $((SECONDS - start)) s"; rc=1
  fi
done
exit "$rc"
