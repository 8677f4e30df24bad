#!/usr/bin/env bash
# Build the collection artifact, install it into a scratch collections path, and render
# the docs of every module and role from the installed artifact, as users will; lint the
# changelog fragments, check the execution-environment metadata (scripts/ee-check.sh) and
# install the artifact with its declared dependencies only (scripts/install-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/dist
rm -f build/dist/pgwarden-postgresql-*.tar.gz
ansible-galaxy collection build --force --output-path build/dist . >/dev/null
artifact="$(ls build/dist/pgwarden-postgresql-*.tar.gz)"
echo "built $artifact ($(du -h "$artifact" | cut -f1))"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
antsibull-changelog lint
echo "antsibull-changelog lint: ok"
# --no-deps: the docs need this collection only; install-check.sh resolves the dependencies.
ANSIBLE_COLLECTIONS_PATH="$scratch" ansible-galaxy collection install --offline --no-deps --force -p "$scratch" "$artifact" >/dev/null
for m in plugins/modules/*.py; do
  name="pgwarden.postgresql.$(basename "$m" .py)"
  out="$(ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH="$scratch" ansible-doc "$name" 2>&1)"
  if ! grep -q "^> MODULE $name" <<<"$out" || grep -q "WARNING" <<<"$out"; then
    echo "ansible-doc $name failed:"; echo "$out"; exit 1
  fi
  echo "ansible-doc $name: ok"
done
mkdir -p build/docs/roles
for r in roles/*/; do
  name="pgwarden.postgresql.$(basename "$r")"
  if ! out="$(ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH="$scratch" ansible-doc -t role "$name" 2>&1)" \
      || ! grep -q "^> ROLE: \*$name\*" <<<"$out" || grep -q "WARNING" <<<"$out"; then
    echo "ansible-doc -t role $name failed (meta/argument_specs.yml):"; echo "$out"; exit 1
  fi
  printf '%s\n' "$out" > "build/docs/roles/$name.txt"
  echo "ansible-doc -t role $name: ok"
done
scripts/ee-check.sh "$artifact" "$scratch"
scripts/install-check.sh "$artifact"
