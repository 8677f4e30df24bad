#!/usr/bin/env bash
# Local lab: the whole production site in podman containers with systemd, provisioned by the real
# playbooks/site.yml, then described by playbooks/report.yml.
#   scripts/lab.sh up       create (or restart) the containers, converge, print the report; re-run to re-apply:
#                           a second run must change nothing, and says so (PLAY RECAP, wall times)
#   scripts/lab.sh report   only the report (read-only)
#   scripts/lab.sh down     remove the containers, the network and lab/.state/
# Hosts (Debian 12): pgw-lab-db1..3 (groups postgresql, patroni, pgbouncer: PostgreSQL + Patroni + etcd +
# PgBouncer), pgw-lab-repo (groups pgbackrest_repo, haproxy: pgBackRest repository host + router).
# State: lab/.state/ (inventory.yml, group_vars/all/secrets.yml 0600, converge logs and times).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
set -a; eval "$(scripts/podman-env.sh)"; set +a
VENV="${VENV:-$root/.venv}"
if [ -x "$VENV/bin/ansible-playbook" ]; then export PATH="$VENV/bin:$PATH"; fi
NET=pgw-lab
DB_HOSTS=(pgw-lab-db1 pgw-lab-db2 pgw-lab-db3)
REPO_HOST=pgw-lab-repo
HOSTS=("${DB_HOSTS[@]}" "$REPO_HOST")
DEBIAN=12  # pgBackRest must be the same version on the repository host and the members
STATE="$root/lab/.state"
APT_CACHE="${PGW_APT_CACHE:-/var/cache/pgwarden/apt}"
export PGW_APT_CACHE="$APT_CACHE"
apt_cache() { "$(command -v "$VENV/bin/python" || command -v python3)" scripts/apt-cache.py "$@"; }

created=0
start_host() {  # $1 name; each container has its own apt cache (apt locks it for a whole install)
  local name="$1"
  case "$(podman container inspect --format '{{.State.Running}}' "$name" 2>/dev/null || echo missing)" in
    true) return 0 ;;
    false) podman start "$name" >/dev/null ;;
    *) podman run -d --name "$name" --hostname "$name" --network "$NET" --systemd=always \
         --label pgwarden.lab=1 -v "$APT_CACHE/hosts/$name:/var/cache/apt/archives" \
         "localhost/pgwarden-debian:$DEBIAN" /sbin/init >/dev/null
       created=$((created + 1)) ;;
  esac
  echo "lab: started $name (Debian $DEBIAN)"
}

wait_booted() {  # systemd in the container reached running (or degraded)
  local name="$1" state=""
  for _ in $(seq 90); do
    state="$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
  echo "lab: $name did not boot (systemd: ${state:-no answer})" >&2; return 1
}

secrets() {  # generated once, never printed; re-used on every run
  local f="$STATE/group_vars/all/secrets.yml"
  mkdir -p "$STATE/group_vars/all"; chmod 0700 "$STATE"
  [ -s "$f" ] && return 0
  (umask 077; python3 - "$f" <<'PY'
import datetime, secrets, sys
names = ['patroni_superuser_password', 'patroni_replication_password', 'patroni_rewind_password',
         'patroni_restapi_password', 'etcd_root_password', 'etcd_patroni_password', 'pgbackrest_cipher_pass',
         'pgbackrest_repo2_cipher_pass', 'pgbackrest_pg_dump_passphrase', 'pgbouncer_auth_password']
with open(sys.argv[1], 'w') as f:
    f.write('---\n# Lab secrets, generated once by scripts/lab.sh (mode 0600). A real site keeps them in Ansible Vault.\n')
    for n in names:
        f.write('%s: "%s"\n' % (n, secrets.token_urlsafe(24)))
    # The application login of the access model (password policy: 16+ characters, 3 classes; VALID UNTIL ahead).
    f.write('lab_app_password: "%sAa1-"\n' % secrets.token_urlsafe(24))
    f.write('lab_app_valid_until: "%s"\n' % (datetime.date.today() + datetime.timedelta(days=300)).isoformat())
PY
  )
  echo "lab: generated the lab secrets in $f (mode 0600)"
}

