#!/usr/bin/env bash
# Build the collection artifact and render the docs of every module, as users will.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/dist
ansible-galaxy collection build --force --output-path build/dist . >/dev/null
ls build/dist/pgwarden-postgresql-*.tar.gz
for m in plugins/modules/*.py; do
  name="pgwarden.postgresql.$(basename "$m" .py)"
  ansible-doc "$name" >/dev/null
  echo "ansible-doc $name: ok"
done
