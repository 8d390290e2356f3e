"""wsgi.input: every read method over Content-Length and chunked bodies,
trailers, Expect: 100-continue, bodies left unread, and streaming of large
uploads (the worker must not hold the whole body in memory)."""

import hashlib
import os
import socket
import threading
import time

import pytest

from conftest import Response, proc_status_kb

BODY = (b"line one\n"
        b"line two is a little longer than the first\n"
        b"\n"
        b"caf\xc3\xa9 \xff binary\x00nul\r\n"
        b"last line without a newline")


def chunked(body, sizes=(5, 1, 17, 3), trailers=b"", ext_every=3):
    """Chunked encoding of `body` with varied chunk sizes and extensions."""
    out = bytearray()
    pos = i = 0
    while pos < len(body):
        size = sizes[i % len(sizes)]
        piece = body[pos:pos + size]
        ext = b";ext=%d" % i if i % ext_every == 2 else b""
        out += b"%x%s\r\n%s\r\n" % (len(piece), ext, piece)
        pos += size
        i += 1
    out += b"0\r\n" + trailers + b"\r\n"
    return bytes(out)


def post(srv, path, body, framing, extra_headers=b""):
    if framing == "cl":
        head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n" % (
            path.encode(), len(body), extra_headers)
        data = head + body
    else:
        head = b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n%s\r\n" % (
            path.encode(), extra_headers)
        data = head + chunked(body, trailers=b"X-Trailer: t\r\n")
    r = Response(srv.raw(data, timeout=30))
    assert r.status == 200, r.raw[:400]
    return r.json()


def expected_lines(body):
    return body.splitlines(keepends=True)


