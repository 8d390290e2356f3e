#!/usr/bin/env bash
# Benchmarks qilin against its peers in one run, by hand (never in CI).
#
# Every server runs one worker under `taskset -c $SERVER_CPU` (default 1) and is driven by
# one wrk thread under `taskset -c $CLIENT_CPU` (default 0). Each (scenario, server) run
# starts the server afresh, waits until it answers, warms it up for $WARMUP seconds, then
# measures for $DURATION seconds with `wrk --latency`, reading the CPU time of the server's
# whole process tree from /proc before and after. Rounds alternate the servers
# (round 1: A B C ..., round 2: A B C ...) and the tables give per-cell medians.
#
#   bench/run.sh                                   # every server and scenario, 3 rounds of 10 s
#   DURATION=2 ROUNDS=1 WARMUP=0 bench/run.sh      # quick check that everything runs
#   SERVERS='qilin-gthread1 nginx' SCENARIOS='ka pipe' bench/run.sh
#   MODES='ka big' SERVERS='qilin-gthread1 qilin-gthread4 gunicorn-gthread4' bench/run.sh
#
# Environment (all optional):
#   SERVERS    nginx qilin-sync qilin-gthread1 qilin-gthread4 gunicorn-sync gunicorn-gthread4
#              uwsgi waitress bjoern                        (default: all of them, in this order)
#   SCENARIOS  ka close pipe body file sleep                (default; MODES is the same; `big`
#              is also available: a 1 MiB response from memory; and over TLS, `tls-ka` and
#              `tls-file`, as bench/tls.sh runs them)
#   ROUNDS     rounds, default 3            DURATION  seconds per measured run, default 10 ("10s" too)
#   WARMUP     warm-up seconds before each measured run, default 1 (0: none)
#   PORT       default 18731                SERVER_CPU / CLIENT_CPU  default 1 / 0
#   QILIN_BIN  default build/qilin          BJOERN_PYTHONPATH  a directory bjoern imports from
#   OUTDIR     raw wrk outputs, server logs, results.tsv and results.md (default: a new /tmp dir)
#
#   bench/run.sh report OUTDIR                     # the report of an earlier run, again
#
# The Markdown report goes to stdout (and $OUTDIR/results.md); progress goes to stderr.
# Needs wrk, taskset, curl, ss, timeout, Debian's /usr/bin/python3 (openssl for tls-*) and the peers:
#   apt-get install -y wrk gunicorn nginx uwsgi uwsgi-plugin-python3 python3-waitress
# A server that is not installed is skipped and listed as skipped in the report.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
qilin=${QILIN_BIN:-$here/../build/qilin}
py=/usr/bin/python3
rounds=${ROUNDS:-3}
duration=${DURATION:-10}
duration=${duration%s}
warmup=${WARMUP:-1}
warmup=${warmup%s}
scenarios=${SCENARIOS:-${MODES:-ka close pipe body file sleep}}
servers=${SERVERS:-nginx qilin-sync qilin-gthread1 qilin-gthread4 gunicorn-sync gunicorn-gthread4 uwsgi waitress bjoern}
port=${PORT:-18731}
server_cpu=${SERVER_CPU:-1}
client_cpu=${CLIENT_CPU:-0}
bjoern_path=${BJOERN_PYTHONPATH:-}
host=127.0.0.1
clk_tck=$(getconf CLK_TCK)

die() { echo "bench/run.sh: $*" >&2; exit 2; }
note() { echo "$*" >&2; }

[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$rounds'"
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "DURATION must be whole seconds (10 or 10s), not '$duration'"
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP must be whole seconds, not '$warmup'"
for tool in wrk taskset curl ss timeout; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install -y wrk util-linux curl iproute2 coreutils)"
done
[[ -x $py ]] || die "needs Debian's $py"

# ---------------------------------------------------------------- report
# The Markdown report from an output directory (results.tsv, meta.tsv, notes.txt, wrk outputs).
report() {
  $py "$here/report.py" "$1" "$clk_tck"
}

if [[ ${1:-} == report ]]; then  # bench/run.sh report DIR: the report of an earlier run again
  [[ -f ${2:-}/results.tsv ]] || die "usage: bench/run.sh report OUTDIR (a directory with results.tsv)"
  report "$2"
  exit
