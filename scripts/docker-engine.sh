#!/usr/bin/env bash
# Makes a Docker engine and a test image available for the container-monitor tests: installs
# Debian's docker.io and busybox-static if missing, starts dockerd without the default bridge
# (no 172.17.x network; containers get no network at all) when none answers, and builds the
# image `loadscope-busybox:test` with `docker import` from a busybox rootfs (no registry is
# reachable). Run as root; test-deps.sh and .ci/run call it.
set -euo pipefail

IMAGE="loadscope-busybox:test"
export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null || [ ! -x /bin/busybox ]; then
  apt-get update -qq && apt-get install -y -qq docker.io busybox-static >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >/tmp/loadscope-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/loadscope-dockerd.log" >&2; tail -20 /tmp/loadscope-dockerd.log >&2; exit 1; }
fi

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin"
  cp /bin/busybox "$rootfs/bin/busybox"
  for tool in sh yes sleep cat; do ln -s busybox "$rootfs/bin/$tool"; done
  tar -C "$rootfs" -c . | docker import - "$IMAGE" >/dev/null
  rm -rf "$rootfs"
fi
echo "docker ready: API $(docker version --format '{{.Server.APIVersion}}'), image $IMAGE"
