#!/usr/bin/env bash
# Regenerates the analysis fixtures in tests/fixtures/runs/ with the real engine against the
# demo stack (run it on a quiet machine; the golden files in tests/golden/ then need
# UPDATE_GOLDEN=1 cargo test --test analysis):
#   a.json         tests/fixtures/runs/analysis.toml against the default demo stack
#   a2.json        the same again, right after: what differs from a.json is run-to-run noise
#   b.json         the same preset against a demo stack twice as fast (--time-scale 0.5)
#   baseline.json  the preset's "Gateway baseline" scenario alone
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LOADSCOPE:-}" ]; then
  cargo build --release --quiet
  LOADSCOPE="${CARGO_TARGET_DIR:-target}/release/loadscope"
fi
bin="$LOADSCOPE"
# Only the files named (default: all) are made again.
ONLY="${ONLY:-a a2 b baseline}"
dir=tests/fixtures/runs
preset=$dir/analysis.toml
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

wanted() { [[ " $ONLY " == *" $1 "* ]]; }
if wanted a; then "$bin" run "$preset" --demo-stack --out "$tmp/a.json" --quiet >/dev/null || true; fi
if wanted a2; then "$bin" run "$preset" --demo-stack --out "$tmp/a2.json" --quiet >/dev/null || true; fi
if wanted baseline; then "$bin" run "$preset" --demo-stack --scenario "Gateway baseline" --out "$tmp/baseline.json" --quiet >/dev/null || true; fi
if wanted b; then
  "$bin" demo-stack --base-port 8100 --time-scale 0.5 --seed 7 >/dev/null &
  sleep 1
  "$bin" run "$preset" --host http://127.0.0.1:8100 --out "$tmp/b.json" --quiet >/dev/null || true
fi

# Fixed ids and titles so golden output does not depend on when the fixtures were made.
for name in $ONLY; do
  python3 - "$tmp/$name.json" "$dir/$name.json" "$name" <<'PY'
import json, sys
src, dst, name = sys.argv[1:]
run = json.load(open(src))
run["id"] = "fixture-" + name
run["title"] = {"a": "Before tuning", "a2": "Before tuning, again", "b": "After tuning", "baseline": "Single user"}[name]
json.dump(run, open(dst, "w"), indent=1)
PY
done
ls -l "$dir"
