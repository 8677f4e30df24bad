#!/usr/bin/env bash
# Install the built collection as a user would, with ansible-core alone: into an empty
# collections path, together with the dependencies galaxy.yml declares (nothing else), resolved
# offline from the collections the `ansible` package ships (their directories in site-packages). Then run a playbook from a directory outside the checkout that uses
# only FQCNs: a module of the collection (hba, no server needed) and the tls role's private CA
# tasks (community.crypto). Fails when a dependency is missing or undeclared.
# Usage: scripts/install-check.sh build/dist/pgwarden-postgresql-X.tar.gz
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
artifact="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
python="$(command -v python3)"
[ -x "$root/.venv/bin/python" ] && python="$root/.venv/bin/python"
[ -n "${VIRTUAL_ENV:-}" ] && python="$VIRTUAL_ENV/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Every FQCN the roles and playbooks use belongs to ansible.builtin, this collection or a declared dependency.
mapfile -t declared < <(tar -xzOf "$artifact" MANIFEST.json | "$python" -c \
  'import json, sys; print("\n".join(json.load(sys.stdin)["collection_info"]["dependencies"]))')
mapfile -t used < <(grep -rhoE '^\s*-?\s*[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+:' "$root/roles" "$root/playbooks" \
  | sed -E 's/^[[:space:]-]*//; s/:$//' | cut -d. -f1,2 | sort -u)
for c in "${used[@]}"; do
  case " ansible.builtin pgwarden.postgresql ${declared[*]} " in
    *" $c "*) ;;
    *) echo "install-check: the content uses $c, which galaxy.yml does not declare"; exit 1 ;;
  esac
done

# 2. The declared dependencies, from the collections the ansible package ships (installed directories).
shipped="$("$python" -c 'import ansible_collections, os; print(os.path.dirname(ansible_collections.__file__) if ansible_collections.__file__ else list(ansible_collections.__path__)[0])')"
deps=()
for c in "${declared[@]}"; do
  src="$shipped/${c%%.*}/${c#*.}"
  [ -f "$src/MANIFEST.json" ] || { echo "install-check: $c is not shipped in $shipped"; exit 1; }
  deps+=("$src")
done
mkdir "$work/collections"
ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false ANSIBLE_COLLECTIONS_PATH="$work/collections" \
  ansible-galaxy collection install --offline -p "$work/collections" "$artifact" "${deps[@]}" >/dev/null
echo "install-check: installed $(basename "$artifact") with: ${declared[*]:-no dependencies}"

# 3. A playbook outside the checkout, FQCNs only, seeing only that collections path.
mkdir "$work/play"
cat > "$work/play/play.yml" <<'YAML'
- name: The installed collection works with its declared dependencies only
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    out: "{{ playbook_dir }}/out"
    tls_directory: "{{ out }}/tls"
  tasks:
    - name: A module of the collection
      pgwarden.postgresql.hba:
        path: "{{ out }}/pg_hba.conf"
        validate: local
        rules:
          - {type: local, database: all, user: postgres, method: peer}
          - {type: hostssl, database: app, user: app, address: 10.0.0.0/8, method: scram-sha-256}
    - name: The tls role's private CA (community.crypto)
      ansible.builtin.include_role:
        name: pgwarden.postgresql.tls
        tasks_from: private.yml
    - name: The server certificate verifies against the CA
      ansible.builtin.command:
        argv: [openssl, verify, -CAfile, "{{ tls_directory }}/ca.crt", "{{ tls_directory }}/server.crt"]
      changed_when: false
    - name: Stop here (the role's reload handler needs a PostgreSQL service)
      ansible.builtin.meta: end_play
YAML
mkdir -p "$work/play/out/tls/clients"
(cd "$work/play" && env -u ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
  ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_NOCOLOR=1 \
  ansible-playbook -i localhost, play.yml > "$work/play.log" 2>&1) || { cat "$work/play.log"; exit 1; }
grep -q '^hostssl' "$work/play/out/pg_hba.conf" || { echo "install-check: no pg_hba.conf written"; exit 1; }
grep -q 'failed=0' "$work/play.log" || { cat "$work/play.log"; exit 1; }
echo "install-check: a playbook outside the checkout ran the hba module and the tls role: ok"
