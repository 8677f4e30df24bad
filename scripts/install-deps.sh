#!/usr/bin/env bash
# Install everything the lab and the test suite need on a fresh Debian machine:
# system packages from Debian (apt) and the Python tool chain in .venv (pip).
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(podman runc debootstrap uidmap slirp4netns fuse-overlayfs
              postgresql postgresql-contrib pgbackrest rsync git make shellcheck
              patroni etcd-server etcd-client
              chromium)  # chromium: the headless browser test of the audit report (tests/integration)

# Extensions the integration tests load into the throwaway server, for the server version
# the postgresql package brings (15 on Debian 12).
pgver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -1)"
[ -n "$pgver" ] || pgver="$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9]*\)$/\1/p' | head -1)"
[ -n "$pgver" ] && APT_PACKAGES+=("postgresql-$pgver-pgaudit")

# Container names must resolve on podman networks (the scenarios connect by name):
# Debian 12's podman uses CNI and needs the dnsname plugin; netavark (Debian 13) aardvark-dns.
# scripts/podman-dns-check.sh proves it works before any scenario runs.
if apt-cache show aardvark-dns >/dev/null 2>&1 && ! apt-cache show golang-github-containernetworking-plugin-dnsname >/dev/null 2>&1; then
  APT_PACKAGES+=(aardvark-dns netavark)
else
  APT_PACKAGES+=(golang-github-containernetworking-plugin-dnsname)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "apt: installing ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian postgresql, etcd-server and patroni packages start services; the tests bring
  # their own (tests/integration/pgserver.py, patroniserver.py on loopback ports).
  for unit in postgresql etcd patroni; do
    $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi

VENV="${VENV:-.venv}"
# A .venv linked to another checkout's venv that is gone (a removed clone or worktree): start afresh.
if [ -L "$VENV" ] && [ ! -e "$VENV" ]; then rm -f "$VENV"; fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha"
want="$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-test.txt
  echo "$want" > "$stamp"
fi
