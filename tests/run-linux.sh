#!/usr/bin/env bash
# The Linux guest suite: install dependencies, build strand, build the guest image from
# Debian's packages (tests/linux/build-image.sh), boot it (meson test --suite linux). On PVM
# hosts every boot takes minutes (docs/linux.md).
set -euo pipefail
cd "$(dirname "$0")/.."
./tests/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build -j "$(nproc)" >/dev/null
STRAND_IMAGE_COMPRESS=${STRAND_IMAGE_COMPRESS:-none} ./tests/linux/build-image.sh build/linux
exec meson test -C build --suite linux --print-errorlogs
