"""gthread keep-alive: reuse, the idle bound, --keep-alive 0, HTTP/1.0 and
Connection: close, pipelining, unread bodies, and the rule that a response
says `Connection: close` whenever the server is going to close."""

import http.client
import json
import os
import socket
import threading
import time

import pytest

from conftest import Response, proc_status_kb, send_all_tolerant
from gthread_support import APP, Client, req


# gthread, 4 threads, keep-alive 5 s (long enough that an idle close never
# races a test's next request)
KA_ARGS = ["-k", "gthread", "--threads", "4", "--keep-alive", "5"]


@pytest.fixture
def ka_server(shared_server):
    return shared_server(APP, KA_ARGS)


# ---------------------------------------------------------------- reuse

def test_http_client_reuses_one_connection(ka_server):
    srv = ka_server
    conn = http.client.HTTPConnection(*srv.addr, timeout=10)
    try:
        ports = set()
        for i in range(5):
            conn.request("GET", f"/env?{i}")
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.getheader("Connection") == "keep-alive"
            body = resp.read()
            ports.add(json.loads(body)["remote_port"])
            assert conn.sock is not None, "http.client saw the connection close"
        assert ports == {str(conn.sock.getsockname()[1])}
    finally:
        conn.close()


@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 sends the app's body after a HEAD")
def test_raw_requests_on_one_socket(ka_server):
    with Client(ka_server) as c:
        for i, (method, body) in enumerate([("GET", b""), ("POST", b"abc" * 1000),
                                            ("HEAD", b""), ("PUT", b"x"), ("GET", b"")]):
            r = c.request(method, f"/r/{i}", body=body)
            assert r.status == 200
            assert r.header("connection") == "keep-alive"
            if method == "HEAD":
                assert r.rest == b""
            else:
                assert r.body == f"ok {method} /r/{i}\n".encode()


# ---------------------------------------------------------------- idle bound

def test_idle_connection_closes_after_keep_alive_seconds(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "2", "--keep-alive", "2"])
    with Client(srv) as a, Client(srv) as b:
        assert a.request("GET", "/a").status == 200
        t0 = time.monotonic()
        assert b.request("GET", "/b1").status == 200
        # not before: 1.2 s of idleness leaves b usable, and restarts its clock
        time.sleep(1.2)
        assert b.request("GET", "/b2").status == 200
        t1 = time.monotonic()
        a.wait_eof(5, "the idle close of a")
        a_idle = time.monotonic() - t0
        b.wait_eof(5, "the idle close of b")
        b_idle = time.monotonic() - t1
    assert 1.5 <= a_idle <= 3.5, f"closed after {a_idle:.2f}s idle with --keep-alive 2"
    assert 1.5 <= b_idle <= 3.5, f"closed after {b_idle:.2f}s idle with --keep-alive 2"


def test_keep_alive_0_closes_after_each_response(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "2", "--keep-alive", "0"])
    with Client(srv) as c:
        r = c.request("GET", "/once")
        assert r.status == 200 and r.body == b"ok GET /once\n"
        assert r.header_all("connection") == ["close"]
        c.wait_eof(2)


# ---------------------------------------------------------------- HTTP/1.0 and close

def test_http_1_0_closes_by_default(ka_server):
    with Client(ka_server) as c:
        r = c.request("GET", "/old", version="HTTP/1.0")
        assert r.status == 200 and r.version == "HTTP/1.0"
        assert r.header_all("connection") == ["close"]
        c.wait_eof(2)


def test_http_1_0_keep_alive_is_honoured(ka_server):
    with Client(ka_server) as c:
        for i in range(3):
            r = c.request("GET", f"/old/{i}", headers=[("Connection", "keep-alive")],
                          version="HTTP/1.0")
            assert r.status == 200 and r.body == f"ok GET /old/{i}\n".encode()
            assert r.header_all("connection") == ["keep-alive"]
        # and without the header again, it closes
        r = c.request("GET", "/old/last", version="HTTP/1.0")
        assert r.header_all("connection") == ["close"]
        c.wait_eof(2)


