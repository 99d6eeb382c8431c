#!/usr/bin/env bash
# How much CPU the app's window takes while a run is shown live: the release build under Xvfb
# at 1600x1000 (software Vulkan, Mesa's lavapipe), the built-in demo stack, F5 to start the
# demo preset, then the process's CPU over MEASURE_SECS (60) read from /proc. The load engine,
# the monitors and the demo stack run in the same process on threads named `loadscope-*`; their
# CPU is subtracted, so what is left is the window: the UI thread, the renderer and its
# rasterizer threads. The app runs with its default settings (the renderer and the redraw
# rate chosen automatically) and LOADSCOPE_FRAME_LOG=1, which writes a line for each frame it
# draws. Prints each thread group's share, `frames per second: X` (frames drawn during the
# measured time) and, as its last line, `ui cpu: X% of one core`. Goal: at least 2 frames a
# second within 20% of one core.
#
#   scripts/bench-ui-cpu.sh            (needs xvfb, xdotool, mesa-vulkan-drivers)
#   LOADSCOPE=path/to/loadscope scripts/bench-ui-cpu.sh   (measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."

MEASURE_SECS="${MEASURE_SECS:-60}"
WARMUP_SECS="${WARMUP_SECS:-8}"
if [ -z "${LOADSCOPE:-}" ]; then
  cargo build --release --quiet
  LOADSCOPE="${CARGO_TARGET_DIR:-target}/release/loadscope"
fi

DISPLAY_NUMBER="${DISPLAY_NUMBER:-97}"
source scripts/xvfb-window.sh

# A fresh home: default settings, no remembered preset, runs saved under $WORK.
HOME="$WORK/home" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" LOADSCOPE_FRAME_LOG=1 \
  "$LOADSCOPE" gui --demo-stack >"$WORK/app.log" 2>"$WORK/frames.log" &
APP_PID=$!
open_window "$WORK/app.log" "$WORK/frames.log"
xdotool windowfocus --sync "$WINDOW" 2>/dev/null || true
xdotool key --window "$WINDOW" F5
sleep "$WARMUP_SECS"

python3 - "$APP_PID" "$MEASURE_SECS" "$WORK/frames.log" <<'PY'
import os, sys, time
pid, secs, frames_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]

def frames():
    return sum(1 for line in open(frames_path) if line.startswith("frame "))
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

before_total, before, frames_before = stat(f"/proc/{pid}/stat")[1], threads(), frames()
start = time.monotonic()
time.sleep(secs)
after_total, after, frames_after = stat(f"/proc/{pid}/stat")[1], threads(), frames()
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
print(f"frames per second: {(frames_after - frames_before) / elapsed:.2f}")
print(f"ui cpu: {ui:.1f}% of one core")
PY
