#!/usr/bin/env bash
# Print the path of a promtool binary, for the monitoring tests (promtool check metrics/rules).
# Uses promtool from PATH when there is one; otherwise extracts it from Debian's `prometheus`
# package into .cache/promtool (apt-get download + dpkg -x: nothing is installed, no service starts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
dir="$root/.cache/promtool"
bin="$dir/root/usr/bin/promtool"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  cd "$dir"
  rm -f prometheus_*.deb
  if ! apt-get download prometheus >/dev/null 2>&1; then
    apt-get update >/dev/null
    apt-get download prometheus >/dev/null
  fi
  dpkg -x "$dir"/prometheus_*.deb "$dir/root"
fi
echo "$bin"
