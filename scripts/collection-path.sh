#!/usr/bin/env bash
# Make this checkout importable as pgwarden.postgresql: build/collections/ansible_collections/pgwarden/postgresql
# is a link to the repository root. Prints the collections path to export as ANSIBLE_COLLECTIONS_PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/build/collections/ansible_collections/pgwarden"
mkdir -p "$dir"
ln -sfn "$root" "$dir/postgresql"
echo "$root/build/collections"
