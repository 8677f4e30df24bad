#!/usr/bin/env bash
# Run `molecule test` for each scenario given (default: access): one after the other,
# or PGW_MOLECULE_JOBS at a time.
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
# Each container mounts its own apt cache $PGW_APT_CACHE/hosts/<name> (apt locks its cache for a
# whole install, and members of a scenario, or two scenarios, install at the same moment): seeded
# with hard links from the shared cache of its release before the run, and what it downloaded is
# linked back after (scripts/apt-cache.py).
apt_cache() { "$(command -v "$VENV/bin/python" || command -v python3)" scripts/apt-cache.py "$@"; }
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}" PY_COLORS="${PY_COLORS:-0}"
# The podman connection with pipelining (scripts/connection_plugins/podman.py): one podman exec
# per task instead of four, about half the wall time of a converge.
export ANSIBLE_CONNECTION_PLUGINS="$root/scripts/connection_plugins" ANSIBLE_PIPELINING=True

scenarios=("$@"); [ "${#scenarios[@]}" -gt 0 ] || scenarios=(access)
# Every scenario reaches its hosts by container name: prove name resolution works first.
scripts/podman-dns-check.sh

# PGW_MOLECULE_JOBS=N runs up to N scenarios at once (each on its own network and
# containers); their output goes to $PGW_MOLECULE_LOGS/<scenario>.log and is printed whole
# when the scenario ends, so the CI log reads one scenario at a time.
jobs="${PGW_MOLECULE_JOBS:-1}"
logs="${PGW_MOLECULE_LOGS:-$root/build/molecule-logs}"
run_one() {  # $1 scenario; prints its own result line
  local s="$1" start=$SECONDS
  echo "=== molecule ${MOLECULE_CMD:-test} -s $s ($(date +%T))"
  apt_cache seed "$s"
  if molecule "${MOLECULE_CMD:-test}" -s "$s"; then
    apt_cache keep "$s"; echo "=== $s: passed in $((SECONDS - start)) s"
  else
    apt_cache keep "$s"; echo "=== $s: FAILED after $((SECONDS - start)) s"; return 1
  fi
}
rc=0
results=()
# The end of the output is what a CI page shows: repeat every scenario's result there, and for
# a failed one the lines that say why (failed tasks, pytest failures), so a cut log still tells.
# Molecule looks for a scenario named default (shared state) and, there being none, logs
# "CRITICAL 'molecule/default/molecule.yml' glob failed" and goes on: never a reason.
summary() {
  local r s
  echo "=== results: ${results[*]}"
  for r in "${results[@]}"; do
    [ "${r#*=}" = FAILED ] || continue
    s="${r%%=*}"
    echo "=== why $s failed (from $logs/$s.log):"
    grep -E '^(fatal:|failed:|FAILED |ERROR |E  |CRITICAL)|\] FAILED|short test summary|Failed:|\] Executed: Failed' \
      "$logs/$s.log" | grep -vE "RETRYING|'molecule/default/molecule\.yml' glob failed" | tail -n 40 || true
  done
}
mkdir -p "$logs"
if [ "$jobs" -le 1 ] || [ "${#scenarios[@]}" -le 1 ]; then
  for s in "${scenarios[@]}"; do
    if run_one "$s" 2>&1 | tee "$logs/$s.log"; then results+=("$s=passed"); else results+=("$s=FAILED"); rc=1; fi
  done
  summary
  exit "$rc"
fi
declare -A pid_of=()
finish() {  # wait for any one scenario, print its log, record its status
  local done_pid s st=0
  wait -n -p done_pid || st=$?
  for s in "${!pid_of[@]}"; do
    if [ "${pid_of[$s]}" = "$done_pid" ]; then
      cat "$logs/$s.log"; unset "pid_of[$s]"
      if [ "$st" -eq 0 ]; then results+=("$s=passed"); else results+=("$s=FAILED"); rc=1; fi
    fi
  done
}
start_all=$SECONDS
for s in "${scenarios[@]}"; do
  while [ "${#pid_of[@]}" -ge "$jobs" ]; do finish; done
  echo "=== started $s ($(date +%T)); output in $logs/$s.log"
  run_one "$s" > "$logs/$s.log" 2>&1 &
  pid_of[$s]=$!
done
while [ "${#pid_of[@]}" -gt 0 ]; do finish; done
echo "=== all scenarios (${scenarios[*]}), $jobs at a time: $((SECONDS - start_all)) s, rc=$rc"
summary
exit "$rc"
