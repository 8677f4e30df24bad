#!/usr/bin/env bash
# ansible-lint with the production profile over roles, playbooks and molecule scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
ansible-lint --profile production --nocolor
