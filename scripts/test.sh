#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the GoogleTest unit
# tests (CTest), then the black-box and conformance suites (pytest) against
# the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
/usr/bin/python3 -m pytest -q tests "$@"
