#!/usr/bin/env bash
# Benchmarks qilin against its peers in the same run, by hand (never in CI).
# Servers run one worker pinned to CPU 1, wrk runs on CPU 0; rounds alternate
# servers (A,B,A,B,...) and the medians and the qilin/peer ratios are printed.
#
#   bench/run.sh                       # close + ka modes, 3 rounds, qilin vs gunicorn sync
#   MODES=close ROUNDS=5 bench/run.sh
#   SERVERS='qilin-gthread1 qilin-gthread4 gunicorn-gthread4' MODES=ka bench/run.sh
#
# Needs wrk, taskset, curl and Debian's gunicorn (apt-get install wrk gunicorn).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
qilin=${QILIN_BIN:-$here/../build/qilin}
rounds=${ROUNDS:-3}
modes=${MODES:-close ka}
duration=${DURATION:-5s}
servers=${SERVERS:-qilin-sync gunicorn-sync}
out=$(mktemp -d /tmp/qilin-bench.XXXXXX)
port=18731

command_for() {
  case "$1" in
    qilin-sync) echo "$qilin -w 1 -b 127.0.0.1:$port --chdir $here app:app" ;;
    gunicorn-sync) echo "/usr/bin/python3 -m gunicorn -w 1 -k sync -b 127.0.0.1:$port --chdir $here app:app" ;;
    gunicorn-gthread4) echo "/usr/bin/python3 -m gunicorn -w 1 -k gthread --threads 4 -b 127.0.0.1:$port --chdir $here app:app" ;;
    qilin-gthread4) echo "$qilin -w 1 -k gthread --threads 4 -b 127.0.0.1:$port --chdir $here app:app" ;;
    qilin-gthread1) echo "$qilin -w 1 -k gthread --threads 1 -b 127.0.0.1:$port --chdir $here app:app" ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
}

wrk_args() {
  case "$1" in
    close) echo "-t1 -c50 -d$duration -H Connection:close http://127.0.0.1:$port/" ;;
    ka) echo "-t1 -c50 -d$duration http://127.0.0.1:$port/" ;;
    big) echo "-t1 -c10 -d$duration http://127.0.0.1:$port/big" ;;
  esac
}

run_one() {  # server mode round
  local name=$1 mode=$2 round=$3
  taskset -c 1 $(command_for "$name") >"$out/$name.$mode.$round.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
  taskset -c 0 wrk $(wrk_args "$mode") >/dev/null 2>&1 || true  # warm-up
  local result
  result=$(taskset -c 0 wrk $(wrk_args "$mode") 2>&1)
  local rss
  rss=$(ps -o rss= --ppid "$pid" | sort -n | tail -1 | tr -d ' ')
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local rps errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
  errors=$(awk '/Socket errors|Non-2xx/ {print}' <<<"$result" | tr '\n' ' ')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$round" "$rps" "${rss:-?}" "$errors" | tee -a "$out/results.tsv"
}

for round in $(seq "$rounds"); do
  for mode in $modes; do
    for name in $servers; do run_one "$name" "$mode" "$round"; done
  done
done

/usr/bin/python3 - "$out/results.tsv" <<'PY'
import sys, statistics, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = collections.defaultdict(list); rss = collections.defaultdict(list)
for name, mode, rnd, rps, r, _ in rows:
    if rps: by[(name, mode)].append(float(rps))
    if r.isdigit(): rss[name].append(int(r))
print("\n| server | mode | req/s median (rounds) | worker RSS KiB |\n|---|---|---|---|")
for (name, mode), v in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"| {name} | {mode} | {statistics.median(v):,.0f} ({' / '.join(f'{x:,.0f}' for x in v)}) | {max(rss[name]) if rss[name] else '?'} |")
modes = sorted({m for _, m in by})
for m in modes:
    q = {n: statistics.median(v) for (n, mm), v in by.items() if mm == m}
    for n in q:
        if n.startswith("qilin"):
            for p in q:
                if not p.startswith("qilin"):
                    print(f"ratio {m}: {n} / {p} = {q[n] / q[p]:.2f}x")
PY
echo "raw results: $out"
