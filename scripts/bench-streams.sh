#!/usr/bin/env bash
# Streams at scale, side by side: Loadscope, GuideLLM 0.8.1 and AIPerf 0.13.0 against one
# stream server, each holding STREAMS concurrent streamed chats (1,000, then 10,000).
#   - The server (examples/stream_server.rs, Rust, pinned to core 0) streams every reply on a
#     fixed schedule: first chunk TTFT_MS after the request, then one chunk (one token) every
#     GAP_MS (20 chunks/s), CHUNKS in all, and records when it actually wrote each chunk.
#   - Each tool runs pinned to core 1 for DURATION_SECS at the same concurrency.
#   - Error against the server: the tool's TTFT and ITL (p50, p99) minus the server's own
#     (first chunk after the request; gap between chunks), in ms. A perfect client shows 0.
#   - The generator's CPU (all its processes, % of one core while chunks flow) and peak RSS
#     (all its processes together).
# One line per tool and concurrency, then ratios against Loadscope. Not part of CI: the peers
# pull about 6.5 GB of Python packages (torch among them) into a venv, once. A full run takes
# about 6 minutes here (2 cores), plus 5 to 10 for the venv's first install.
# PEERS="" measures Loadscope alone; STREAMS="1000" one concurrency; LOADSCOPE=path and
# STREAM_SERVER=path use those builds instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."

STREAMS="${STREAMS:-1000 10000}"
DURATION_SECS="${DURATION_SECS:-30}"
TTFT_MS="${TTFT_MS:-100}"
GAP_MS="${GAP_MS:-50}"
CHUNKS="${CHUNKS:-64}"
PEERS="${PEERS-guidellm aiperf}"
VENV="${BENCH_VENV:-target/bench-streams-venv}"
for tool in taskset python3 curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install util-linux python3 python3-venv curl" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs two cores (one for the stream server, one for the load generator)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 12000 ] || { echo "needs 12000 open files per process for 10,000 streams (ulimit -n is $(ulimit -n)); raise the hard limit" >&2; exit 2; }

if [ -z "${STREAM_SERVER:-}" ]; then
  cargo build --release --quiet --example stream_server
  STREAM_SERVER="${CARGO_TARGET_DIR:-target}/release/examples/stream_server"
fi
SERVER="$STREAM_SERVER"
if [ -z "${LOADSCOPE:-}" ]; then
  cargo build --release --quiet
  LOADSCOPE="${CARGO_TARGET_DIR:-target}/release/loadscope"
fi
VENV="$(realpath -m "$VENV")"
if [ -n "$PEERS" ] && ! { [ -x "$VENV/bin/guidellm" ] && [ -x "$VENV/bin/aiperf" ]; }; then
  echo "Installing GuideLLM 0.8.1 and AIPerf 0.13.0 into $VENV (once; several minutes)..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet guidellm==0.8.1 aiperf==0.13.0
fi

WORK="$(mktemp -d)"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
taskset -c 0 "$SERVER" --port "$PORT" --ttft-ms "$TTFT_MS" --gap-ms "$GAP_MS" --chunks "$CHUNKS" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 50); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done

# The peers make synthetic prompts with a Hugging Face tokenizer, and this machine may have no
# internet: a small local one, trained on the shipped corpus, in which each chunk's " tok" is
# one token (so their token counts match the server's).
if [ -n "$PEERS" ]; then
  "$VENV/bin/python" - "$WORK/tokenizer" <<'EOF'
import sys
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast
text = open("assets/corpus.txt", encoding="utf-8").read() + "\n" + " tok" * 2000
tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=4000, special_tokens=["<unk>", "<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tokenizer.train_from_iterator([text], trainer)
fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
assert len(fast.encode(" tok tok tok", add_special_tokens=False)) == 3
fast.save_pretrained(sys.argv[1])
EOF
fi

# Runs a command pinned to core 1 and watches it: CPU of all its processes while the server's
# chunk count grows, peak RSS of all of them together, and its CPU per chunk the server sent
# meanwhile. Prints "cpu_percent rss_mb cpu_micros_per_chunk".
cat >"$WORK/watch.py" <<'EOF'
import json, os, subprocess, sys, time, urllib.request
url, log = sys.argv[1], sys.argv[2]
tick = os.sysconf("SC_CLK_TCK")
def tree(root):
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            children.setdefault(int(stat[1]), []).append(int(pid))
        except OSError:
            pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found
cpu_seen = {}  # pid -> its CPU ticks when last seen: a process that exits keeps its share
def usage(root):
    rss = 0
    for pid in tree(root):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            cpu_seen[pid] = int(stat[11]) + int(stat[12])
            rss += int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError):
            pass
    return sum(cpu_seen.values()), rss
