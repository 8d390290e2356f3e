"""gthread request bodies: the loop reads up to 1 MiB before the app runs;
larger bodies stream through wsgi.input; chunked framing errors in the
first MiB are answered with 400 before the app is called; and the request
head survives whatever the body does to the read buffer."""

import hashlib
import os

import pytest

from gthread_support import APP, Client, req

@pytest.fixture
def body_server(start_server):
    """A fresh server per test: a connection's read buffer, once grown, is
    reused by the next connection, which would hide a regression of the
    head test below."""
    return start_server(APP, ["-k", "gthread", "--threads", "2"])


def chunked(body, piece=65536):
    out = bytearray()
    for i in range(0, len(body), piece):
        part = body[i:i + piece]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return bytes(out) + b"0\r\n\r\n"


# ---------------------------------------------------------------- the head survives

@pytest.mark.parametrize("length", [7000, 9000, 300_000, 3_000_000])
def test_request_head_survives_a_large_content_length_body(body_server, length):
    """Regression: the request line and headers the app sees are the ones
    sent, whatever the body's size. 9000 bytes is enough to grow the 8 KiB
    read buffer; qilin's first gthread worker (97a5586) left the head's
    views pointing into the freed buffer (garbage REQUEST_METHOD and
    PATH_INFO)."""
    with Client(body_server, timeout=20) as c:
        r = c.request("POST", "/env?q=yes", [("X-Custom", "kept")], body=b"z" * length)
        env = r.json()
        assert (env["method"], env["path"], env["query"]) == ("POST", "/env", "q=yes")
        assert env["x_custom"] == "kept"
        assert env["content_length"] == str(length)
        assert env["body_len"] == length
        # and the next request on the connection is whole too
        env = c.request("GET", "/env?second").json()
        assert (env["method"], env["path"], env["query"]) == ("GET", "/env", "second")


@pytest.mark.parametrize("threads", ["1", "2"])
def test_request_head_larger_than_one_read_is_read_whole(start_server, threads):
    """A 20 KiB head sent at once: the first read takes 8 KiB, and the loop,
    edge-triggered, is not told again about the bytes already there. It
    must read on by itself, for a fresh connection and a kept-alive one."""
    srv = start_server(APP, ["-k", "gthread", "--threads", threads])
    headers = [(f"X-Filler-{i}", "f" * 4000) for i in range(5)] + [("X-Custom", "kept")]
    with Client(srv, timeout=5) as c:
        for _ in range(2):
            env = c.request("GET", "/env?big", headers).json()
            assert (env["path"], env["query"], env["x_custom"]) == ("/env", "big", "kept")


# ---------------------------------------------------------------- bodies over 1 MiB

@pytest.mark.parametrize("framing", ["cl", "chunked"])
@pytest.mark.parametrize("megabytes", [3])
def test_body_over_the_prefetch_bound_streams_through_wsgi_input(body_server, framing,
                                                                 megabytes):
    body = os.urandom(megabytes << 20)
    if framing == "cl":
        data = req("POST", "/read", body=body)
    else:
        data = req("POST", "/read", [("Transfer-Encoding", "chunked")], chunked(body))
    with Client(body_server, timeout=30) as c:
        c.send(data)
        r = c.read()
        assert r.status == 200, r.raw[:300]
        out = r.json()
        assert out == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        assert c.request("GET", "/after").body == b"ok GET /after\n"


# ---------------------------------------------------------------- chunked errors

BAD_CHUNKED = {
    "bad_size": b"5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n",
    "no_crlf_after_data": b"5\r\nhelloXX6\r\n world\r\n0\r\n\r\n",
    "negative_size": b"-5\r\nhello\r\n0\r\n\r\n",
    "size_overflow": b"fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "bare_cr_in_extension": b"5;ext=val\rue\r\nhello\r\n0\r\n\r\n",
    "after_512k_of_good_chunks": chunked(b"g" * (512 << 10))[:-5] + b"q\r\nbad\r\n0\r\n\r\n",
}


@pytest.mark.gunicorn20_differs(
    "gunicorn finds chunked framing errors only while the app reads wsgi.input")
@pytest.mark.parametrize("case", sorted(BAD_CHUNKED))
def test_chunked_framing_error_in_the_first_mib_is_400_before_the_app(start_server, case):
    srv = start_server(APP, ["-k", "gthread", "--threads", "2"])
    data = req("POST", "/read", [("Transfer-Encoding", "chunked")], BAD_CHUNKED[case])
    with Client(srv) as c:
        c.send(data)
        r = c.read()
        assert r.status == 400, r.raw[:300]
        assert r.header("connection") == "close"
        assert c.eof_within(3)
    assert srv.records() == [], "the app was called for a request with a broken body"
    assert srv.record_path.exists() is False or srv.record_path.read_text() == ""
