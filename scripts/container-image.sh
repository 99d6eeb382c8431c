#!/usr/bin/env bash
# Builds the documented container image (packaging/kubernetes/Containerfile) where no image
# registry is reachable, and runs it: its `debian:bookworm-slim` base is a Debian 12 root
# filesystem made here by debootstrap from the Debian package registry and loaded with
# `docker import`; the .deb is the one scripts/package.sh built. Then `loadscope --version` and
# `loadscope validate api-gateway` run inside the image. Needs root and a Docker engine
# (scripts/docker-engine.sh starts one); .ci/run calls it after scripts/package.sh.
#
#   scripts/container-image.sh [DEB]     (default: the .deb in $CARGO_TARGET_DIR/packages)
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
deb=${1:-$(ls "$target"/packages/loadscope_*_amd64.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || { echo "container-image: no .deb (give its path, or run scripts/package.sh first)" >&2; exit 2; }
version=$(dpkg-deb -f "$deb" Version | cut -d- -f1)
base_tar="${LOADSCOPE_DEBIAN_ROOTFS:-$HOME/.cache/loadscope-debian12-rootfs.tar}"

export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
"$(dirname "$0")/docker-engine.sh" >/dev/null

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  if [ ! -s "$base_tar" ]; then
    rootfs=$(mktemp -d)
    # debootstrap writes the registry into the image's sources.list; the build fetches the lists.
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
    mkdir -p "$(dirname "$base_tar")"
    tar -C "$rootfs" -cf "$base_tar.partial" . && mv "$base_tar.partial" "$base_tar"
    rm -rf "$rootfs"
  fi
  docker import "$base_tar" debian:bookworm-slim >/dev/null
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp packaging/kubernetes/Containerfile "$deb" "$context/"
# The engine runs without a bridge (scripts/docker-engine.sh): the build's apt-get reaches the
# Debian registry through the host's network.
docker build --network host -q -t "loadscope:$version" -f "$context/Containerfile" "$context" >/dev/null
out=$(docker run --rm --network none "loadscope:$version" --version)
[ "$out" = "loadscope $version" ] || { echo "container-image: loadscope --version in the image said: $out" >&2; exit 1; }
docker run --rm --network none "loadscope:$version" validate api-gateway >/dev/null
echo "container image loadscope:$version built from debootstrap's Debian 12 and the .deb; in it: $out, validate api-gateway ok"
