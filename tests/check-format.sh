#!/usr/bin/env bash
# Check that every C source and header follows .clang-format (kernel family, tabs, 100 columns).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: $f differs from .clang-format (run: clang-format -i $f)"
    bad=1
  fi
done
n=$(echo "$files" | wc -w)
if [ $bad = 0 ]; then echo "format: $n files OK"; fi
exit $bad
