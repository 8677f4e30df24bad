#!/usr/bin/env bash
# Exercise playbooks/backup.yml, restore_drill.yml and restore.yml (point-in-time restore of the
# live server, refused without restore_confirm) against the converged molecule host
# pgw-backup-deb12. Usage:
#   MOLECULE_CMD=converge scripts/molecule.sh backup && scripts/backup-playbooks-check.sh
#   MOLECULE_CMD=destroy scripts/molecule.sh backup
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
set -a; eval "$(scripts/podman-env.sh)"; set +a
VENV="${VENV:-$root/.venv}"
export PATH="$VENV/bin:$PATH" ANSIBLE_PIPELINING=true
ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"; export ANSIBLE_COLLECTIONS_PATH
H=pgw-backup-deb12
inv="$(mktemp)"; trap 'rm -f "$inv"' EXIT
printf '[postgres]\n%s ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3\n' "$H" > "$inv"
psql() { podman exec "$H" runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
archive() { podman exec "$H" runuser -u postgres -- pgbackrest --stanza=main check; }

ansible-playbook -i "$inv" playbooks/backup.yml -e backup_type=diff | grep -E '"msg"|failed='
psql "CREATE TABLE IF NOT EXISTS restore_probe (id int primary key)"
psql "INSERT INTO restore_probe VALUES (1), (2), (3) ON CONFLICT DO NOTHING"; archive
ansible-playbook -i "$inv" playbooks/restore_drill.yml | grep -E '"msg"|failed='

psql "DROP TABLE IF EXISTS pb"; psql "CREATE TABLE pb (id int)"; psql "INSERT INTO pb SELECT generate_series(1, 5)"
sleep 1.1; T="$(psql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")"; sleep 1.1
psql "INSERT INTO pb SELECT generate_series(6, 9)"; archive
if ansible-playbook -i "$inv" playbooks/restore.yml -e "restore_target_time='$T'" >/dev/null 2>&1; then
  echo "FAIL: restore.yml ran without restore_confirm"; exit 1
fi
echo "restore.yml refused without restore_confirm"
ansible-playbook -i "$inv" playbooks/restore.yml -e "restore_target_time='$T'" -e "restore_confirm=$H" | grep -E '"msg"|failed='
rows="$(psql 'SELECT count(*), max(id) FROM pb')"
[ "$rows" = "5|5" ] || { echo "FAIL: after the restore to $T: $rows rows|max, expected 5|5"; exit 1; }
echo "PASS: restored to $T, rows|max = $rows"
