#!/usr/bin/env bash
# Preflight: containers on one podman network must resolve each other by name, or every
# scenario that connects by container name fails later with "could not translate host name".
# Podman with CNI (Debian 12) needs the dnsname plugin; podman with netavark needs aardvark-dns.
# scripts/install-deps.sh installs the right one; this proves it works end to end:
#   1. removes pgw-* networks made before the plugin was there (they lack DNS, and podman
#      reuses an existing network as it is), when no container uses them;
#   2. starts two containers on a scratch network and resolves one from the other.
# Exits non-zero with a message naming what is missing. Usage: scripts/podman-dns-check.sh [IMAGE]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
set -a; eval "$("$root/scripts/podman-env.sh")"; set +a
IMAGE="${1:-${PGW_IMAGE:-localhost/pgwarden-debian}:12}"
NET="pgw-dnscheck-$$"
A="pgw-dnscheck-$$-a"

fail() { echo "podman-dns-check: $*" >&2; exit 1; }

backend="$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo cni)"
case "$backend" in
  cni) plugin=/usr/lib/cni/dnsname; pkg=golang-github-containernetworking-plugin-dnsname ;;
  netavark) plugin=/usr/lib/podman/aardvark-dns; pkg=aardvark-dns ;;
  *) fail "unknown podman network backend '$backend'" ;;
esac
[ -x "$plugin" ] || fail "podman uses $backend but $plugin is missing: install the Debian package $pkg (scripts/install-deps.sh does)"

# Networks created before the DNS plugin was installed have no DNS; recreate them on demand.
if [ "$backend" = cni ]; then
  for net in $(podman network ls --format '{{.Name}}' | grep '^pgw-' || true); do
    conf="/etc/cni/net.d/$net.conflist"
    if [ ! -f "$conf" ] || grep -q '"dnsname"' "$conf"; then continue; fi
    if [ -z "$(podman ps -a --filter "network=$net" --format '{{.Names}}')" ]; then
      podman network rm "$net" >/dev/null && echo "podman-dns-check: removed network $net (created without DNS)"
    else
      echo "podman-dns-check: warning: network $net has no DNS and is in use; it is recreated once its containers are gone" >&2
    fi
  done
fi

podman image exists "$IMAGE" || fail "image $IMAGE is missing: run scripts/build-images.sh"
cleanup() { podman rm -f -t 0 "$A" >/dev/null 2>&1 || true; podman network rm -f "$NET" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
podman network create "$NET" >/dev/null
podman run -d --rm --name "$A" --network "$NET" "$IMAGE" sleep 120 >/dev/null
if ! out="$(podman run --rm --network "$NET" "$IMAGE" getent hosts "$A" 2>&1)"; then
  fail "a container on network $NET cannot resolve '$A' by name ($backend, $pkg installed?): ${out:-no answer}"
fi
echo "podman-dns-check: container names resolve on $backend networks ($(echo "$out" | awk '{print $1; exit}'))"
