#!/usr/bin/env bash
# Renders a report page as a browser shows it: Debian's Chromium, headless, to a PNG.
#
#   tools/render_report.sh runs/study/04_report/report.html /tmp/report.png [WIDTH HEIGHT]
#
# Default window 1280 x 4000 (the page is long; the screenshot is cut at HEIGHT). Chromium
# runs without network use (no first-run, sync, component updates or background fetches) in a
# throw-away profile. It installs nothing: without Chromium it says how to install it
# (`apt-get install -y chromium`) and exits with code 3. Exit code 1: rendering failed.
# --run-all-compositor-stages-before-draw and a virtual-time budget make Chromium paint the
# whole page before the screenshot (without them, text near the bottom was sometimes cut).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH HEIGHT]" >&2
  exit 2
fi
page="$1"
out="$2"
width="${3:-1280}"
height="${4:-4000}"
if [[ ! -f "$page" ]]; then
  echo "$0: $page: no such file" >&2
  exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser="$(command -v "$candidate")"
    break
  fi
done
if [[ -z "$browser" ]]; then
  echo "$0: Chromium not found; install Debian's headless-capable browser with" >&2
  echo "    sudo apt-get install -y chromium" >&2
  exit 3
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
page_abs="$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
rm -f "$out_abs"

# Chromium's own chatter (D-Bus, GPU probing) goes to a log shown only on failure.
log="$profile/chromium.log"
if ! timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --run-all-compositor-stages-before-draw --virtual-time-budget=5000 \
    --user-data-dir="$profile" --screenshot="$out_abs" \
    --window-size="$width,$height" "file://$page_abs" >"$log" 2>&1 || [[ ! -s "$out_abs" ]]; then
  echo "$0: Chromium failed to render $page:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
echo "$out_abs"