FRAMINGS = ["cl", "chunked"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_read(shared_server, framing):
    out = post(shared_server("body:app"), "/read", BODY, framing)
    assert out["body"].encode("latin-1") == BODY
    assert out["after"] == ""
    assert out["piece_types"] == ["bytes"]


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("n", [1, 7, 4096])
def test_read_n(shared_server, framing, n):
    out = post(shared_server("body:app"), f"/read_n/{n}", BODY, framing)
    assert out["body"].encode("latin-1") == BODY
    assert all(0 < p <= n for p in out["pieces"]), out["pieces"]
    assert out["after"] == ""


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("mode", ["readline", "readlines", "iter"])
def test_line_reading(shared_server, framing, mode):
    out = post(shared_server("body:app"), f"/{mode}", BODY, framing)
    assert out["body"].encode("latin-1") == BODY
    assert out["pieces"] == [len(l) for l in expected_lines(BODY)]
    assert not any(out["pieces_inner_nl"])
    assert out["after"] == ""


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("n", [1, 5, 1000])
def test_readline_n(shared_server, framing, n):
    out = post(shared_server("body:app"), f"/readline_n/{n}", BODY, framing)
    assert out["body"].encode("latin-1") == BODY
    assert all(0 < p <= n for p in out["pieces"]), out["pieces"]
    assert not any(out["pieces_inner_nl"])
    assert out["after"] == ""
    # a piece shorter than n must end a line (or the body)
    ends = out["pieces_end_nl"]
    for i, size in enumerate(out["pieces"][:-1]):
        assert size == n or ends[i], (i, size)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_long_line_and_large_body(shared_server, framing):
    body = b"x" * 300_000 + b"\n" + os.urandom(700_000).replace(b"\n", b"n") + b"\n" + b"tail"
    srv = shared_server("body:app")
    out = post(srv, "/readline", body, framing)
    assert out["body"].encode("latin-1") == body
    assert out["pieces"] == [300_001, 700_001, 4]


def test_empty_body(shared_server):
    srv = shared_server("body:app")
    for framing in FRAMINGS:
        out = post(srv, "/read", b"", framing)
        assert out["body"] == "" and out["after"] == ""


def test_body_stops_at_content_length(shared_server):
    srv = shared_server("body:app")
    data = b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloEXTRA-BYTES"
    r = Response(srv.raw(data))
    assert r.json()["body"] == "hello"


def test_chunked_body_with_trailers_and_extensions(shared_server):
    srv = shared_server("echo:app")
    data = (b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=value;quoted=\"a b\"\r\nhello\r\n"
            b"000006\r\n world\r\n"
            b"A\r\n0123456789\r\n"
            b"0\r\nX-Trailer-One: 1\r\nX-Trailer-Two: 2\r\n\r\n")
    env = Response(srv.raw(data)).json()
    assert env["_body"] == "hello world0123456789"
    assert env.get("CONTENT_LENGTH", "") == ""
    assert env["HTTP_TRANSFER_ENCODING"] == "chunked"


# ---------------------------------------------------------------- 100-continue

def test_expect_100_continue(shared_server):
    srv = shared_server("echo:app")
    body = b"the body after the interim response"
    head = (b"POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with srv.connect() as s:
        s.sendall(head)
        # the interim response must come before we send the body
        interim = b""
        deadline = time.monotonic() + 5
        while b"\r\n\r\n" not in interim:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = s.recv(4096)
            except socket.timeout:
                raise AssertionError(f"no 100 Continue before the body; got {interim!r}")
            if not data:
                raise AssertionError(f"closed before 100 Continue; got {interim!r}")
            interim += data
        first, _, leftover = interim.partition(b"\r\n\r\n")
        assert first == b"HTTP/1.1 100 Continue", interim
        assert leftover == b""
        s.sendall(body)
        raw = srv.read_response(s, time.monotonic() + 10)
    r = Response(raw)
    assert r.status == 200
    assert r.json()["_body"] == body.decode()


@pytest.mark.gunicorn20_differs("gunicorn 20.1 answers 100-continue on HTTP/1.0 too")
def test_expect_100_continue_is_ignored_for_http_1_0(shared_server):
    srv = shared_server("echo:app")
    data = (b"POST /expect HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody")
    raw = srv.raw(data)
    assert not raw.startswith(b"HTTP/1.1 100"), raw[:100]
    assert Response(raw).json()["_body"] == "body"


# ---------------------------------------------------------------- unread bodies

@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("mode", ["none", "partial/10"])
def test_body_left_unread_breaks_nothing(shared_server, framing, mode):
    srv = shared_server("body:app")
    pids = srv.workers()
    body = os.urandom(256 * 1024)
    out = post(srv, f"/{mode}", body, framing)
    assert out["mode"] == mode.split("/")[0]
    # the next request on the same worker is fine
    out = post(srv, "/read", b"next", "cl")
    assert out["body"] == "next"
    assert srv.workers() == pids


# ---------------------------------------------------------------- streaming

def stream_upload(srv, total, framing, piece=1 << 20):
    """Send `total` random-ish bytes without holding them all; return
    (response, sha256)."""
    h = hashlib.sha256()
    block = os.urandom(piece)
    if framing == "cl":
        head = b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total
    else:
        head = b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    result = {}
    with srv.connect(timeout=60) as s:
        def reader():
            try:
                result["raw"] = srv.read_response(s, time.monotonic() + 60)
            except Exception as e:  # reported below
                result["error"] = e
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        s.sendall(head)
        sent = 0
        while sent < total:
            n = min(piece, total - sent)
            data = block[:n]
            h.update(data)
            s.sendall(data if framing == "cl" else b"%x\r\n%s\r\n" % (n, data))
            sent += n
        if framing == "chunked":
            s.sendall(b"0\r\n\r\n")
        t.join(60)
    assert "error" not in result, result.get("error")
    return Response(result["raw"]), h.hexdigest()


@pytest.mark.parametrize("framing,megabytes", [("cl", 50), ("chunked", 30)])
def test_large_upload_is_streamed(start_server, framing, megabytes):
    srv = start_server("upload:app")
    (worker,) = srv.workers()
    assert srv.get("/warmup").status == 200     # app imported, steady state
    rss_before = proc_status_kb(worker, "VmRSS")
    total = megabytes << 20
    r, digest = stream_upload(srv, total, framing)
    out = r.json()
    assert out["pid"] == worker
    assert out["length"] == total
    assert out["sha256"] == digest
    grown_kb = max(out["hwm_kb"], out["rss_max_kb"]) - rss_before
    assert grown_kb < 20 * 1024, (
        f"worker grew by {grown_kb} kB for a {megabytes} MB upload: the body "
        f"was buffered (RSS before {rss_before} kB, after {out})")
