#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds Loadscope, prints what `loadscope probe` sees, then
# runs 20 s of load against the built-in demo stack with GPU sampling on and prints the GPU
# samples the run file recorded. Needs a Rust toolchain and the NVIDIA driver (libnvidia-ml).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
BIN=target/release/loadscope
echo "== nvidia-smi"
nvidia-smi --query-gpu=name,utilization.gpu,memory.used,memory.total --format=csv || echo "nvidia-smi not found"
echo "== loadscope probe"
"$BIN" probe

OUT="$(mktemp -d)"
cat >"$OUT/gpu.toml" <<'TOML'
name = "GPU check"
[monitors]
gpu = true
interval = "1s"
[[scenario]]
name = "gateway"
[scenario.service]
base_url = "http://127.0.0.1:8000"
health_path = "/health"
[[scenario.task]]
name = "models"
path = "/v1/models"
[[scenario.level]]
name = "20 seconds"
users = 4
duration = "20s"
[[scenario.target]]
expr = "gpu_util_max < 100%"
TOML
echo "== 20 s run with GPU sampling"
"$BIN" run "$OUT/gpu.toml" --demo-stack --out "$OUT/run.json" --quiet || true
python3 - "$OUT/run.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
print("monitors:", json.dumps(run.get("monitors"), indent=None))
for point in run["series"]:
    for gpu in (point.get("resources") or {}).get("gpus", []):
        print(f"t={point['second']:>3}s GPU {gpu['index']} {gpu['name']}: util {gpu['util_percent']:.0f}% "
              f"mem {gpu['mem_used_bytes']/2**30:.1f}/{gpu['mem_total_bytes']/2**30:.1f} GiB "
              f"temp {gpu.get('temperature_celsius')} power {gpu.get('power_watts')}")
level = run["scenarios"][0]["levels"][0]
print("level peaks:", level.get("resources"), "verdicts:", [(v["target"], v.get("observed"), v["passed"]) for v in level["verdicts"]])
PY
