"""gthread worker lifecycle: graceful shutdown on TERM (in-flight requests
finish, idle keep-alive connections close within half a second, nothing new
is served),
the graceful-timeout bound, the heartbeat coming from the loop, and
--max-requests recycling without losing a request."""

import http.client
import signal
import threading
import time

import pytest

from conftest import wait_until
from gthread_support import (APP, Client, bytes_until_closed, connection_refused_or_unserved,
                             recv_some, req, small_window, sparse_file)


def wait_started(srv, raw_uri, timeout=10):
    wait_until(lambda: [e for e in srv.records()
                        if e["event"] == "start" and e.get("raw_uri") == raw_uri],
               timeout, message=f"the app to start {raw_uri}")


# ---------------------------------------------------------------- TERM

@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 leaves idle keep-alive connections open until the worker exits")
def test_term_finishes_in_flight_closes_idle_and_refuses_new(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "4", "--keep-alive", "30",
                             "--graceful-timeout", "15"])
    idle = Client(srv)
    busy = Client(srv, timeout=15)
    try:
        assert idle.request("GET", "/idle").header("connection") == "keep-alive"
        busy.send(req("GET", "/sleep/3"))
        wait_started(srv, "/sleep/3")
        term_at = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        # idle keep-alive connections are closed after a short grace
        assert idle.eof_within(1.5), "an idle keep-alive connection outlived TERM"
        # nothing new is served
        time.sleep(0.3)
        assert connection_refused_or_unserved(srv, wait=1.0)
        # the request in flight completes, then its connection is closed
        r = busy.read(timeout=10)
        assert r.status == 200 and r.body == b"ok GET /sleep/3\n"
        assert time.monotonic() - term_at >= 2.0
        assert busy.eof_within(2), "the connection stayed open after the last response"
        assert srv.wait_exit(10) == 0
    finally:
        idle.close()
        busy.close()
    assert len([e for e in srv.records() if e["event"] == "done"]) == 1


@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 says keep-alive on a response written after TERM")
def test_term_in_flight_response_says_close(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "4", "--keep-alive", "30",
                             "--graceful-timeout", "15"])
    with Client(srv, timeout=15) as busy:
        busy.send(req("GET", "/sleep/1.5"))
        wait_started(srv, "/sleep/1.5")
        srv.send_signal(signal.SIGTERM)
        r = busy.read(timeout=10)
        assert r.status == 200
        assert busy.eof_within(3)
    assert srv.wait_exit(10) == 0
    # the server closed it (the head went out after TERM), so it must say so
    assert r.header("connection") == "close", r.raw[:300]


def test_graceful_timeout_bounds_the_shutdown(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "2", "--graceful-timeout", "2"])
    with Client(srv, timeout=20) as busy:
        busy.send(req("GET", "/sleep/30"))
        wait_started(srv, "/sleep/30")
        start = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        srv.wait_exit(10)
        took = time.monotonic() - start
        assert 1.5 <= took <= 6, f"the master exited {took:.1f}s after TERM (--graceful-timeout 2)"
        assert busy.eof_within(3)
        assert busy.stream.buf == b""


@pytest.mark.parametrize("threads", ["1", "2"])
def test_term_lets_a_file_the_loop_sends_finish(start_server, tmp_path, threads):
    # A response the loop is still sending is in flight like any other: it
    # arrives whole after TERM, and the request's end (the access log) runs.
    path = sparse_file(tmp_path / "file.bin", 32 << 20)
    log = tmp_path / "access.log"
    srv = start_server(APP, ["-k", "gthread", "--threads", threads, "--graceful-timeout", "15",
                             "--access-logfile", str(log)],
                       env={"QILIN_TEST_FILE": str(path)})
    with Client(srv, timeout=30) as c:
        small_window(c.sock)
        c.send(req("GET", "/file"))
        assert recv_some(c.sock, 1, time.monotonic() + 10)  # the send is under way
        srv.send_signal(signal.SIGTERM)
        time.sleep(1)
        got = 1 + bytes_until_closed(c.sock, timeout=30)
    head_and_body = got
    assert head_and_body > 32 << 20, f"only {head_and_body} bytes arrived"
    assert srv.wait_exit(10) == 0
    assert " 200 " in log.read_text()


