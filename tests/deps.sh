#!/usr/bin/env bash
# Install what strand needs to build, test and benchmark, from Debian's archive (idempotent).
# Used by tests/run.sh and bench/quick.sh; run as root on Debian 12.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config python3
  libhwloc-dev libnuma-dev liburcu-dev libcriterion-dev liburing-dev libjson-c-dev
  clang clang-format llvm
  acpica-tools busybox-static qemu-system-x86 gnuplot-nox hwloc numactl
  cpio xz-utils zstd kmod e2fsprogs fio socat
  libxml2-dev libxml2-utils libvirt0
  libtirpc-dev libvirt-clients python3-libvirt openssh-server openssh-client netcat-openbsd
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "strand: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "strand: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