inventory() {  # $1 the lab network's subnet
  local subnet="$1" h
  {
    echo "---"
    echo "# Written by scripts/lab.sh on every run; secrets in group_vars/all/secrets.yml (0600)."
    echo "all:"
    echo "  vars:"
    echo "    ansible_connection: podman"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "  children:"
    for g in postgresql patroni pgbouncer; do
      echo "    $g:"; echo "      hosts:"
      for h in "${DB_HOSTS[@]}"; do echo "        $h:"; done
    done
    for g in pgbackrest_repo haproxy; do
      echo "    $g:"; echo "      hosts:"; echo "        $REPO_HOST:"
    done
  } > "$STATE/inventory.yml"
  # The site's variables; every host may read them (the roles pick theirs).
  sed "s|@SUBNET@|$subnet|g" lab/site-vars.yml > "$STATE/group_vars/all/site.yml"
}

recap() {  # $1 log of an ansible-playbook run: the PLAY RECAP lines and whether anything changed
  local log="$1"
  sed -n '/^PLAY RECAP/,/^$/p' "$log" | sed '/^$/d'
  awk '/^PLAY RECAP/ {r=1; next} r && /changed=/ {
         for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, a, "="); if (a[2] + 0 > 0) { c += a[2]; hosts = hosts " " $1 } }
         n++ }
       END { if (n == 0) print "lab: no PLAY RECAP found";
             else if (c == 0) printf "lab: nothing changed (changed=0 on all %d hosts)\n", n;
             else printf "lab: %d changes, on:%s\n", c, hosts }' "$log"
}

converge() {
  local start end secs log load_start load_end first_file="$STATE/first-converge" kind
  log="$STATE/converge-$(date +%Y%m%dT%H%M%S).log"
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  start="$(date +%s.%N)"
  set +e
  ansible-playbook -i "$STATE/inventory.yml" playbooks/site.yml 2>&1 | tee "$log"
  local rc="${PIPESTATUS[0]}"
  set -e
  end="$(date +%s.%N)"
  load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
  secs="$(python3 -c "print(round($end - $start, 1))")"
  if [ "$rc" -ne 0 ]; then
    echo "lab: site.yml FAILED (rc=$rc) after $secs s; log: $log" >&2
    return "$rc"
  fi
  kind=re-converge
  if [ "$created" -eq "${#HOSTS[@]}" ] || [ ! -s "$first_file" ]; then
    kind=first
    echo "$secs $(date -u +%FT%TZ) load $load_start -> $load_end" > "$first_file"
  fi
  echo "$secs $(date -u +%FT%TZ) load $load_start -> $load_end ($kind, nsenter=${PGW_PODMAN_NSENTER:-0})" >> "$STATE/converge-times"
  echo
  echo "=== lab converge summary"
  recap "$log"
  echo "lab: this converge ($kind): $secs s (load average $load_start at start, $load_end at end)"
  read -r first_secs first_rest < "$first_file"
  echo "lab: first converge: $first_secs s ($first_rest)"
  if [ "$kind" != first ]; then
    python3 -c "print('lab: this converge took %.0f%% of the first one\'s wall time' % (100.0 * $secs / $first_secs))"
  fi
}

report() {
  ansible-playbook -i "$STATE/inventory.yml" playbooks/report.yml -e report_user=app_user -e report_dbname=app
}

restore_test_once() {  # a new lab runs the monthly restore test once, so the report has its status
  echo "lab: running the restore test once on $REPO_HOST (pgwarden-restore-test.service; its timer runs it monthly)"
  podman exec "$REPO_HOST" systemctl start pgwarden-restore-test.service ||
    echo "lab: the restore test failed: podman exec $REPO_HOST journalctl -u pgwarden-restore-test" >&2
}