def test_http_1_0_keep_alive_without_length_must_close(ka_server):
    """A chunk-less HTTP/1.0 body without Content-Length ends at the close."""
    with Client(ka_server) as c:
        r = c.request("GET", "/gen_nocl/1000", headers=[("Connection", "keep-alive")],
                      version="HTTP/1.0")
        assert r.header_all("connection") == ["close"]
        assert r.header("transfer-encoding") is None
        assert len(r.body) == 1000


@pytest.mark.parametrize("value", ["close", "Close"])
def test_client_connection_close_is_honoured_and_echoed(ka_server, value):
    with Client(ka_server) as c:
        assert c.request("GET", "/first").header("connection") == "keep-alive"
        r = c.request("GET", "/second", headers=[("Connection", value)])
        assert r.status == 200 and r.body == b"ok GET /second\n"
        assert r.header_all("connection") == ["close"]
        c.wait_eof(2)


@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 drops the app's Connection: close and keeps the connection")
def test_app_connection_close_header_closes(ka_server):
    with Client(ka_server) as c:
        r = c.request("GET", "/app_close")
        assert r.status == 200
        assert r.header_all("connection") == ["close"]
        c.wait_eof(2)


# ---------------------------------------------------------------- pipelining

@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread drops or stalls on pipelined requests (the issue measured it)")
def test_pipelined_requests_are_answered_in_order(ka_server):
    srv = ka_server
    big = 3_000_000
    paths = ["/p/0", "/p/1", f"/big/{big}", "/p/3", "/sleep/0.3?p4", "/gen_nocl/300000",
             "/p/6"]
    data = b"".join(req("GET", p) for p in paths)
    data += req("POST", "/p/7", body=b"body-of-seven")
    data += req("HEAD", "/p/8") + req("GET", "/p/9")
    with Client(srv, timeout=15) as c:
        c.send(data)                      # all in one send
        for p in paths:
            r = c.read()
            assert r.status == 200
            if p.startswith("/big/"):
                assert r.body == b"b" * big
            elif p.startswith("/gen_nocl/"):
                assert r.header("transfer-encoding") == "chunked"
                assert r.complete and len(r.body) == 300000
            else:
                assert r.body == f"ok GET {p}\n".encode(), (p, r.raw[:200])
        assert c.read().body == b"ok POST /p/7\n"
        r = c.read(head_request=True)
        assert r.status == 200 and r.rest == b""
        assert c.read().body == b"ok GET /p/9\n"
        # and the connection is still good
        assert c.request("GET", "/after").body == b"ok GET /after\n"


@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread drops or stalls on pipelined requests (the issue measured it)")
def test_pipelined_requests_split_across_sends(ka_server):
    data = req("GET", "/s/1") + req("POST", "/s/2", body=b"0123456789") + req("GET", "/s/3")
    with Client(ka_server) as c:
        for i in range(0, len(data), 7):   # 7-byte pieces, boundaries anywhere
            c.send(data[i:i + 7])
            time.sleep(0.002)
        assert [c.read().body for _ in range(3)] == [
            b"ok GET /s/1\n", b"ok POST /s/2\n", b"ok GET /s/3\n"]


@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread drops or stalls on pipelined requests (the issue measured it)")
def test_pipelined_after_connection_close_are_not_run(ka_server):
    srv = ka_server
    data = (req("GET", "/pc/1") + req("GET", "/pc/2", headers=[("Connection", "close")])
            + req("GET", "/pc/never"))
    with Client(srv) as c:
        c.send(data)
        assert c.read().body == b"ok GET /pc/1\n"
        r = c.read()
        assert r.body == b"ok GET /pc/2\n" and r.header("connection") == "close"
        c.wait_eof(3)
    time.sleep(0.2)
    assert not [e for e in srv.records() if e.get("raw_uri") == "/pc/never"]


@pytest.fixture(params=["1", "4"], ids=["threads1", "threads4"])
def pipe_server(request, shared_server):
    return shared_server(APP, ["-k", "gthread", "--threads", request.param, "--keep-alive", "5"])


def test_pipelined_burst_is_answered_in_order_with_one_or_more_threads(pipe_server):
    # Responses to a burst may leave together (qilin queues a response with
    # MSG_MORE while the next request is already here); every one arrives, in
    # order, and the last one without waiting for anything more.
    paths = [f"/burst/{i}" for i in range(40)]
    with Client(pipe_server, timeout=5) as c:
        c.send(b"".join(req("GET", p) for p in paths))
        assert [c.read().body for _ in paths] == [f"ok GET {p}\n".encode() for p in paths]


