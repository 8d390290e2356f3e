#!/usr/bin/env bash
# qilin against nginx over TLS, by hand (never in CI): bench/run.sh's `tls-ka` (hello world,
# keep-alive) and `tls-file` (a 16 MiB file: qilin through wsgi.file_wrapper, nginx static
# with sendfile on) for qilin gthread with one thread and nginx, both on the same
# certificate, pinned as run.sh pins them (server on CPU 1, wrk on CPU 0).
#
#   bench/tls.sh                                  # 3 rounds of 10 s
#   DURATION=5 ROUNDS=1 bench/tls.sh              # a quick look
#
# The report gives req/s, MiB/s, the server's CPU per request, and qilin ÷ nginx for
# req/s and for CPU per request. It says whether the kernel offers kernel TLS (the `tls`
# ULP in /proc/sys/net/ipv4/tcp_available_ulp); without it both servers encrypt in user
# space, file responses included. Every other setting is run.sh's (bench/README.md).
here=$(cd "$(dirname "$0")" && pwd)
SERVERS=${SERVERS:-nginx qilin-gthread1} SCENARIOS=${SCENARIOS:-tls-ka tls-file} \
  exec "$here/run.sh" "$@"
