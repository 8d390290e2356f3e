#!/usr/bin/env bash
# Builds request_parser_fuzz (cmake --preset fuzz, into build-fuzz/) and fuzzes
# for the given number of seconds (default 1800), one job at low priority.
#
#   fuzz/run.sh [seconds] [extra libFuzzer flags...]
#
# Reads fuzz/corpus/ and never writes it: new inputs go to build-fuzz/corpus/
# (kept between runs), crashes to build-fuzz/artifacts/, the log to
# build-fuzz/fuzz.log. fuzz/README.md says how to merge new inputs back.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1800}
shift $(($# > 0 ? 1 : 0))

[[ -f build-fuzz/CMakeCache.txt ]] || cmake --preset fuzz >/dev/null
nice cmake --build build-fuzz --target request_parser_fuzz -j1

mkdir -p build-fuzz/corpus build-fuzz/artifacts
status=0
nice -n 10 build-fuzz/request_parser_fuzz \
  -dict=fuzz/http.dict \
  -max_total_time="$seconds" \
  -timeout=10 \
  -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/ \
  "$@" build-fuzz/corpus fuzz/corpus 2>&1 | tee build-fuzz/fuzz.log || status=$?

echo
echo "== request_parser_fuzz, ${seconds}s"
grep -E '^#[0-9]+[[:space:]]+DONE' build-fuzz/fuzz.log | tail -1 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
  build-fuzz/fuzz.log || true
echo "scratch corpus: $(find build-fuzz/corpus -type f | wc -l) files in build-fuzz/corpus"
crashes=$(find build-fuzz/artifacts -type f | wc -l)
echo "artifacts: ${crashes} in build-fuzz/artifacts"
exit "$status"
