#!/usr/bin/env bash
# What one frame of a window costs on the software renderer (Mesa's llvmpipe, through Vulkan's
# lavapipe for wgpu or OpenGL for glow), split by thread: the window thread (egui's layout and
# tessellation, Loadscope's own work) and the renderer's rasterizer threads (`llvmpipe-N`).
# The window is examples/frame_cost.rs at 1600x1000 under Xvfb, redrawing every 500 ms:
# Loadscope's during a run of the demo preset (F5), and the anchor, egui's own demo windows,
# both on wgpu and on glow. With PERF=1 each is also recorded with `perf` and its samples are
# listed by thread and library.
#
#   scripts/profile-ui-frame.sh                       (all four; needs xvfb, xdotool)
#   scripts/profile-ui-frame.sh loadscope:wgpu        (one)
#   MEASURE_SECS=20 PERF=1 scripts/profile-ui-frame.sh loadscope:wgpu egui-demo:wgpu
set -euo pipefail
cd "$(dirname "$0")/.."

MEASURE_SECS="${MEASURE_SECS:-20}"
EVERY_MS="${EVERY_MS:-500}"
cargo build --release --quiet --example frame_cost
EXAMPLE="${CARGO_TARGET_DIR:-target}/release/examples/frame_cost"
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(loadscope:wgpu egui-demo:wgpu loadscope:glow egui-demo:glow)

DISPLAY_NUMBER="${DISPLAY_NUMBER:-96}"
source scripts/xvfb-window.sh

for case in "${CASES[@]}"; do
  app="${case%%:*}" renderer="${case##*:}"
  HOME="$WORK/home" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" \
    "$EXAMPLE" --app "$app" --renderer "$renderer" --every-ms "$EVERY_MS" --dithering "${DITHERING:-on}" >"$WORK/frames" 2>"$WORK/app.log" &
  APP_PID=$!
  open_window "$WORK/app.log"
  if [ "$app" = loadscope ]; then
    xdotool windowfocus --sync "$WINDOW" 2>/dev/null || true
    xdotool key --window "$WINDOW" F5
  fi
  sleep 5
  if [ "${PERF:-0}" = 1 ]; then
    perf record -q -F 499 -p "$APP_PID" -o "$WORK/perf.data" -- sleep "$MEASURE_SECS" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  python3 - "$APP_PID" "$MEASURE_SECS" "$WORK/frames" "$case" <<'PY'
import os, sys, time
pid, secs, frames_path, case = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
tick = os.sysconf("SC_CLK_TCK")

def threads():
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            text = open(f"/proc/{pid}/task/{tid}/stat").read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        out[tid] = (name, int(fields[11]) + int(fields[12]))
    return out

def frames():
    return sum(1 for line in open(frames_path) if line.startswith("frame "))

def group(name):
    if name.startswith("llvmpipe"):
        return "rasterizer"
    if name.startswith("loadscope-"):
        return None  # the engine, the monitors, the demo stack: not the window's
    return "window thread"

before, frames_before = threads(), frames()
start = time.monotonic()
time.sleep(secs)
after, frames_after = threads(), frames()
elapsed = time.monotonic() - start
drawn = frames_after - frames_before
groups = {}
for tid, (name, ticks) in after.items():
    kind = group(name)
    if kind:
        groups[kind] = groups.get(kind, 0) + ticks - before.get(tid, (name, 0))[1]
total = sum(groups.values()) / tick
parts = ", ".join(f"{kind} {ticks / tick / max(drawn, 1) * 1000:.0f} ms" for kind, ticks in sorted(groups.items()))
print(f"{case}: {drawn} frames in {elapsed:.0f} s, {total / max(drawn, 1) * 1000:.0f} ms of CPU per frame ({parts}), window {total / elapsed * 100:.1f}% of one core")
PY
  if [ "${PERF:-0}" = 1 ]; then
    wait "$PERF_PID" 2>/dev/null || true
  fi
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  if [ "${PERF:-0}" = 1 ]; then
    perf report -i "$WORK/perf.data" --no-children --sort comm,dso -q -g none 2>/dev/null | head -12 | sed "s/^/  $case /"
  fi
done
