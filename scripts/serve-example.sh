#!/usr/bin/env bash
# Installs what is missing, builds, and serves the bundled example app on
# http://127.0.0.1:8000 (Ctrl-C stops it). Extra arguments go to qilin.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/qilin --chdir examples "$@" hello:app
