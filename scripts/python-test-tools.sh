#!/usr/bin/env bash
# The Python tools the tests run, pinned, in a virtual environment under the cache folder
# (LOADSCOPE_PYTHON_VENV, else ~/.cache/loadscope-venv), made from the system's Python: stock
# Debian's Python refuses system-wide pip installs (PEP 668, "externally-managed-environment"),
# and another Python first on PATH must not stand in for it. The tests find them there
# (tests/common: python_bin). test-deps.sh calls it; it installs python3-venv as root where
# it is missing.
set -euo pipefail

VENV="${LOADSCOPE_PYTHON_VENV:-$HOME/.cache/loadscope-venv}"
export DEBIAN_FRONTEND=noninteractive
CHROMADB_VERSION="1.5.9"
# The Prometheus client library vLLM exposes its metrics with: real exposition text for the parser.
PROMETHEUS_CLIENT_VERSION="0.26.0"
# A JUnit XML reader from PyPI: tests/junit.rs checks `--junit` files with it.
JUNITPARSER_VERSION="5.0.3"
# Locust writes the CSV files tests/locust_import.rs imports.
LOCUST_VERSION="2.47.0"
# PyYAML reads the Kubernetes manifests in tests/kubernetes.rs.
PYYAML_VERSION="6.0.3"

# The system's Python (Debian's own, /usr/bin/python3, when there is one: not whatever other
# Python comes first on PATH).
system_python=/usr/bin/python3
[ -x "$system_python" ] || system_python=$(command -v python3 || true)
if [ -z "$system_python" ] || ! "$system_python" -c "import ensurepip, venv" 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
  system_python=/usr/bin/python3
fi
if [ ! -x "$VENV/bin/python3" ]; then
  "$system_python" -m venv "$VENV"
fi
pinned=("chromadb==$CHROMADB_VERSION" "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
        "junitparser==$JUNITPARSER_VERSION" "PyYAML==$PYYAML_VERSION" "locust==$LOCUST_VERSION")
missing=()
for requirement in "${pinned[@]}"; do
  name=${requirement%%==*}
  version=${requirement##*==}
  "$VENV/bin/python3" -m pip show "$name" 2>/dev/null | grep -q "^Version: $version$" || missing+=("$requirement")
done
if [ ${#missing[@]} -gt 0 ]; then
  "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
fi

echo "Python tools in $VENV: ${pinned[*]}"
