"""gthread limits and slow clients: the --worker-connections cap (accept
paused, new clients wait in the backlog), the idle keep-alive cap
(worker_connections - threads), slow senders that never hold the Python
thread, and the 10 s bound for a request head."""

import resource
import selectors
import time

import pytest

from conftest import Response
from gthread_support import APP, Client, req


def started(srv, raw_uri):
    return [e for e in srv.records() if e["event"] == "start" and e.get("raw_uri") == raw_uri]


def no_bytes_within(client, seconds):
    """True if nothing arrives (and no close) for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            client.stream.fill(deadline, "")
        except AssertionError:
            break
        if client.stream.buf or client.stream.eof:
            return False
    return not client.stream.buf and not client.stream.eof


# ---------------------------------------------------------------- connection caps

@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread reads requests on its pool threads: a slow or partial request holds one")
def test_connection_cap_pauses_accept_until_one_closes(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "1",
                             "--worker-connections", "5", "--keep-alive", "30"])
    held = [Client(srv) for _ in range(5)]
    try:
        # four idle keep-alive connections (the idle cap is 5 - 1 = 4) and
        # one in the middle of a request head: five open
        for i, c in enumerate(held[:4]):
            r = c.request("GET", f"/held/{i}")
            assert r.header("connection") == "keep-alive"
        held[4].send(b"GET /held/4 HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.2)
        with Client(srv) as sixth:
            sixth.send(req("GET", "/sixth"))
            assert no_bytes_within(sixth, 1.5), \
                f"a 6th connection was served over the cap: {bytes(sixth.stream.buf[:200])!r}"
            assert not started(srv, "/sixth")
            held.pop(0).close()
            r = sixth.read(timeout=5)
            assert r.status == 200 and r.body == b"ok GET /sixth\n"
        # the others still work
        held[-1].send(b"\r\n")
        assert held[-1].read().body == b"ok GET /held/4\n"
        for c in held[:-1]:
            assert c.request("GET", "/again").status == 200
    finally:
        for c in held:
            c.close()


def test_idle_keep_alive_connections_are_capped(start_server):
    """At most worker_connections - threads (5 - 1 = 4) idle keep-alive
    connections: the 5th gets Connection: close and is closed."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "1",
                             "--worker-connections", "5", "--keep-alive", "30"])
    clients = [Client(srv) for _ in range(5)]
    try:
        for i, c in enumerate(clients[:4]):
            r = c.request("GET", f"/idle/{i}")
            assert r.header("connection") == "keep-alive", (i, r.raw[:300])
        r = clients[4].request("GET", "/idle/4")
        assert r.status == 200
        assert r.header("connection") == "close", r.raw[:300]
        assert clients[4].eof_within(2)
        for c in clients[:4]:
            assert c.request("GET", "/still").status == 200
    finally:
        for c in clients:
            c.close()


# ---------------------------------------------------------------- slow clients

@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread reads requests on its pool threads: a slow or partial request holds one")
def test_slow_senders_do_not_hold_the_only_thread(start_server):
    srv = start_server(APP, ["-k", "gthread", "--threads", "1", "--keep-alive", "30"])
    slow = []
    try:
        for i in range(20):                      # half a head
            s = srv.connect()
            s.sendall(b"GET /slowhead/%d HTTP/1.1\r\nHost: x\r\nX-Slow: a" % i)
            slow.append(s)
        for i in range(5):                       # a slow Content-Length body
            s = srv.connect()
            s.sendall(b"POST /slowbody/%d HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n"
                      % i + b"x" * 1000)
            slow.append(s)
        for i in range(5):                       # a slow chunked body
            s = srv.connect()
            s.sendall(b"POST /slowchunks/%d HTTP/1.1\r\nHost: x\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n100\r\nabc" % i)
            slow.append(s)
        time.sleep(0.3)
        for round_ in range(3):
            with Client(srv) as c:
                for i in range(3):
                    start = time.monotonic()
                    r = c.request("POST", f"/normal/{round_}/{i}", body=b"small")
                    took = time.monotonic() - start
                    assert r.status == 200 and r.body == f"ok POST /normal/{round_}/{i}\n".encode()
                    assert took < 1.0, f"a normal request took {took:.2f}s behind slow clients"
            for s in slow:                       # one more byte each
                s.sendall(b"a")
            time.sleep(0.2)
        assert not [e for e in srv.records() if e["path"].startswith("/slow")], \
            "an incomplete request reached the app"
    finally:
        for s in slow:
            s.close()


