#!/usr/bin/env bash
# Copies into fuzz/corpus/ the inputs of the scratch corpus (build-fuzz/corpus/,
# what fuzz/run.sh found) that reach code edges no input of fuzz/corpus/
# reaches. A plain `-merge=1` also keeps every input with a new feature (hit
# counts, comparisons), hundreds of files after a long run; new edges only
# keep the checked-in corpus commit-sized.
#
# libFuzzer's merge control file names each input, then gives for each one a
# "COV <index> <edges...>" line listing the edges that input was the first to
# reach; inputs of the first corpus (fuzz/corpus/) run first.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build-fuzz/request_parser_fuzz ]] || { echo "merge.sh: run fuzz/run.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r fuzz/corpus "$work/corpus"
nice -n 10 build-fuzz/request_parser_fuzz -merge=1 -merge_control_file="$work/control" \
  "$work/corpus" build-fuzz/corpus >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
awk 'NR == 1 { n = $1; next }
     NR == 2 { first = $1; next }
     NR <= n + 2 { file[NR - 3] = $0; next }
     $1 == "COV" && $2 >= first && NF > 2 { print file[$2] }' "$work/control" >"$work/new"
while read -r input; do
  cp "$input" fuzz/corpus/
done <"$work/new"
echo "$(wc -l <"$work/new") inputs with new edges copied into fuzz/corpus/"
