#!/usr/bin/env bash
# The test command (README, CI): install dependencies, build, run every test suite, then the
# sanitizer builds (ASan+UBSan: all suites; TSan: the threaded suites) and the format check.
# Each runner prints its own summary. Exit status non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc)

"$top/tests/deps.sh"

build() { # dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" -j "$jobs" >/dev/null
}

status=0
echo "== build (debugoptimized) and test"
build build
meson test -C build --no-suite linux --print-errorlogs --num-processes "$jobs" || status=1

echo "== ASan + UBSan"
build build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --no-suite linux --print-errorlogs --num-processes "$jobs" || status=1

echo "== TSan"
build build-tsan -Db_sanitize=thread -Db_lundef=false
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$top/tests/tsan.supp" \
  meson test -C build-tsan --no-suite linux --print-errorlogs --num-processes "$jobs" || status=1

echo "== format"
if ! "$top/tests/check-format.sh"; then
  status=1
fi
exit $status