def test_graceful_timeout_bounds_a_stalled_file_send(start_server, tmp_path):
    # A client that stops reading a file the loop sends holds the stop no
    # longer than --graceful-timeout, and the worker exits cleanly.
    path = sparse_file(tmp_path / "file.bin", 256 << 20)
    srv = start_server(APP, ["-k", "gthread", "--threads", "1", "--graceful-timeout", "2"],
                       env={"QILIN_TEST_FILE": str(path)})
    stalled = srv.connect(timeout=30)
    small_window(stalled)
    try:
        stalled.sendall(req("GET", "/file"))
        assert recv_some(stalled, 1, time.monotonic() + 10)
        start = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        assert srv.wait_exit(10) == 0
        took = time.monotonic() - start
        assert 1.5 <= took <= 6, f"the master exited {took:.1f}s after TERM (--graceful-timeout 2)"
    finally:
        stalled.close()
    log = srv.log()
    assert "was sent" not in log and "exited with code" not in log, log[-2000:]


# ---------------------------------------------------------------- heartbeat

def test_heartbeat_keeps_beating_while_an_app_thread_is_busy(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "2", "-t", "2"])
    pids = srv.workers()
    result = {}

    def slow():
        with Client(srv, timeout=20) as c:
            result["r"] = c.request("GET", "/sleep/5")

    t = threading.Thread(target=slow)
    t.start()
    wait_started(srv, "/sleep/5")
    with Client(srv) as c:                  # the other thread serves meanwhile
        assert c.request("GET", "/meanwhile").status == 200
    t.join(20)
    r = result.get("r")
    assert r is not None and r.status == 200 and r.body == b"ok GET /sleep/5\n"
    assert srv.workers() == pids
    assert "WORKER TIMEOUT" not in srv.log()


@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread runs the app on a pool thread even with --threads 1, "
    "so its heartbeat goes on")
def test_loop_stuck_in_the_app_is_aborted(start_server):
    """The control for the test above: with --threads 1 the app runs on the
    loop thread, so a 5 s request stops the heartbeat and -t 2 aborts it."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "1", "-t", "2"])
    (pid,) = srv.workers()
    with Client(srv, timeout=15) as c:
        c.send(req("GET", "/sleep/5"))
        srv.wait_for_log(r"WORKER TIMEOUT \(pid:%d\)" % pid, timeout=10)
    srv.wait_workers(lambda w: len(w) == 1 and w[0] != pid, message="a replacement worker")


# ---------------------------------------------------------------- max-requests

def test_max_requests_recycles_without_losing_a_request(start_server):
    """Every request gets its 200: the retiring worker's last response says
    close, and no connection it accepted is closed with the request unread
    (both happened in 97a5586)."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "4", "--max-requests", "20",
                             "--keep-alive", "30"])
    total = 300        # 15 recycles: the loss is a race, give it room
    conn = http.client.HTTPConnection(*srv.addr, timeout=10)
    statuses, lost, pids, reconnects = [], [], set(), 0
    try:
        for i in range(total):
            try:
                conn.request("GET", f"/mr/{i}")
                resp = conn.getresponse()
                body = resp.read()
            except (http.client.HTTPException, OSError) as e:
                lost.append((i, repr(e)))
                conn.close()
                continue
            statuses.append(resp.status)
            assert body == f"ok GET /mr/{i}\n".encode()
            pids.add(resp.getheader("X-Worker-Pid"))
            if (resp.getheader("Connection") or "").lower() == "close":
                reconnects += 1               # http.client reconnects by itself
    finally:
        conn.close()
    assert lost == [], f"{len(lost)} requests lost: {lost[:5]}"
    assert statuses == [200] * total
    assert len(pids) >= 12, f"workers seen: {pids}: not recycled every 20 requests"
    # each worker's last response says close (that is what makes it safe)
    assert reconnects >= len(pids) - 1, (reconnects, pids)


def test_max_requests_recycles_the_worker(start_server):
    """Workers are replaced about every 20 requests (one request per
    connection here: the recycling itself, without keep-alive)."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "4", "--max-requests", "20"])
    pids = set()
    for i in range(60):
        r = srv.request("GET", f"/mr/{i}", headers=[("Connection", "close")])
        assert r.status == 200
        pids.add(r.header("x-worker-pid"))
    assert len(pids) >= 3, pids
    assert srv.log().count("Autorestarting worker after current request.") >= 2