fetch_ca() {  # the site's CA, for clients on this machine (sslrootcert)
  podman cp "${DB_HOSTS[0]}:/etc/postgresql/pgwarden-tls/ca.crt" "$STATE/ca.crt" 2>/dev/null || true
}

up() {
  scripts/build-images.sh "$DEBIAN"
  scripts/podman-dns-check.sh
  ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"; export ANSIBLE_COLLECTIONS_PATH
  # podman exec with pipelining (scripts/connection_plugins/podman.py); as root, nsenter instead of
  # podman exec (PGW_PODMAN_NSENTER=0 to compare): milliseconds instead of ~0.3 s per task and host
  export ANSIBLE_CONNECTION_PLUGINS="$PWD/scripts/connection_plugins" ANSIBLE_PIPELINING=True
  export PGW_PODMAN_NSENTER="${PGW_PODMAN_NSENTER:-1}"
  export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"
  # The slowest tasks at the end of each converge log (what a re-converge spends its time on).
  export ANSIBLE_CALLBACKS_ENABLED="${ANSIBLE_CALLBACKS_ENABLED:-ansible.posix.profile_tasks}"
  podman network exists "$NET" || podman network create "$NET" >/dev/null
  local args=() h
  for h in "${HOSTS[@]}"; do args+=("$h:$DEBIAN"); done
  apt_cache seed "${args[@]}"
  for h in "${HOSTS[@]}"; do start_host "$h"; done
  for h in "${HOSTS[@]}"; do wait_booted "$h"; done
  mkdir -p "$STATE"
  [ "$created" -eq "${#HOSTS[@]}" ] && rm -f "$STATE/first-converge"
  secrets
  inventory "$(podman network inspect "$NET" --format '{{range .Subnets}}{{.Subnet}}{{end}}')"
  local rc=0
  converge || rc=$?
  apt_cache keep "${args[@]}"
  [ "$rc" -eq 0 ] || exit "$rc"
  [ "$created" -eq "${#HOSTS[@]}" ] && restore_test_once
  fetch_ca
  report
  cat <<MSG

Lab is up (inventory: lab/.state/inventory.yml). A shell or psql on a member:
  podman exec -it pgw-lab-db1 bash
  podman exec -it -u postgres pgw-lab-db1 psql      # the local member (leader or replica)
Through the router from inside the lab network (verify-full), e.g. from pgw-lab-db1:
  podman exec -it pgw-lab-db1 psql "host=pgw-lab-repo port=5000 dbname=app user=app_user sslmode=verify-full sslrootcert=/etc/postgresql/pgwarden-tls/ca.crt"
  (app_user's password: lab_app_password in lab/.state/group_vars/all/secrets.yml; port 5001 = replicas,
   host=pgw-lab-db1 port=6432 = PgBouncer on a member)
Re-apply:  scripts/lab.sh up     Report only: scripts/lab.sh report     Remove: scripts/lab.sh down
MSG
}

down() {
  local h
  for h in "${HOSTS[@]}"; do
    if podman container exists "$h"; then podman rm -f -t 10 "$h" >/dev/null && echo "lab: removed $h"; fi
  done
  if podman network exists "$NET"; then podman network rm "$NET" >/dev/null; echo "lab: removed network $NET"; fi
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  report)
    ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"; export ANSIBLE_COLLECTIONS_PATH
    export ANSIBLE_CONNECTION_PLUGINS="$PWD/scripts/connection_plugins" ANSIBLE_PIPELINING=True
    export PGW_PODMAN_NSENTER="${PGW_PODMAN_NSENTER:-1}"
    report ;;
  down) down ;;
  *) echo "usage: $0 up|report|down" >&2; exit 2 ;;
esac; exit  # on the same line: bash never reads this file again, so editing it during a run is safe
