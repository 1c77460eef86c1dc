#!/usr/bin/env bash
# Fetches Debian's libsodium source package (upstream source + Debian's
# patches, the same libsodium as libsodium-dev) into $YAN_SODIUM_SOURCE_DIR
# (default /usr/local/src/yan-libsodium). Cross builds of the runtime compile
# it for the target: Debian has no riscv64 architecture, so there is no
# libsodium-dev:riscv64 (cmake/SodiumCross.cmake). Idempotent.
set -euo pipefail
dest=${YAN_SODIUM_SOURCE_DIR:-/usr/local/src/yan-libsodium}
if [ -f "$dest/src/libsodium/include/sodium.h" ]; then
  echo "fetch-sodium-source: $dest present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# apt-get source needs deb-src entries: a copy of Debian's deb entries.
srcs=/etc/apt/sources.list.d/yan-deb-src.sources
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$srcs" >/dev/null
  else
    grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' | $SUDO tee "$srcs" >/dev/null
  fi
  $SUDO apt-get update -qq
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq libsodium >/dev/null 2>&1 || apt-get source libsodium)
srcdir=$(find "$work" -maxdepth 1 -type d -name 'libsodium-*' | head -1)
[ -n "$srcdir" ] && [ -f "$srcdir/src/libsodium/include/sodium.h" ] || {
  echo "fetch-sodium-source: apt-get source libsodium gave no source tree" >&2; exit 1; }
$SUDO mkdir -p "$(dirname "$dest")"
$SUDO rm -rf "$dest"
$SUDO cp -a "$srcdir" "$dest"
echo "fetch-sodium-source: libsodium source in $dest"
