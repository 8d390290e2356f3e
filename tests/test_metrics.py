"""--metrics-bind: the master serves Prometheus' text format at /metrics,
summed over the workers. Scraped with a real HTTP client; the tests check
that the numbers add up: responses by class against the requests sent,
every histogram's buckets against its count, in-flight requests, workers,
and restarts by cause."""

import http.client
import os
import re
import signal
import socket
import threading
import time

import pytest

from config_support import assert_one_line_error, run
from conftest import free_port, wait_until
from gthread_support import APP

pytestmark = pytest.mark.gunicorn20_differs("--metrics-bind is qilin's own setting")

SAMPLE_RE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (\S+)$')


def scrape(port, path="/metrics", method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        conn.close()


def samples(text):
    """{(name, labels): value} from the exposition text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, line
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def metrics(port):
    status, ctype, text = scrape(port)
    assert status == 200, text
    assert ctype.startswith("text/plain; version=0.0.4")
    return samples(text)


def check_histograms_add_up(s):
    for phase in ("queue", "app", "send"):
        buckets = sorted(((float("inf") if le == "+Inf" else float(le)), v)
                         for (name, labels), v in s.items()
                         if name == "qilin_request_duration_seconds_bucket"
                         and f'phase="{phase}"' in labels
                         for le in [re.search(r'le="([^"]+)"', labels).group(1)])
        values = [v for _, v in buckets]
        assert values == sorted(values), f"{phase}: buckets not cumulative: {buckets}"
        assert buckets[-1][0] == float("inf")
        assert buckets[-1][1] == s[("qilin_request_duration_seconds_count", f'phase="{phase}"')]


def started(start_server, args=(), **kw):
    port = free_port()
    srv = start_server(APP, ["--metrics-bind", f"127.0.0.1:{port}"] + list(args), **kw)
    return srv, port


def test_counts_add_up_over_workers(start_server):
    srv, port = started(start_server, ["-w", "2"])
    for i in range(10):
        assert srv.get(f"/ok/{i}").status == 200
    for i in range(2):
        assert srv.get("/error").status == 500
    assert srv.raw(b"GET /bad path HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 400")
    s = wait_until(lambda: (lambda m: m if m[("qilin_requests_total", 'status="2xx"')] >= 10
                            else None)(metrics(port)), 5, message="the 2xx count")
    assert s[("qilin_requests_total", 'status="2xx"')] == 10
    assert s[("qilin_requests_total", 'status="5xx"')] == 2
    assert s[("qilin_requests_total", 'status="4xx"')] == 1
    assert s[("qilin_requests_total", 'status="3xx"')] == 0
    # the app ran for the 12 requests that reached it
    assert s[("qilin_request_duration_seconds_count", 'phase="app"')] == 12
    assert s[("qilin_request_duration_seconds_count", 'phase="queue"')] == 12
    check_histograms_add_up(s)
    assert s[("qilin_requests_in_flight", "")] == 0
    assert s[("qilin_workers", "")] == 2
    assert s[("qilin_workers_desired", "")] == 2
    assert ("qilin_listen_backlog", "") in s
    for cause in ("timeout", "max_requests", "crash", "reload"):
        assert s[("qilin_worker_restarts_total", f'cause="{cause}"')] == 0


def test_in_flight_and_app_time(start_server):
    srv, port = started(start_server, ["-k", "gthread", "--threads", "2"])
    t = threading.Thread(target=lambda: srv.get("/sleep/1.0", timeout=10))
    t.start()
    try:
        wait_until(lambda: metrics(port)[("qilin_requests_in_flight", "")] == 1, 5,
                   message="one request in flight")
    finally:
        t.join()
    s = wait_until(lambda: (lambda m: m if m[("qilin_requests_in_flight", "")] == 0 else None)(
        metrics(port)), 5, message="nothing in flight")
    # the one-second request landed in the app histogram's (1, 2.5] bucket
    assert s[("qilin_request_duration_seconds_bucket", 'phase="app",le="0.5"')] == 0
    assert s[("qilin_request_duration_seconds_bucket", 'phase="app",le="2.5"')] == 1
    assert s[("qilin_request_duration_seconds_sum", 'phase="app"')] >= 1.0


def test_restarts_by_cause(start_server):
    srv, port = started(start_server, ["-w", "2", "--timeout", "2", "--max-requests", "3"])
    pids = srv.workers()
    os.kill(pids[0], signal.SIGKILL)                      # crash
    wait_until(lambda: metrics(port)[("qilin_worker_restarts_total", 'cause="crash"')] == 1, 5,
               message="a crash counted")
    srv.wait_workers(lambda w: len(w) == 2, message="the replacement")
    # The reload comes before the recycles: a worker still exiting after its
    # max_requests-th request when the HUP came would not count as reloaded.
    before = srv.workers()
    os.kill(srv.master_pid, signal.SIGHUP)                # reload
    srv.wait_workers(lambda w: len(w) == 2 and not set(w) & set(before), timeout=15,
                     message="new workers after HUP")
    wait_until(lambda: metrics(port)[("qilin_worker_restarts_total", 'cause="reload"')] == 2, 5,
               message="two reload restarts")
    for i in range(8):                                    # max_requests
        srv.get(f"/n/{i}")
    wait_until(lambda: metrics(port)[("qilin_worker_restarts_total", 'cause="max_requests"')] >= 1,
               10, message="a max_requests recycle counted")
    t = threading.Thread(target=lambda: srv.get("/sleep/6", timeout=15))   # timeout
    t.start()
    try:
        wait_until(lambda: metrics(port)[("qilin_worker_restarts_total", 'cause="timeout"')] == 1,
                   12, message="a timeout counted")
    finally:
        t.join()
    assert metrics(port)[("qilin_worker_restarts_total", 'cause="crash"')] == 1


def test_other_paths_and_methods(start_server):
    srv, port = started(start_server)
    assert scrape(port, "/")[0] == 404
    assert scrape(port, "/metrics?x=1")[0] == 200
    assert scrape(port, "/metrics", method="POST")[0] == 405
    assert scrape(port, "/metrics", method="HEAD")[0] == 200
    with socket.create_connection(("127.0.0.1", port), timeout=5) as silent:
        # a silent client does not stop the next scrape for long
        start = time.monotonic()
        assert scrape(port)[0] == 200
        assert time.monotonic() - start < 4
    assert srv.get("/still").status == 200


def test_bad_metrics_bind_is_one_line_exit_1(run_server):
    r = run(run_server, ["--metrics-bind", "127.0.0.1:notaport"])
    assert r.rc == 1, r
    assert_one_line_error(r, "metrics_bind")
