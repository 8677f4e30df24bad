#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as ansible_collections/pgwarden/postgresql.
# Runs with the current Python in a venv ansible-test prepares (PyPI), no containers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Outside the checkout: inside it, git would report the copy as ignored and ansible-test
# would see no files at all.
work="${TMPDIR:-/tmp}/pgwarden-sanity-$(echo "$root" | sha256sum | cut -c1-12)"
dest="$work/ansible_collections/pgwarden/postgresql"
rm -rf "$dest"
mkdir -p "$dest"
# Only what git would ship: tracked files and untracked files that are not ignored.
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  rsync -a --ignore-missing-args --from0 --files-from=- "$root/" "$dest/"
cd "$dest"
# ansible-test bootstraps pip in its venvs with a get-pip script downloaded from a host
# outside the package registries. Put a shim in its cache that does the same with the
# standard library's ensurepip and then pip from PyPI.
pipver="$(python3 -c 'import re, ansible_test._internal.python_requirements as r; print(re.search(r"pip=.(\d[\d.]*).", open(r.__file__).read()).group(1))')"
shim="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
if [ -n "$pipver" ] && { [ ! -s "$shim" ] || grep -q pgwarden "$shim"; }; then
  mkdir -p "$(dirname "$shim")"
  cat > "$shim" <<'PY'
# pgwarden: stand-in for get-pip.py (ensurepip, then pip installs the requested packages).
import subprocess
import sys
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
PY
fi
py="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
ansible-test sanity --color no --python "$py" --requirements --venv "$@"
