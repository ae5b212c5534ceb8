#!/usr/bin/env bash
# The main job (README): install dependencies, build strand, and run `strand bench quick`: each
# knob (locks, where I/O runs, map churn, strategies, credit, placement, a live switch) where it
# is known to matter, sized from this host, each table read in words (about two minutes).
# Extra arguments go to `strand bench quick` (e.g. --json quick.json --plot plots/: the
# pictures and plots/index.html, one page with everything, to open in a browser).
set -euo pipefail
cd "$(dirname "$0")/.."
./tests/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build -j "$(nproc)" >/dev/null
exec ./build/machine/strand bench quick "$@"
