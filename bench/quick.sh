#!/usr/bin/env bash
# The main job (README): install dependencies, build strand, and run the quick comparison of
# threading models and scheduling strategies on the embedded micro-guests (about a minute).
# Extra arguments go to `strand bench quick` (e.g. --json quick.json --plot plots/).
set -euo pipefail
cd "$(dirname "$0")/.."
./tests/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build -j "$(nproc)" >/dev/null
exec ./build/machine/strand bench quick "$@"
