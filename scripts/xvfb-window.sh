# Sourced by the window benchmarks (bench-ui-cpu.sh, profile-ui-frame.sh): checks their tools,
# makes a scratch folder ($WORK) and a virtual screen of $SCREEN_WIDTH x $SCREEN_HEIGHT (1600x1000
# unless set; $DISPLAY, number $DISPLAY_NUMBER), and on exit kills the app ($APP_PID) and the
# screen and removes $WORK. `open_window LOG...` waits for the app's window, makes it fill the
# screen and sets $WINDOW (or prints the logs named and exits).
for tool in Xvfb xdotool python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install xvfb xdotool mesa-vulkan-drivers python3" >&2; exit 2; }
done
SCREEN_WIDTH="${SCREEN_WIDTH:-1600}"
SCREEN_HEIGHT="${SCREEN_HEIGHT:-1000}"
WORK="$(mktemp -d)"
cleanup() {
  kill "${APP_PID:-}" 2>/dev/null || true
  kill "${XVFB_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
Xvfb ":$DISPLAY_NUMBER" -screen 0 "${SCREEN_WIDTH}x${SCREEN_HEIGHT}x24" -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUMBER"
for _ in $(seq 150); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

open_window() {
  WINDOW=""
  for _ in $(seq 100); do
    WINDOW="$(xdotool search --name 'Loadscope' 2>/dev/null | head -1 || true)"
    [ -n "$WINDOW" ] && break
    sleep 0.2
  done
  [ -n "$WINDOW" ] || { echo "the window did not open; its log:" >&2; cat "$@" >&2; exit 1; }
  xdotool windowsize "$WINDOW" "$SCREEN_WIDTH" "$SCREEN_HEIGHT" windowmove "$WINDOW" 0 0
  sleep 3
}
