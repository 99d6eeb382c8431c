#!/usr/bin/env bash
# Installs what the integration tests start on 127.0.0.1: nginx and Prometheus (Debian), mock-llm and the MCP
# "everything" server (npm, pinned), Chroma, prometheus_client, junitparser, PyYAML and Locust (PyPI, pinned,
# in a virtual environment under ~/.cache: stock Debian's Python refuses system-wide pip installs,
# PEP 668) and a Docker engine (Debian); and what they need besides: openssl and Mesa's software
# Vulkan driver for the UI snapshots, Xvfb, openbox, xdotool and x11-utils for the full-screen
# test. Run once as root (it installs Debian packages and starts dockerd) before `cargo test`;
# .ci/run calls it. The tests find the Python tools in the same virtual environment
# (tests/common: LOADSCOPE_PYTHON_VENV, else ~/.cache/loadscope-venv).
set -euo pipefail

NPM_PREFIX="${LOADSCOPE_NPM_PREFIX:-$HOME/.cache/loadscope-npm}"
VENV="${LOADSCOPE_PYTHON_VENV:-$HOME/.cache/loadscope-venv}"
MOCK_LLM_VERSION="0.1.29"
MCP_EVERYTHING_VERSION="2026.8.31"
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
# The Python tools, pinned, in their own virtual environment.
"$(dirname "$0")/python-test-tools.sh"

# A Docker engine and the busybox test image for the container monitors.
"$(dirname "$0")/docker-engine.sh"

echo "test servers ready: nginx $(nginx -v 2>&1 | cut -d/ -f2), node $(node --version), npm packages in $NPM_PREFIX, Python tools in $VENV"
