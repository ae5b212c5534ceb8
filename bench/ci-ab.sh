#!/usr/bin/env bash
# Example CI gate (docs/bench.md): compare this tree's build with a base revision's on the same
# host, interleaved, and fail on a performance regression.
#
#   bench/ci-ab.sh [BASE_REV] [strand bench ab options and suites...]
#   bench/ci-ab.sh origin/main quick                  # the pull request against main
#   bench/ci-ab.sh origin/main -n 15 --max-reps 40 threading
#
# The base is built in a temporary git worktree (removed on exit), the current tree in build/.
# Exit status: that of `strand bench ab`: 0 no regression, 1 a regression or a failed run.
# The JSON document (both runs and the comparison) is left in ab.json for the CI artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-origin/main}
shift || true
args=("$@")
if ((${#args[@]} == 0)); then args=(quick); fi

work=$(mktemp -d)
cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building base $base" >&2
git worktree add --detach "$work/base" "$base" >/dev/null
(cd "$work/base" && meson setup build-ab >/dev/null && ninja -C build-ab >/dev/null)

echo "== building this tree" >&2
if [ ! -f build/build.ninja ]; then meson setup build >/dev/null; fi
ninja -C build >/dev/null

# The harness is this tree's strand (its suites); A is the baseline, B the change.
status=0
./build/machine/strand bench ab \
  --a "$work/base/build-ab/machine/strand" --b ./build/machine/strand \
  --json ab.json "${args[@]}" || status=$?
exit $status