fi

out=${OUTDIR:-$(mktemp -d /tmp/qilin-bench.XXXXXX)}
mkdir -p "$out/logs" || die "cannot create $out"
: >"$out/results.tsv"
: >"$out/notes.txt"

# ---------------------------------------------------------------- scenarios
# scenario -> "connections|path|extra wrk arguments"
scenario_spec() {
  case $1 in
    ka) echo "50|/|" ;;
    close) echo "50|/|-H 'Connection: close'" ;;
    pipe) echo "50|/|-s $(printf %q "$here/pipeline.lua")" ;;
    body) echo "10|/body|-s $(printf %q "$here/body.lua")" ;;
    file) echo "10|/file|" ;;
    sleep) echo "50|/sleep|" ;;
    big) echo "10|/big|" ;;
    tls-ka) echo "50|/|" ;;
    tls-file) echo "10|/file|" ;;
    *) return 1 ;;
  esac
}
scheme_of() { [[ $1 == tls-* ]] && echo https || echo http; }  # scenario -> URL scheme
for sc in $scenarios; do scenario_spec "$sc" >/dev/null || die "unknown scenario '$sc'"; done

# Does this server take part in this scenario? `sleep` is the 4-thread comparison, and
# nginx runs no Python app there. Over TLS: the servers that take --certfile, and nginx.
applies() {  # server scenario
  case $2 in
    sleep) [[ $1 == qilin-gthread4 || $1 == gunicorn-gthread4 || $1 == uwsgi || $1 == waitress ]] ;;
    tls-*) [[ $1 == nginx || $1 == qilin-* || $1 == gunicorn-* ]] ;;
    *) true ;;
  esac
}

# ---------------------------------------------------------------- servers
q_qilin=$(printf %q "$qilin")
q_out=$(printf %q "$out")

# server scenario -> the command line (run by bash in bench/, under taskset)
command_for() {
  local b=$host:$port tls="" conf=nginx.conf
  if [[ $2 == tls-* ]]; then
    tls=" --certfile $q_out/tls/cert.pem --keyfile $q_out/tls/key.pem"
    conf=nginx-tls.conf
  fi
  case $1 in
    nginx) echo "nginx -e $q_out/nginx/error.log -p $q_out/nginx -c $q_out/nginx/$conf" ;;
    qilin-sync) echo "$q_qilin -w 1 -k sync -b $b$tls app:app" ;;
    qilin-gthread1) echo "$q_qilin -w 1 -k gthread --threads 1 -b $b$tls app:app" ;;
    qilin-gthread4) echo "$q_qilin -w 1 -k gthread --threads 4 -b $b$tls app:app" ;;
    gunicorn-sync) echo "env -u PYTHONPATH $py -m gunicorn -w 1 -k sync -b $b$tls app:app" ;;
    gunicorn-gthread4) echo "env -u PYTHONPATH $py -m gunicorn -w 1 -k gthread --threads 4 -b $b$tls app:app" ;;
    uwsgi)
      local threads=""
      [[ $2 == sleep ]] && threads=" --threads 4"
      echo "uwsgi --plugin python3 --http-socket $b --master --processes 1$threads --wsgi-file app.py --callable app --die-on-term --disable-logging --need-app" ;;
    waitress) echo "env -u PYTHONPATH $py -m waitress --listen=$b --threads=4 app:app" ;;
    bjoern) echo "env PYTHONPATH=$(printf %q "$bjoern_path") $py -c 'import bjoern, app; bjoern.run(app.app, \"$host\", $port)'" ;;
    *) return 1 ;;
  esac
}

# The qilin binary, waiting up to 2 minutes while a rebuild replaces it.
wait_for_qilin() {
  local i
  for ((i = 0; i < 120; i++)); do [[ -x $qilin ]] && return 0; sleep 1; done
  [[ -x $qilin ]]
}

