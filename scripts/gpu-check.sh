#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds Loadscope (or uses LOADSCOPE_BIN), prints what
# `loadscope probe` sees, then runs 20 s of load against the built-in demo stack with GPU
# sampling on, prints the GPU samples the run file recorded and writes its Markdown report
# (resources, GPU targets, findings). The run and report land in GPU_CHECK_OUT (default: a
# temporary folder). Needs the NVIDIA driver (libnvidia-ml) and, without LOADSCOPE_BIN, Rust.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${LOADSCOPE_BIN:-}" ]; then
  cargo build --release --quiet
fi
BIN="${LOADSCOPE_BIN:-target/release/loadscope}"
echo "== nvidia-smi"
nvidia-smi --query-gpu=name,utilization.gpu,memory.used,memory.total --format=csv || echo "nvidia-smi not found"
echo "== loadscope probe"
"$BIN" probe

OUT="${GPU_CHECK_OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
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
[[scenario.target]]
expr = "gpu_mem_max < 95%"
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
"$BIN" report "$OUT/run.json" --format md --out "$OUT/report.md"
echo "== report: resources and findings"
sed -n '/### Resources/,/^## Comparison/p' "$OUT/report.md"