def chunks():
    return json.load(urllib.request.urlopen(url + "/stats"))["late"]["count"]
with open(log, "w") as out:
    child = subprocess.Popen(["taskset", "-c", "1", *sys.argv[3:]], stdout=out, stderr=subprocess.STDOUT)
    samples, peak_rss = [], 0
    while child.poll() is None:
        cpu, rss = usage(child.pid)
        peak_rss = max(peak_rss, rss)
        samples.append((time.monotonic(), cpu, chunks()))
        time.sleep(0.5)
flowing = [i for i in range(1, len(samples)) if samples[i][2] > samples[i - 1][2]]
if child.returncode != 0 or len(flowing) < 2:
    sys.exit(f"{sys.argv[3]} failed (exit {child.returncode}); see its output:\n" + open(log).read()[-3000:])
first, last = samples[flowing[0] - 1], samples[flowing[-1]]
cpu_secs = (last[1] - first[1]) / tick
print("%.0f %.0f %.1f" % (cpu_secs * 100 / (last[0] - first[0]), peak_rss / 2**20, cpu_secs * 1e6 / (last[2] - first[2])))
EOF

# The server's own schedule since the last reset: "ttft_p50 ttft_p99 gap_p50 gap_p99 late_p99" (ms).
server_stats() {
  curl -sf "$URL/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); ms=lambda v: v/1000
print(" ".join("%.3f" % ms(v) for v in (s["ttft"]["p50_micros"], s["ttft"]["p99_micros"], s["gap"]["p50_micros"], s["gap"]["p99_micros"], s["late"]["p99_micros"])))'
}

# Each tool's TTFT and ITL p50/p99 (ms) and its replies: "ttft_p50 ttft_p99 itl_p50 itl_p99 replies".
loadscope_numbers() {
  python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["scenarios"][0]["levels"][0]["total"]; c=l["chat"]
print("%.3f %.3f %.3f %.3f %d" % (c["ttft_p50_micros"]/1e3, c["ttft_p99_micros"]/1e3, c["itl_p50_micros"]/1e3, c["itl_p99_micros"]/1e3, c["replies"]))' "$1"
}
guidellm_numbers() { # its ITL is each reply's mean gap
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["benchmarks"][0]["metrics"]; t=m["time_to_first_token_ms"]["successful"]; i=m["inter_token_latency_ms"]["successful"]
print("%.3f %.3f %.3f %.3f %d" % (t["percentiles"]["p50"], t["percentiles"]["p99"], i["percentiles"]["p50"], i["percentiles"]["p99"], t["count"]))' "$1"
}
aiperf_numbers() { # the gap between chunks, as the server's
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["time_to_first_token"]; i=d["inter_chunk_latency"]
print("%.3f %.3f %.3f %.3f %d" % (t["p50"], t["p99"], i["p50"], i["p99"], d["request_count"]["avg"]))' "$1"
}

results="$WORK/results"
: >"$results"
measure() { # tool streams
  local tool="$1" streams="$2" numbers watched
  curl -sf -X POST "$URL/reset" >/dev/null
  case "$tool" in
    loadscope)
      cat >"$WORK/bench.toml" <<EOF
