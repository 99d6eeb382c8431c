#!/usr/bin/env bash
# Installs what the integration tests start on 127.0.0.1: nginx and Prometheus (Debian), mock-llm and the MCP
# "everything" server (npm, pinned), Chroma, prometheus_client, junitparser and Locust (PyPI, pinned) and a Docker
# engine (Debian); and what they need besides: openssl and Mesa's software Vulkan driver for
# the UI snapshots, Xvfb, openbox, xdotool and x11-utils for the full-screen test. Run once as
# root before `cargo test`; .ci/run calls it.
set -euo pipefail

NPM_PREFIX="${LOADSCOPE_NPM_PREFIX:-$HOME/.cache/loadscope-npm}"
MOCK_LLM_VERSION="0.1.29"
MCP_EVERYTHING_VERSION="2026.8.31"
CHROMADB_VERSION="1.5.9"
# The Prometheus client library vLLM exposes its metrics with: real exposition text for the parser.
PROMETHEUS_CLIENT_VERSION="0.26.0"
# A JUnit XML reader from PyPI: tests/junit.rs checks `--junit` files with it.
JUNITPARSER_VERSION="5.0.3"
# Locust writes the CSV files tests/locust_import.rs imports.
LOCUST_VERSION="2.47.0"

export DEBIAN_FRONTEND=noninteractive
if ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null
fi
# openssl makes the https tests' certificates; the UI tests render snapshots with wgpu on Mesa's
# software Vulkan driver (lavapipe); the app's own window (tests/fullscreen.rs) is drawn with
# OpenGL on Mesa's llvmpipe where no graphics card is (EGL and Mesa's DRI drivers).
if ! command -v openssl >/dev/null || ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 \
   || ! ldconfig -p | grep -q libvulkan.so.1 || ! ldconfig -p | grep -q libEGL_mesa.so.0 \
   || ! ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq openssl mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgl1-mesa-dri >/dev/null
fi
# tests/fullscreen.rs runs the app under Xvfb with a small window manager and reads its window
# back with xprop/xwininfo, sending keys with xdotool.
if ! command -v Xvfb >/dev/null || ! command -v openbox >/dev/null || ! command -v xdotool >/dev/null \
   || ! command -v xprop >/dev/null; then
  apt-get update -qq && apt-get install -y -qq xvfb openbox xdotool x11-utils >/dev/null
fi
# Prometheus scrapes `loadscope run --metrics-addr` in tests/export.rs.
if ! command -v prometheus >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if ! command -v npm >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

mkdir -p "$NPM_PREFIX"
if [ ! -x "$NPM_PREFIX/node_modules/.bin/mock-llm" ] || [ ! -x "$NPM_PREFIX/node_modules/.bin/mcp-server-everything" ] \
   || ! grep -q "\"version\": \"$MOCK_LLM_VERSION\"" "$NPM_PREFIX/node_modules/@dwmkerr/mock-llm/package.json" 2>/dev/null; then
  npm install --prefix "$NPM_PREFIX" --no-audit --no-fund --silent \
    "@dwmkerr/mock-llm@$MOCK_LLM_VERSION" "@modelcontextprotocol/server-everything@$MCP_EVERYTHING_VERSION"
fi
if ! python3 -m pip show chromadb 2>/dev/null | grep -q "^Version: $CHROMADB_VERSION$"; then
  python3 -m pip install --quiet --disable-pip-version-check "chromadb==$CHROMADB_VERSION"
fi

if ! python3 -m pip show prometheus_client 2>/dev/null | grep -q "^Version: $PROMETHEUS_CLIENT_VERSION$"; then
  python3 -m pip install --quiet --disable-pip-version-check "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
fi

if ! python3 -m pip show junitparser 2>/dev/null | grep -q "^Version: $JUNITPARSER_VERSION$"; then
  python3 -m pip install --quiet --disable-pip-version-check "junitparser==$JUNITPARSER_VERSION"
fi

# PyYAML reads the Kubernetes manifests in tests/kubernetes.rs.
if ! python3 -c "import yaml" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check "PyYAML==6.0.3"
fi
if ! python3 -m pip show locust 2>/dev/null | grep -q "^Version: $LOCUST_VERSION$"; then
  python3 -m pip install --quiet --disable-pip-version-check "locust==$LOCUST_VERSION"
fi

# A Docker engine and the busybox test image for the container monitors.
"$(dirname "$0")/docker-engine.sh"

echo "test servers ready: nginx $(nginx -v 2>&1 | cut -d/ -f2), node $(node --version), npm packages in $NPM_PREFIX"