def test_pipelined_burst_larger_than_the_read_buffer(pipe_server):
    # 400 requests, about 20 KiB in one send: more than one read takes (the
    # buffer starts at 8 KiB). The loop is edge-triggered, so it must read
    # again what epoll will not announce a second time.
    paths = [f"/big-burst/{i:03d}" for i in range(400)]
    with Client(pipe_server, timeout=5) as c:
        c.send(b"".join(req("GET", p) for p in paths))
        assert [c.read().body for _ in paths] == [f"ok GET {p}\n".encode() for p in paths]


def test_a_long_pipeline_does_not_grow_the_stack(start_server):
    # 60,000 requests sent at once behind a head of about 0.8 MB, which grows
    # the read buffer so that tens of thousands of requests sit in it at once.
    # With one thread the loop serves each in turn; serving the next from the
    # keep-alive of the one before it, recursively, grew the worker's stack by
    # about half a megabyte here, and without bound as the buffer grows.
    srv = start_server(APP, ["-k", "gthread", "--threads", "1", "--keep-alive", "5"])
    (pid,) = srv.workers()
    stack_before = proc_status_kb(pid, "VmStk")
    big = [(f"X-Filler-{i}", "f" * 8000) for i in range(99)]
    count = 60_000
    with Client(srv, timeout=30) as c:
        c.send(req("GET", "/first", big) + b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n" * count)
        assert c.read().body == b"ok GET /first\n"
        for i in range(count):
            assert c.read().status == 200, f"response {i}"
    assert proc_status_kb(pid, "VmStk") - stack_before < 128


def test_half_close_after_part_of_a_head_closes_on_a_kept_alive_connection(start_server):
    # The part of a head and the client's FIN arrive together while the
    # loop is busy (one thread, running another client's slow request):
    # one edge for both. The read takes the bytes; the FIN must still be
    # seen, and the connection closed, not left waiting for the rest.
    srv = start_server(APP, ["-k", "gthread", "--threads", "1", "--keep-alive", "30"])
    with Client(srv, timeout=5) as a, Client(srv, timeout=5) as busy:
        assert a.request("GET", "/first").status == 200
        busy.send(req("GET", "/sleep/0.5"))
        time.sleep(0.2)  # the loop runs the sleep now
        a.send(b"GET /never HTTP/1.1\r\nHost: x\r\n")
        a.sock.shutdown(socket.SHUT_WR)
        assert busy.read().status == 200
        assert a.eof_within(3)
    assert not [e for e in srv.records() if e.get("path") == "/never"]


def test_request_sent_while_the_app_runs_is_answered(pipe_server):
    # The next request arrives while the application still runs the first:
    # the loop, edge-triggered, is told once, while the connection is not
    # its own to read, and must read it once the connection is back.
    with Client(pipe_server, timeout=5) as c:
        c.send(req("GET", "/sleep/0.6"))
        time.sleep(0.3)
        c.send(req("GET", "/while-running"))
        assert c.read().body == b"ok GET /sleep/0.6\n"
        assert c.read().body == b"ok GET /while-running\n"


@pytest.mark.parametrize("rest", [
    b"GET /held/3 HTTP/1.1\r\nHost: x\r\n",                          # a head cut short
    b"POST /held/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234",  # a body cut short
], ids=["head", "body"])
def test_responses_are_not_held_for_an_incomplete_next_request(pipe_server, rest):
    # A response queued for the next one (MSG_MORE) must leave at once when
    # the next request turns out incomplete: a client may well wait for the
    # answers before it sends the rest. The kernel would push a forgotten
    # queue after about 200 ms (its probe timer), so "at once" is checked as
    # well under that; the best of three tries, so a busy machine cannot fail
    # it, while a held response is late every time.
    waits = []
    for attempt in range(3):
        with Client(pipe_server, timeout=5) as c:
            start = time.monotonic()
            c.send(req("GET", "/held/1") + req("GET", "/held/2") + rest)
            assert c.read(timeout=3).body == b"ok GET /held/1\n"
            assert c.read(timeout=3).body == b"ok GET /held/2\n"
            waits.append(time.monotonic() - start)
            c.send(b"\r\n" if rest.startswith(b"GET") else b"56789")
            assert c.read().body in (b"ok GET /held/3\n", b"ok POST /held/3\n")
        if waits[-1] < 0.15:
            break
    assert min(waits) < 0.15, waits


# ---------------------------------------------------------------- unread bodies

def send_quietly(sock, data):
    """Send from a thread; the server closing (or the test closing the
    socket) ends it without an error."""
    try:
        send_all_tolerant(sock, data)
    except OSError:
        pass


def chunked(body, piece=4096):
    out = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + piece]), body[i:i + piece])
                   for i in range(0, len(body), piece))
    return out + b"0\r\n\r\n"