name = "bench-streams"
[[scenario]]
name = "streams"
timeout = "120s"
[scenario.service]
base_url = "$URL"
[[scenario.task]]
name = "chat"
kind = "chat"
model = "bench"
stream = true
messages = [{ role = "user", content = "Tell me a story about a lighthouse keeper." }]
max_tokens = $CHUNKS
[[scenario.level]]
users = $streams
spawn_rate = 2000
duration = "${DURATION_SECS}s"
EOF
      watched="$(python3 "$WORK/watch.py" "$URL" "$WORK/$tool.log" "$LOADSCOPE" run "$WORK/bench.toml" --out "$WORK/run.json" -q --no-preflight --workers 1)"
      numbers="$(loadscope_numbers "$WORK/run.json")" ;;
    guidellm)
      rm -f "$WORK/guidellm.json"
      watched="$(cd "$WORK" && python3 "$WORK/watch.py" "$URL" "$WORK/$tool.log" "$VENV/bin/guidellm" run \
        --backend "kind=openai_http,target=$URL,model=bench" --profile "kind=concurrent,streams=$streams" \
        --constraint "kind=max_duration,seconds=$DURATION_SECS" \
        --data "kind=synthetic_text,prompt_tokens=16,output_tokens=$CHUNKS" \
        --tokenizer "kind=huggingface_auto,model=$WORK/tokenizer" \
        --output "kind=json,path=$WORK/guidellm.json" --disable-console-interactive)"
      numbers="$(guidellm_numbers "$WORK/guidellm.json")" ;;
    aiperf)
      rm -rf "$WORK/aiperf"
      watched="$(cd "$WORK" && python3 "$WORK/watch.py" "$URL" "$WORK/$tool.log" "$VENV/bin/aiperf" profile \
        -m bench --url "$URL" --endpoint-type chat --streaming --concurrency "$streams" \
        --benchmark-duration "$DURATION_SECS" --tokenizer "$WORK/tokenizer" \
        --prompt-input-tokens-mean 16 --prompt-output-tokens-mean "$CHUNKS" --extra-inputs ignore_eos:true \
        --output-artifact-dir "$WORK/aiperf" --no-server-metrics --no-gpu-telemetry --ui-type none)"
      numbers="$(aiperf_numbers "$WORK/aiperf/profile_export_aiperf.json")" ;;
  esac
  echo "$tool $streams $numbers $(server_stats) $watched" >>"$results"
}

for streams in $STREAMS; do
  for tool in loadscope $PEERS; do
    echo "$tool at $streams streams..." >&2
    measure "$tool" "$streams" || echo "$tool at $streams streams failed; its output: $WORK/$tool.log" >&2
  done
done

python3 - "$results" "$TTFT_MS" "$GAP_MS" <<'EOF'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
print(f"schedule: first chunk {sys.argv[2]} ms after the request, then one every {sys.argv[3]} ms. Errors: the tool's figure minus the server's, in ms.")
print("srv late99: how far the server's own writes slipped behind the schedule (it is the limit when this grows).")
print("%-10s %7s %8s %9s %9s %9s %9s %10s %6s %7s %12s" % ("tool", "streams", "replies", "TTFT p50", "TTFT p99", "ITL p50", "ITL p99", "srv late99", "CPU %", "RSS MB", "CPU us/chunk"))
table = {}
for tool, streams, ttft50, ttft99, itl50, itl99, replies, s_ttft50, s_ttft99, s_gap50, s_gap99, late99, cpu, rss, per_chunk in rows:
    errors = [float(ttft50) - float(s_ttft50), float(ttft99) - float(s_ttft99), float(itl50) - float(s_gap50), float(itl99) - float(s_gap99)]
    table[(tool, streams)] = dict(errors=errors, rss=float(rss), per_chunk=float(per_chunk))
    print("%-10s %7s %8s %+9.2f %+9.2f %+9.3f %+9.3f %10.2f %6.0f %7.0f %12.1f" % (tool, streams, replies, *errors, float(late99), float(cpu), float(rss), float(per_chunk)))
for (tool, streams), them in table.items():
    us = table.get(("loadscope", streams))
    if tool == "loadscope" or us is None:
        continue
    print(f"{tool} / loadscope at {streams} streams: CPU per chunk {them['per_chunk'] / us['per_chunk']:.1f}x, RSS {them['rss'] / us['rss']:.1f}x, "
          f"|ITL p50 error| {abs(them['errors'][2]):.2f} ms vs {abs(us['errors'][2]):.2f} ms, |TTFT p50 error| {abs(them['errors'][0]):.1f} ms vs {abs(us['errors'][0]):.1f} ms")
EOF