# Why a server cannot run here (empty: it can).
missing() {
  case $1 in
    nginx) command -v nginx >/dev/null || echo "nginx is not installed (apt-get install -y nginx)" ;;
    qilin-*) wait_for_qilin || echo "$qilin is not built" ;;
    gunicorn-*) env -u PYTHONPATH $py -c 'import gunicorn' 2>/dev/null ||
      echo "gunicorn is not importable by $py (apt-get install -y gunicorn)" ;;
    uwsgi) { command -v uwsgi >/dev/null && uwsgi --plugin python3 --version >/dev/null 2>&1; } ||
      echo "uwsgi with its python3 plugin is not installed (apt-get install -y uwsgi uwsgi-plugin-python3)" ;;
    waitress) env -u PYTHONPATH $py -c 'import waitress' 2>/dev/null ||
      echo "waitress is not importable by $py (apt-get install -y python3-waitress)" ;;
    bjoern) env PYTHONPATH="$bjoern_path" $py -c 'import bjoern' 2>/dev/null ||
      echo "bjoern is not importable by $py (Debian 12 does not package it; set BJOERN_PYTHONPATH to a directory it imports from)" ;;
    *) echo "unknown server" ;;
  esac
}

active=""
for s in $servers; do
  why=$(missing "$s")
  if [[ -n $why ]]; then
    note "skipping $s: $why"
    printf 'skipped\t%s\t%s\n' "$s" "$why" >>"$out/notes.txt"
  else
    active+=" $s"
  fi
done
[[ -n $active ]] || die "no server can run"

# ---------------------------------------------------------------- files and nginx config
export BENCH_FILE=$out/file-16MiB.bin
head -c $((16 << 20)) /dev/zero | tr '\0' 'x' >"$BENCH_FILE"
head -c $((1 << 20)) /dev/zero | tr '\0' 'x' >"$out/big-1MiB.bin"
mkdir -p "$out/nginx/tmp"
# nginx.conf, and nginx-tls.conf: the same over TLS (the certificate qilin gets, kernel TLS
# asked for as qilin asks for it, so that sendfile stays zero-copy where the kernel allows).
nginx_conf() {  # listen-parameters extra-directives
cat <<EOF
# One worker, no access log, a fixed 200 for hello world, the request body read and
# dropped for /body, and the benchmark files served with sendfile.
daemon off;
master_process on;
worker_processes 1;
user root;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    sendfile on;
    tcp_nopush on;
    client_max_body_size 2m;
    client_body_temp_path $out/nginx/tmp/client_body;
    proxy_temp_path $out/nginx/tmp/proxy;
    fastcgi_temp_path $out/nginx/tmp/fastcgi;
    uwsgi_temp_path $out/nginx/tmp/uwsgi;
    scgi_temp_path $out/nginx/tmp/scgi;
    server {
        listen $host:$port$1;$2
        location = /file { default_type application/octet-stream; alias $out/file-16MiB.bin; }
        location = /big { default_type application/octet-stream; alias $out/big-1MiB.bin; }
        location = /body { default_type text/plain; return 200 "1048576"; }
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
EOF
}
nginx_conf "" "" >"$out/nginx/nginx.conf"
nginx_conf " ssl" "
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate $out/tls/cert.pem;
        ssl_certificate_key $out/tls/key.pem;
        ssl_conf_command Options KTLS;" >"$out/nginx/nginx-tls.conf"

# The certificate of the tls-* scenarios: P-256, self-signed for localhost (wrk does not
# verify). Kernel TLS needs the `tls` ULP; without it both servers encrypt in user space.
if [[ " $scenarios " == *" tls-"* ]]; then
  command -v openssl >/dev/null || die "needs openssl for the tls-* scenarios"
  mkdir -p "$out/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -keyout "$out/tls/key.pem" -out "$out/tls/cert.pem" 2>/dev/null ||
    die "openssl could not make the certificate"
fi
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
  ktls="kernel TLS available (the tls ULP is loaded): sendfile can stay zero-copy"
else
  ktls="no kernel TLS on this kernel (no tls ULP in /proc/sys/net/ipv4/tcp_available_ulp): both servers encrypt in user space, file responses included"
fi
# ---------------------------------------------------------------- processes
# The pids of a process tree, root first.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END { q[1] = root; n = 1
          for (i = 1; i <= n; i++) { print q[i]; m = split(kids[q[i]], a, " "); for (j = 1; j <= m; j++) q[++n] = a[j] } }'
}

