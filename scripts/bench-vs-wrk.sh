#!/usr/bin/env bash
# Loadscope against wrk on this machine, same run, same server:
#   nginx pinned to core 0; wrk, then `loadscope run`, pinned to core 1;
#   50 connections/users, no think time, 10 s, GET of a 17-byte body; PAIRS alternating pairs.
# Prints each tool's req/s and Loadscope's peak RSS, then Loadscope's memory with 10,000 users
# (1 s think time) above a 1-user run, and as its last line `ratio loadscope/wrk: X.XX`
# (median of the pairs). Needs nginx, wrk and GNU time (apt-get install nginx-light wrk time).
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS="${PAIRS:-3}"
DURATION_SECS="${DURATION_SECS:-10}"
for tool in nginx wrk taskset /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install nginx-light wrk time util-linux" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs two cores (one for nginx, one for the load generator)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# LOADSCOPE=path/to/loadscope measures another build (the release profile's own by default).
if [ -z "${LOADSCOPE:-}" ]; then
  cargo build --release --quiet
  LOADSCOPE="${CARGO_TARGET_DIR:-target}/release/loadscope"
fi

WORK="$(mktemp -d)"
trap 'kill "$NGINX_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 65536;
daemon off;
error_log $WORK/error.log warn;
pid $WORK/nginx.pid;
events { worker_connections 30000; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    server {
        listen 127.0.0.1:$PORT backlog=16384;
        location = /hello { default_type text/plain; return 200 "hello from nginx\n"; }
    }
}
EOF
taskset -c 0 nginx -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

preset() { # users think_time duration
  cat <<EOF
name = "bench"
[[scenario]]
name = "nginx"
think_time = "$2"
[scenario.service]
base_url = "http://127.0.0.1:$PORT"
[[scenario.task]]
name = "hello"
path = "/hello"
[[scenario.level]]
users = $1
duration = "$3"
EOF
}
preset 50 0s "${DURATION_SECS}s" >"$WORK/bench.toml"

rps_of() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); l=r["scenarios"][0]["levels"][0]; print("%.0f %d" % (l["total"]["rps"], l["total"]["failures"]))' "$1"; }

ratios=()
for pair in $(seq "$PAIRS"); do
  wrk_rps="$(taskset -c 1 wrk -t1 -c50 -d"${DURATION_SECS}s" "http://127.0.0.1:$PORT/hello" | awk '/Requests\/sec/ {print $2}')"
  /usr/bin/time -f "%M" -o "$WORK/rss" taskset -c 1 "$LOADSCOPE" run "$WORK/bench.toml" --out "$WORK/run.json" -q --no-preflight >/dev/null
  read -r ls_rps ls_failures < <(rps_of "$WORK/run.json")
  rss_mb=$(( $(cat "$WORK/rss") / 1024 ))
  ratio="$(python3 -c "print('%.3f' % ($ls_rps / $wrk_rps))")"
  ratios+=("$ratio")
  echo "pair $pair: wrk ${wrk_rps} req/s | loadscope ${ls_rps} req/s (${ls_failures} failures, peak RSS ${rss_mb} MB) | ratio ${ratio}"
done

# Memory: 10,000 users with 1 s think time, against the same run with 1 user.
preset 1 1s 15s >"$WORK/idle.toml"
preset 10000 1s 15s >"$WORK/many.toml"
/usr/bin/time -f "%M" -o "$WORK/rss-idle" taskset -c 1 "$LOADSCOPE" run "$WORK/idle.toml" --out "$WORK/idle.json" -q --no-preflight >/dev/null
/usr/bin/time -f "%M" -o "$WORK/rss-many" taskset -c 1 "$LOADSCOPE" run "$WORK/many.toml" --out "$WORK/many.json" -q --no-preflight >/dev/null
idle_mb=$(( $(cat "$WORK/rss-idle") / 1024 ))
many_mb=$(( $(cat "$WORK/rss-many") / 1024 ))
read -r many_rps many_failures < <(rps_of "$WORK/many.json")
echo "10,000 users, 1 s think: ${many_rps} req/s, ${many_failures} failures, peak RSS ${many_mb} MB vs ${idle_mb} MB with 1 user: $(( many_mb - idle_mb )) MB above idle (goal < 100 MB)"

median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
printf 'ratio loadscope/wrk: %.2f\n' "$median"
