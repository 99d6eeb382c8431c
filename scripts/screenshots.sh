#!/usr/bin/env bash
# The README's screenshots, from the release build as people run it: the window at 1280x720
# (a laptop projector) under Xvfb with no graphics card, a fresh home, the built-in demo stack.
# Writes packaging/screenshots/: live.png (the Live tab mid-run), runs.png (the Runs tab with the
# finished run selected) and present.png (Present on that run).
#
#   scripts/screenshots.sh        (needs xvfb, xdotool, imagemagick's import, mesa drivers)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v import >/dev/null || { echo "missing import: apt-get install imagemagick" >&2; exit 2; }
cargo build --release --quiet
LOADSCOPE="${CARGO_TARGET_DIR:-target}/release/loadscope"
OUT=packaging/screenshots
SCREEN_WIDTH=1280 SCREEN_HEIGHT=720 DISPLAY_NUMBER="${DISPLAY_NUMBER:-98}"
source scripts/xvfb-window.sh
export HOME="$WORK/home" LOADSCOPE_DATA_DIR="$WORK/data" XDG_RUNTIME_DIR="$WORK" XDG_CONFIG_HOME="$WORK/config"
mkdir -p "$HOME" "$LOADSCOPE_DATA_DIR"

shoot() {
  # Away from the pointer's hover, then the whole screen.
  xdotool mousemove "$SCREEN_WIDTH" "$SCREEN_HEIGHT"
  sleep 1.5
  import -window root "$OUT/$1"
  echo "wrote $OUT/$1"
}

"$LOADSCOPE" gui demo --demo-stack >"$WORK/app.log" 2>&1 &
APP_PID=$!
open_window "$WORK/app.log"
xdotool windowfocus --sync "$WINDOW" 2>/dev/null || true
xdotool key --window "$WINDOW" F5
sleep 26
shoot live.png
# Until the run has ended and is saved as such (the demo preset takes about two minutes).
for _ in $(seq 300); do
  python3 - "$LOADSCOPE_DATA_DIR"/runs/*.json 2>/dev/null <<'PY' && break
import json, sys
sys.exit(0 if any(json.load(open(path)).get("status") != "running" for path in sys.argv[1:]) else 1)
PY
  sleep 1
done
sleep 3
xdotool key --window "$WINDOW" ctrl+3
sleep 2
# The newest run is the first row of the list.
xdotool mousemove 480 124 click 1
sleep 3
shoot runs.png
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true

RUN="$(ls -t "$LOADSCOPE_DATA_DIR"/runs/*.json | head -1)"
"$LOADSCOPE" gui --present "$RUN" >"$WORK/present.log" 2>&1 &
APP_PID=$!
open_window "$WORK/present.log"
sleep 3
shoot present.png