# "pid starttime ticks" for every process of the tree; ticks = utime+stime+cutime+cstime.
cpu_snapshot() {
  local p s f
  for p in $(tree_pids "$1"); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }
    read -ra f <<<"$s"
    echo "$p ${f[19]} $((f[11] + f[12] + f[13] + f[14]))"
  done
}

alive() {  # pid: exists and is not a zombie
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [[ ${s:0:1} != Z ]]
}

same_process() {  # pid starttime: the pid still names that process
  local s f
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  read -ra f <<<"$s"
  [[ ${f[19]} == "$2" && ${f[0]} != Z ]]
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

port_busy() { [[ -n $(ss -Htln "sport = :$port") ]]; }

current_pid=""
# SIGTERM to the server, 10 s to exit, then SIGKILL to each process of its tree, by pid.
stop_server() {
  local pid=$1 snapshot i p start
  snapshot=$(cpu_snapshot "$pid")
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    note "  $pid did not stop within 10 s of SIGTERM: SIGKILL to its tree"
    while read -r p start _; do same_process "$p" "$start" && kill -KILL "$p" 2>/dev/null; done <<<"$snapshot"
  fi
  wait "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do  # workers that outlive their master
    local left=0
    while read -r p start _; do [[ -n $p ]] && same_process "$p" "$start" && left=1; done <<<"$snapshot"
    ((left)) || break
    if ((i == 49)); then
      while read -r p start _; do [[ -n $p ]] && same_process "$p" "$start" && kill -KILL "$p" 2>/dev/null; done <<<"$snapshot"
    fi
    sleep 0.1
  done
  current_pid=""
}
cleanup() { [[ -n $current_pid ]] && stop_server "$current_pid"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

record() {  # server scenario round status wrk-output cpu-ticks tree-size worker-rss master-rss
  local IFS=$'\t'
  echo "$*" >>"$out/results.tsv"
}

# ---------------------------------------------------------------- one run
run_one() {  # server scenario round
  local name=$1 sc=$2 rnd=$3
  local tag=$name.$sc.$rnd
  local log=$out/logs/$tag.server.log wout=$out/logs/$tag.wrk.txt
  local conns path extra
  IFS='|' read -r conns path extra <<<"$(scenario_spec "$sc")"
  local scheme
  scheme=$(scheme_of "$sc")
  local url=$scheme://$host:$port$path

  local i
  for ((i = 0; i < 100; i++)); do port_busy || break; sleep 0.1; done
  if port_busy; then
    note "  port $port is taken by another program; set PORT"
    record "$name" "$sc" "$rnd" "port $port busy" "" "" "" "" ""
    return
  fi

  [[ $name == qilin-* ]] && wait_for_qilin
  local cmd
  cmd=$(command_for "$name" "$sc")
  echo "\$ $cmd" >"$log"
  (cd "$here" && exec taskset -c "$server_cpu" bash -c "exec $cmd") >>"$log" 2>&1 &
  local pid=$!
  current_pid=$pid
  local ready=0
  for ((i = 0; i < 150; i++)); do
    if curl -fsk -o /dev/null --max-time 1 "$scheme://$host:$port/"; then ready=1; break; fi
    alive "$pid" || break
    sleep 0.1
  done
  if ((!ready)); then
    local why="did not answer within 15 s"
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null
      why="exited with status $? before answering"
    fi
    note "  $name $why; its log: $log"
    stop_server "$pid"
    record "$name" "$sc" "$rnd" "$why (log: $log)" "" "" "" "" ""
    return
  fi

  if [[ $scheme == https && $rnd == 1 ]]; then  # what an OpenSSL client (as wrk) negotiates
    local negotiated
    negotiated=$($py -c '
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
with ctx.wrap_socket(socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)) as s:
    print(s.version(), s.cipher()[0])' "$host" "$port" 2>/dev/null)
    printf 'negotiated\t%s\t%s\t%s\n' "$name" "$sc" "$negotiated" >>"$out/notes.txt"
  fi
  local wrk_base="taskset -c $client_cpu wrk -t1 -c$conns $extra"
  if ((warmup > 0)); then
    eval "timeout -k 5 $((warmup + 20)) $wrk_base -d${warmup}s $url" >/dev/null 2>&1
  fi
  local before after rc
  before=$(cpu_snapshot "$pid")
  eval "timeout -k 5 $((duration + 30)) $wrk_base -d${duration}s --latency $url" >"$wout" 2>&1
  rc=$?
  after=$(cpu_snapshot "$pid")

  # CPU ticks of the whole tree; the worker is the busiest process below the root (the
  # master), or the root itself when it runs alone.
  local ticks worker tree_size master_rss worker_rss
  read -r ticks worker tree_size < <(awk '
      FILENAME == ARGV[1] { b[$1 " " $2] = $3; total_b += $3; next }
      { d = $3 - b[$1 " " $2]; total_a += $3; n++
        if (n == 1) root = $1; else if (best == "" || d > bd) { best = $1; bd = d } }
      END { if (n) print total_a - total_b, (best == "" ? root : best), n }' <(echo "$before") <(echo "$after"))
  worker_rss=$(rss_kib "$worker")
  master_rss=""
  [[ $worker != "$pid" ]] && master_rss=$(rss_kib "$pid")

  local status=ok
  if ((rc == 124 || rc == 137)); then status="wrk killed after $((duration + 30)) s"
  elif ((rc != 0)); then status="wrk exit $rc"
  fi
  alive "$pid" || status="server exited during the run"
  stop_server "$pid"
  record "$name" "$sc" "$rnd" "$status" "$wout" "$ticks" "$tree_size" "${worker_rss:-}" "${master_rss:-}"

  local rps p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$wout")
  p99=$(awk '$1 == "99%" { print $2 }' "$wout")
  note "$(printf '  %-18s %-6s round %s: %s req/s, p99 %s, cpu %s ticks%s' "$name" "$sc" "$rnd" \
    "${rps:-?}" "${p99:-?}" "${ticks:-?}" "$([[ $status == ok ]] || echo ", $status")")"
}

# ---------------------------------------------------------------- rounds
runs=0
for sc in $scenarios; do for s in $active; do applies "$s" "$sc" && ((runs++)); done; done
[[ " $scenarios " == *" tls-"* ]] && note "$ktls"
note "$runs runs per round x $rounds rounds, ~$((runs * rounds * (duration + warmup + 2) / 60 + 1)) min; raw output in $out"
{
  echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine	$(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
  echo "qilin	$("$qilin" --version 2>&1 | head -1 | sed -E 's/^qilin \(version (.*)\)$/\1/')"
  echo "gunicorn	$(env -u PYTHONPATH $py -c 'import gunicorn; print(gunicorn.__version__)' 2>/dev/null)"
  echo "uwsgi	$(uwsgi --version 2>/dev/null)"
  echo "waitress	$(env -u PYTHONPATH $py -c 'import importlib.metadata as m; print(m.version("waitress"))' 2>/dev/null)"
  echo "bjoern	$(env PYTHONPATH="$bjoern_path" $py -c '
import importlib.metadata as m, bjoern
try: print(m.version("bjoern"))
except Exception: print(getattr(bjoern, "__version__", "?"))' 2>/dev/null)"
  echo "nginx	$(nginx -v 2>&1 | sed 's/^nginx version: nginx\///')"
  echo "wrk	$(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
  echo "python	$($py -c 'import sys; print(sys.version.split()[0])')"
  echo "duration	$duration"
  echo "rounds	$rounds"
  echo "host	$host:$port"
  echo "scenarios	$scenarios"
  echo "tls	$ktls; $(openssl version 2>/dev/null)"
  echo "servers	$active"
} >"$out/meta.tsv"
for s in $active; do  # each distinct command line of a server, with its first scenario
  seen=""
  for sc in $scenarios; do
    applies "$s" "$sc" || continue
    cmd=$(command_for "$s" "$sc")
    [[ $'\n'$seen == *$'\n'"$cmd"$'\n'* ]] && continue
    seen+=$cmd$'\n'
    printf 'command\t%s\t%s\t%s\n' "$s" "$sc" "$cmd" >>"$out/notes.txt"
  done
done

for ((round = 1; round <= rounds; round++)); do
  for sc in $scenarios; do
    for s in $active; do
      applies "$s" "$sc" && run_one "$s" "$sc" "$round"
    done
  done
done

report "$out" | tee "$out/results.md"
note "raw results: $out"
