#!/usr/bin/env bash
# test_html.sh STRAND DOC.json SHOT.png - the page `strand bench report DOC --plot DIR` writes:
# DIR/index.html references only files in DIR, each of them exists and is not empty, the page
# loads in headless Chromium with every image decoded (the page's own script counts them into
# <body data-images-ok data-images-broken>), it has a reading under its tables, and a
# screenshot of it is taken (SHOT.png). Uses a small saved document: no KVM, a few seconds.
# Skips (exit 77) without chromium (Debian's package; tests/deps.sh installs it) or gnuplot.
set -euo pipefail
strand=$1 doc=$2 shot=$3

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "SKIP: chromium is not installed (apt-get install --no-install-recommends chromium;" \
    "tests/deps.sh installs it)"
  exit 77
fi
if ! command -v gnuplot >/dev/null; then
  echo "SKIP: gnuplot is not installed (apt-get install gnuplot-nox)"
  exit 77
fi
dir=$(mktemp -d /tmp/strand-bench-html-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

"$strand" bench report "$doc" --plot "$dir/page" >"$dir/tables.txt" || fail "bench report exit $?"
page=$dir/page/index.html
[ -s "$page" ] || fail "no index.html"

# Every file the page references is in DIR and not empty; nothing comes from the network.
refs=$(grep -o '\(src\|href\)="[^"#]*"' "$page" | sed 's/^[a-z]*="//; s/"$//' | sort -u)
nimg=$(grep -o '<img ' "$page" | wc -l)
[ "$nimg" -ge 2 ] || fail "only $nimg images in the page"
for ref in $refs; do
  case $ref in
  *:* | /*) fail "reference outside the directory: $ref" ;;
  esac
  [ -s "$dir/page/$ref" ] || fail "$ref is missing or empty"
done
grep -q 'class="reading"' "$page" || fail "no reading in the page"
grep -q '<table>' "$page" || fail "no table in the page"

run_chromium() {
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$dir/profile" --virtual-time-budget=10000 "$@" \
    2>>"$dir/chromium.log"
}
run_chromium --dump-dom "file://$page" >"$dir/dom.html" ||
  fail "chromium --dump-dom: $(tail -3 "$dir/chromium.log")"
grep -q "data-images-ok=\"$nimg\"" "$dir/dom.html" ||
  fail "not every image loaded: $(grep -o 'data-images-[a-z]*="[0-9]*"' "$dir/dom.html" | tr '\n' ' ')" \
    "(expected $nimg)"
grep -q 'data-images-broken="0"' "$dir/dom.html" || fail "broken images"
grep -q '<h1>strand bench</h1>' "$dir/dom.html" || fail "the page did not render"

rm -f "$shot"
run_chromium --window-size=1280,2400 --screenshot="$shot" "file://$page" >/dev/null ||
  fail "chromium --screenshot: $(tail -3 "$dir/chromium.log")"
[ -s "$shot" ] || fail "no screenshot"
echo "ok: $nimg images, $(echo "$refs" | wc -w) files referenced, screenshot $shot"
