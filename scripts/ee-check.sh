#!/usr/bin/env bash
# Check the execution-environment metadata: `ansible-builder create` (build context only, no image)
# for an EE definition that installs the built artifact, and `ansible-builder introspect` of the
# installed collection must report meta/ee-requirements.txt and bindep.txt.
# Usage: scripts/ee-check.sh ARTIFACT COLLECTIONS_PATH (where ARTIFACT is installed)
set -euo pipefail
artifact="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
installed="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$artifact" "$work/"
cat > "$work/execution-environment.yml" <<YAML
version: 3
images:
  base_image:
    name: quay.io/fedora/fedora:41
dependencies:
  ansible_core:
    package_pip: ansible-core>=2.16
  ansible_runner:
    package_pip: ansible-runner
  galaxy:
    collections:
      - name: ./$(basename "$artifact")
        type: file
YAML
ansible-builder create -f "$work/execution-environment.yml" -c "$work/context" >/dev/null
[ -s "$work/context/Containerfile" ] || { echo "ee-check: ansible-builder create wrote no Containerfile"; exit 1; }
out="$(ansible-builder introspect --sanitize "$installed" 2>&1)" || { echo "$out"; exit 1; }
for want in 'psycopg2-binary>=2.9' 'openssh-client \[platform:dpkg\]' 'postgresql-client \[platform:dpkg\]'; do
  grep -q "^- '$want  *# from collection pgwarden.postgresql'" <<<"$out" || {
    echo "ee-check: introspection does not report '$want' from pgwarden.postgresql:"; echo "$out"; exit 1; }
done
echo "ee-check: ansible-builder create and introspect: ok"
