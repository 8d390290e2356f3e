#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the GoogleTest unit
# tests (CTest), the fuzz corpus replay, then the black-box and conformance
# suites (pytest) against the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
# The fuzz target (clang, libFuzzer, ASan+UBSan): built and fed its checked-in
# corpus once, no fuzzing (fuzz/README.md).
cmake --preset fuzz >/dev/null
cmake --build build-fuzz --target request_parser_fuzz -j"$(nproc)"
ctest --test-dir build-fuzz -R fuzz_corpus_replay --output-on-failure
/usr/bin/python3 -m pytest -q tests "$@"
