#!/usr/bin/env bash
# Build the collection artifact, install it into a scratch collections path, and render
# the docs of every module from the installed artifact, as users will.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/dist
rm -f build/dist/pgwarden-postgresql-*.tar.gz
ansible-galaxy collection build --force --output-path build/dist . >/dev/null
artifact="$(ls build/dist/pgwarden-postgresql-*.tar.gz)"
echo "built $artifact ($(du -h "$artifact" | cut -f1))"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
ANSIBLE_COLLECTIONS_PATH="$scratch" ansible-galaxy collection install --offline --force -p "$scratch" "$artifact" >/dev/null
for m in plugins/modules/*.py; do
  name="pgwarden.postgresql.$(basename "$m" .py)"
  out="$(ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH="$scratch" ansible-doc "$name" 2>&1)"
  if ! grep -q "^> MODULE $name" <<<"$out" || grep -q "WARNING" <<<"$out"; then
    echo "ansible-doc $name failed:"; echo "$out"; exit 1
  fi
  echo "ansible-doc $name: ok"
done