@pytest.mark.parametrize("framing,size", [
    ("cl", 6000), ("cl", 40_000), ("chunked", 6000), ("chunked", 40_000)])
def test_unread_body_is_drained_and_the_connection_reused(start_server, framing, size):
    # a fresh server: a read buffer grown by an earlier connection is reused
    # and would hide a regression of test_gthread_bodies.py's head test
    srv = start_server(APP, KA_ARGS)
    body = os.urandom(size)
    if framing == "cl":
        first = req("POST", "/ignore", body=body)
    else:
        first = req("POST", "/ignore", [("Transfer-Encoding", "chunked")], chunked(body))
    with Client(srv) as c:
        c.send(first)
        r = c.read()
        assert r.status == 200 and r.body == b"ok POST /ignore\n"
        assert r.header("connection") == "keep-alive"
        r = c.request("GET", "/next")
        assert r.status == 200 and r.body == b"ok GET /next\n"


@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread drops or stalls on pipelined requests (the issue measured it)")
def test_unread_body_pipelined_with_the_next_request(ka_server):
    body = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" * 100
    with Client(ka_server) as c:
        c.send(req("POST", "/ignore", body=body) + req("GET", "/next"))
        assert c.read().body == b"ok POST /ignore\n"
        assert c.read().body == b"ok GET /next\n"
    assert not [e for e in ka_server.records() if e.get("path") == "/smuggled"]


@pytest.mark.gunicorn20_differs(
    "gunicorn drains any unread body, however large, and keeps the connection")
@pytest.mark.parametrize("framing", ["cl", "chunked"])
def test_body_too_large_to_drain_closes_and_says_so(start_server, framing):
    srv = start_server(APP, KA_ARGS)
    # 6 MB the app never reads: more than the loop reads ahead (1 MiB) plus
    # what it drains; the bytes look like requests, which must never run.
    body = (b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" * 200_000)[:6_000_000]
    if framing == "cl":
        data = req("POST", "/ignore", body=body)
    else:
        data = req("POST", "/ignore", [("Transfer-Encoding", "chunked")], chunked(body, 65536))
    with Client(srv, timeout=15) as c:
        sender = threading.Thread(target=send_quietly, args=(c.sock, data), daemon=True)
        sender.start()
        r = c.read()
        assert r.status == 200 and r.body == b"ok POST /ignore\n"
        assert c.eof_within(5), "the connection was kept after an undrainable body"
        sender.join(10)
        assert r.header_all("connection") == ["close"], r.raw[:300]
    time.sleep(0.2)
    assert not [e for e in srv.records() if e.get("path") == "/smuggled"]


# ---------------------------------------------------------------- close means close

def test_error_500_says_close_and_closes(ka_server):
    srv = ka_server
    with Client(srv) as c:
        assert c.request("GET", "/warm").status == 200
        r = c.request("GET", "/error")
        assert r.status == 500
        assert r.header_all("connection") == ["close"]
        assert c.eof_within(2), "the 500 said Connection: close; the server kept the connection"


@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 keeps a connection whose response was shorter than its Content-Length")
def test_short_content_length_body_closes(ka_server):
    with Client(ka_server) as c:
        c.send(req("GET", "/short_cl"))
        raw = c.stream.read_to_eof(time.monotonic() + 3,
                                   "the close after a body shorter than its Content-Length")
    r = Response(raw)
    assert r.header("content-length") == "10"
    assert r.rest == b"short" and not r.complete
