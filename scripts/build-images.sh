#!/usr/bin/env bash
# Build the local base images the molecule scenarios and the lab boot:
#   localhost/pgwarden-debian:12 (bookworm) and localhost/pgwarden-debian:13 (trixie)
# from debootstrap --variant=minbase, imported with `podman import` (no registry needed).
# Cached: an image is rebuilt only when missing or built by another version of this
# script (label pgwarden.stamp). debootstrap's .debs are kept in $PGW_DEBOOTSTRAP_CACHE.
# Usage: scripts/build-images.sh [12|13 ...]   (default: both; FORCE=1 rebuilds)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
set -a; eval "$("$root/scripts/podman-env.sh")"; set +a

IMAGE="${PGW_IMAGE:-localhost/pgwarden-debian}"
MIRROR="${PGW_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${PGW_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
CACHE="${PGW_DEBOOTSTRAP_CACHE:-/var/cache/pgwarden/debootstrap}"
PACKAGES=python3,python3-apt,systemd,systemd-sysv,dbus,sudo,ca-certificates,iproute2,procps,less
# Units that cannot work in an unprivileged container; masked so the system reaches "running".
MASK=(systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount
      sys-kernel-tracing.mount dev-hugepages.mount systemd-firstboot.service
      getty.target console-getty.service systemd-udevd.service systemd-modules-load.service
      apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer)
# Version stamp: this script without its comments, so editing a comment does not rebuild.
STAMP="$(grep -v '^[[:space:]]*#' "$0" | sha256sum | cut -c1-16)"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

codename() { case "$1" in 12) echo bookworm ;; 13) echo trixie ;; *) echo "unknown Debian version $1" >&2; return 1 ;; esac; }

stamp_of() { podman image inspect --format '{{index .Config.Labels "pgwarden.stamp"}}' "$1" 2>/dev/null || true; }

# shellcheck disable=SC2317  # run through "bash -c" as root, see build()
configure_rootfs() {  # $1 rootfs, $2 codename
  local r="$1" c="$2"
  cat > "$r/etc/apt/sources.list" <<SRC
deb $MIRROR $c main
deb $MIRROR $c-updates main
deb $SECURITY_MIRROR $c-security main
SRC
  # Keep downloaded .debs (the scenarios mount a shared /var/cache/apt/archives) and
  # download as root: the mounted cache is not owned by the container's _apt user.
  rm -f "$r/etc/apt/apt.conf.d/docker-clean"
  cat > "$r/etc/apt/apt.conf.d/90pgwarden" <<'APT'
APT::Keep-Downloaded-Packages "true";
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Sandbox::User "root";
APT::Install-Recommends "false";
Acquire::Languages "none";
APT
  # Each container generates its own machine-id at boot.
  : > "$r/etc/machine-id"; rm -f "$r/var/lib/dbus/machine-id"
  for u in "${MASK[@]}"; do ln -sfn /dev/null "$r/etc/systemd/system/$u"; done
  rm -rf "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*_*
}

build() {  # $1 Debian major version
  local v="$1" c tag rootfs
  c="$(codename "$v")"; tag="$IMAGE:$v"
  if [ -z "${FORCE:-}" ] && [ "$(stamp_of "$tag")" = "$STAMP" ]; then
    echo "$tag: up to date"; return 0
  fi
  echo "$tag: debootstrap $c (log: $rootfs_base/$c.log)"
  rootfs="$rootfs_base/$c"
  $SUDO mkdir -p "$CACHE/$c"
  if ! $SUDO debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE/$c" \
       "$c" "$rootfs" "$MIRROR" > "$rootfs_base/$c.log" 2>&1; then
    tail -n 30 "$rootfs_base/$c.log" >&2; echo "$tag: debootstrap failed" >&2; return 1
  fi
  $SUDO bash -c "$(declare -f configure_rootfs); $(declare -p MIRROR SECURITY_MIRROR MASK); configure_rootfs '$rootfs' '$c'"
  $SUDO tar -C "$rootfs" --numeric-owner -c . | podman import -q \
    --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
    --change "LABEL pgwarden.stamp=$STAMP" --change "LABEL pgwarden.debian=$v" \
    - "$tag" > /dev/null
  $SUDO rm -rf "$rootfs"
  echo "$tag: built"
}

rootfs_base="$(mktemp -d /var/tmp/pgwarden-images.XXXXXX)"
trap '$SUDO rm -rf "$rootfs_base"' EXIT
versions=("$@"); [ "${#versions[@]}" -gt 0 ] || versions=(12 13)
pids=()
for v in "${versions[@]}"; do build "$v" & pids+=($!); done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit "$rc"
