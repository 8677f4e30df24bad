#!/usr/bin/env bash
# ansible-lint with the production profile over roles, playbooks and molecule scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
# A private ANSIBLE_HOME: a pgwarden.postgresql installed under ~/.ansible/collections by
# anything else would otherwise be linted instead of this checkout.
export ANSIBLE_HOME="$PWD/.cache/ansible-lint-home"
mkdir -p "$ANSIBLE_HOME"
ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"
export ANSIBLE_COLLECTIONS_PATH
ansible-lint --profile production --nocolor