@pytest.mark.gunicorn20_differs(
    "gunicorn calls the app once the head is in and reads the body on the app's thread")
@pytest.mark.parametrize("length", [6000, 500_000])
def test_slow_body_is_served_once_complete(start_server, length):
    srv = start_server(APP, ["-k", "gthread", "--threads", "1"])
    with Client(srv) as c:
        c.send(b"POST /slowbody HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % length)
        sent = 0
        for _ in range(4):                     # four fifths, 0.1 s apart
            piece = length // 5
            c.send(b"y" * piece)
            sent += piece
            time.sleep(0.1)
        assert not started(srv, "/slowbody"), "the app ran before the body was complete"
        c.send(b"y" * (length - sent))
        r = c.read()
    assert r.status == 200 and r.body == b"ok POST /slowbody\n"


@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread reads requests on its pool threads: a slow or partial request holds one")
def test_many_trickling_connections(start_server):
    """200 connections trickling header bytes (bounded slow loris) while a
    normal client keeps getting answers from the one worker."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    count = min(200, soft // 3)
    srv = start_server(APP, ["-k", "gthread", "--threads", "1"])
    loris = []
    try:
        for i in range(count):
            s = srv.connect()
            s.sendall(b"GET /loris/%d HTTP/1.1\r\n" % i)
            loris.append(s)
        worst = 0.0
        end = time.monotonic() + 3
        with Client(srv) as c:
            n = 0
            while time.monotonic() < end:
                for s in loris:
                    s.sendall(b"X")
                start = time.monotonic()
                assert c.request("GET", f"/n/{n}").status == 200
                worst = max(worst, time.monotonic() - start)
                n += 1
                time.sleep(0.1)
        assert n >= 10
        assert worst < 1.0, f"a normal request took {worst:.2f}s among {count} slow clients"
    finally:
        for s in loris:
            s.close()


@pytest.mark.gunicorn20_differs(
    "gunicorn's gthread reads requests on its pool threads: a slow or partial request holds one")
def test_request_head_bound(start_server):
    """Within the 10 s head bound nothing happens to slow heads; after it,
    a connection that sent part of a head gets 408 and is closed, a silent
    one is closed without a word, and an idle keep-alive connection (under
    --keep-alive 30) is left alone."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "1", "--keep-alive", "30"])
    idle = Client(srv)
    assert idle.request("GET", "/idle").status == 200
    t0 = time.monotonic()
    half = srv.connect()
    half.sendall(b"GET /half HTTP/1.1\r\nHost: x\r\n")
    silent = srv.connect()
    got = {"half": b"", "silent": b""}
    closed_at = {}
    try:
        with Client(srv) as c:                      # served meanwhile
            assert c.request("GET", "/normal").status == 200
        sel = selectors.DefaultSelector()
        sel.register(half, selectors.EVENT_READ, "half")
        sel.register(silent, selectors.EVENT_READ, "silent")
        deadline = t0 + 16
        while len(closed_at) < 2 and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.01, deadline - time.monotonic())):
                try:
                    data = key.fileobj.recv(65536)
                except ConnectionResetError:
                    data = b""
                if data:
                    got[key.data] += data
                else:
                    closed_at[key.data] = time.monotonic() - t0
                    sel.unregister(key.fileobj)
        sel.close()
        assert set(closed_at) == {"half", "silent"}, f"not closed within 16 s: {closed_at}"
        for name in ("half", "silent"):
            assert 8.5 <= closed_at[name] <= 13, f"{name} closed after {closed_at[name]:.1f}s"
        r = Response(got["half"])
        assert r.status == 408, got["half"][:300]
        assert r.header("connection") == "close"
        assert got["silent"] == b""
        # the idle keep-alive connection outlived the head bound
        assert idle.request("GET", "/idle/again").status == 200
        assert not started(srv, "/half")
    finally:
        half.close()
        silent.close()
        idle.close()
