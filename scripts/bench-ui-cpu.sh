#!/usr/bin/env bash
# How much CPU the app's window takes while a run is shown live: the release build under Xvfb
# at 1600x1000 (software Vulkan, Mesa's lavapipe), the built-in demo stack, F5 to start the
# demo preset, then the process's CPU over MEASURE_SECS (60) read from /proc. The load engine,
# the monitors and the demo stack run in the same process on threads named `loadscope-*`; their
# CPU is subtracted, so what is left is the window: the UI thread, the renderer and its
# rasterizer threads. Prints each thread group's share and, as its last line,
# `ui cpu: X% of one core` (goal: at most 20%).
#
#   scripts/bench-ui-cpu.sh            (needs xvfb, xdotool, mesa-vulkan-drivers)
#   LOADSCOPE=path/to/loadscope scripts/bench-ui-cpu.sh   (measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."

MEASURE_SECS="${MEASURE_SECS:-60}"
WARMUP_SECS="${WARMUP_SECS:-8}"
for tool in Xvfb xdotool python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install xvfb xdotool mesa-vulkan-drivers python3" >&2; exit 2; }
done
if [ -z "${LOADSCOPE:-}" ]; then
  cargo build --release --quiet
  LOADSCOPE="${CARGO_TARGET_DIR:-target}/release/loadscope"
fi

WORK="$(mktemp -d)"
DISPLAY_NUMBER="${DISPLAY_NUMBER:-97}"
cleanup() {
  kill "${APP_PID:-}" 2>/dev/null || true
  kill "${XVFB_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
Xvfb ":$DISPLAY_NUMBER" -screen 0 1600x1000x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUMBER"
for _ in $(seq 150); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

# A fresh home: default settings, no remembered preset, runs saved under $WORK.
HOME="$WORK/home" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" \
  "$LOADSCOPE" gui --demo-stack >"$WORK/app.log" 2>&1 &
APP_PID=$!
WINDOW=""
for _ in $(seq 100); do
  WINDOW="$(xdotool search --name 'Loadscope' 2>/dev/null | head -1 || true)"
  [ -n "$WINDOW" ] && break
  sleep 0.2
done
[ -n "$WINDOW" ] || { echo "the window did not open; app log:" >&2; cat "$WORK/app.log" >&2; exit 1; }
xdotool windowsize "$WINDOW" 1600 1000 windowmove "$WINDOW" 0 0
sleep 3
xdotool windowfocus --sync "$WINDOW" 2>/dev/null || true
xdotool key --window "$WINDOW" F5
sleep "$WARMUP_SECS"

python3 - "$APP_PID" "$MEASURE_SECS" <<'PY'
import os, sys, time
pid, secs = int(sys.argv[1]), float(sys.argv[2])
tick = os.sysconf("SC_CLK_TCK")

def stat(path):
    text = open(path).read()
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return name, int(fields[11]) + int(fields[12])  # utime + stime, in ticks

def threads():
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out[tid] = stat(f"/proc/{pid}/task/{tid}/stat")
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out

def group(name):
    if name.startswith("loadscope-demo"):
        return "demo stack"
    if name.startswith("loadscope-"):
        return "engine and monitors"
    return "window (UI thread, renderer)"

before_total, before = stat(f"/proc/{pid}/stat")[1], threads()
start = time.monotonic()
time.sleep(secs)
after_total, after = stat(f"/proc/{pid}/stat")[1], threads()
elapsed = time.monotonic() - start

groups = {}
for tid, (name, ticks) in after.items():
    used = ticks - before.get(tid, (name, 0))[1]
    groups[group(name)] = groups.get(group(name), 0) + used
# Threads that ended during the window are in the process total only; they were the
# engine's (workers of a finished level), never the window's.
accounted = sum(groups.values())
groups["engine and monitors"] = groups.get("engine and monitors", 0) + max(0, (after_total - before_total) - accounted)
for name, ticks in sorted(groups.items()):
    print(f"{name}: {ticks / tick / elapsed * 100:.1f}% of one core")
print(f"whole process: {(after_total - before_total) / tick / elapsed * 100:.1f}% of one core over {elapsed:.0f} s")
ui = groups.get("window (UI thread, renderer)", 0) / tick / elapsed * 100
print(f"ui cpu: {ui:.1f}% of one core")
PY
