"""gunicorn's request limits: --limit-request-line (default 4094, 0 = no
limit, negative or >= 8190 becomes 8190), --limit-request-fields (default
100, <= 0 or > 32768 becomes 32768), --limit-request-field_size (default
8190, <= 0 becomes 8190). Over a limit: 400 (line) or 431 (headers), an HTML
error page with Connection: close; the app is never called and the worker
lives on."""

import pytest

from conftest import Response

HEADERS_431 = pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 answers header limits with 400 (gunicorn 26: 431) and "
    "treats a field size of 0 as unlimited (gunicorn 26: 8190)")


def request_line_of(length, method="GET"):
    """A request line of exactly `length` bytes, CRLF not counted."""
    fixed = len(f"{method} / HTTP/1.1")
    assert length >= fixed
    return f"{method} /{'a' * (length - fixed)} HTTP/1.1"


def request(line, headers=(), body=b""):
    head = line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


def header_line_of(total, name="X-Long"):
    """(name, value) whose header line is `total` bytes including CRLF."""
    value_len = total - 2 - len(name) - 2
    assert value_len >= 1
    return (name, "v" * value_len)


def assert_ok(srv, data):
    raw = srv.raw(data)
    r = Response(raw)
    assert r.status == 200, raw[:300]
    return r


def assert_rejected(srv, data, status, reason):
    """`data` gets `status` with gunicorn's HTML error page, the app is not
    called, and the same worker then serves a normal request."""
    calls = len(srv.records())
    pids = srv.workers()
    raw = srv.raw(data)
    assert raw, "connection closed without a response"
    r = Response(raw)
    assert r.status == status, raw[:300]
    if reason is not None:
        assert r.reason == reason
    assert (r.header("connection") or "").lower() == "close"
    assert (r.header("content-type") or "").startswith("text/html")
    assert r.complete and int(r.header("content-length")) == len(r.body)
    assert b"<html>" in r.body
    if reason is not None:
        assert reason.encode() in r.body
    assert len(srv.records()) == calls, "the app was called for a rejected request"
    # no Host header: it must pass the smallest field-size limit used here
    assert srv.request("GET", "/after", host=None).status == 200
    assert srv.workers() == pids, "the worker did not survive the bad request"


# ---------------------------------------------------------------- request line

@pytest.mark.parametrize("args,ok_len,bad_len", [
    ([], 4094, 4095),                                   # default
    (["--limit-request-line", "100"], 100, 101),
    (["--limit-request-line", "9000"], 8190, 8191),     # capped
])
def test_limit_request_line(shared_server, args, ok_len, bad_len):
    srv = shared_server("echo:app", args)
    assert_ok(srv, request(request_line_of(ok_len)))
    assert_rejected(srv, request(request_line_of(bad_len)), 400, "Bad Request")


def test_limit_request_line_zero_means_unlimited(shared_server):
    srv = shared_server("echo:app", ["--limit-request-line", "0"])
    r = assert_ok(srv, request(request_line_of(20000)))
    assert len(r.json()["RAW_URI"]) == 20000 - len("GET  HTTP/1.1")


def test_request_line_limit_counts_the_query(shared_server):
    srv = shared_server("echo:app", ["--limit-request-line", "100"])
    line = "GET /?" + "q" * (100 - len("GET /? HTTP/1.1")) + " HTTP/1.1"
    assert len(line) == 100
    assert_ok(srv, request(line))
    assert_rejected(srv, request(line.replace("?", "?q", 1)), 400, "Bad Request")


# ---------------------------------------------------------------- header count

def numbered_headers(n):
    return [(f"X-H{i}", str(i)) for i in range(n)]


@HEADERS_431
@pytest.mark.parametrize("args,ok_count,bad_count", [
    ([], 100, 101),                                     # default
    (["--limit-request-fields", "3"], 3, 4),
])
def test_limit_request_fields(shared_server, args, ok_count, bad_count):
    srv = shared_server("echo:app", args)
    r = assert_ok(srv, request("GET /f HTTP/1.1", numbered_headers(ok_count)))
    assert r.json()[f"HTTP_X_H{ok_count - 1}"] == str(ok_count - 1)
    assert_rejected(srv, request("GET /f HTTP/1.1", numbered_headers(bad_count)),
                    431, "Request Header Fields Too Large")


def test_limit_request_fields_zero_means_the_cap(shared_server):
    srv = shared_server("echo:app", ["--limit-request-fields", "0"])
    r = assert_ok(srv, request("GET /f HTTP/1.1", numbered_headers(150)))
    assert r.json()["HTTP_X_H149"] == "149"


@HEADERS_431
def test_limit_request_fields_is_capped_at_32768(shared_server):
    srv = shared_server("echo:app", ["--limit-request-fields", "40000"])
    assert_ok(srv, request("GET /f HTTP/1.1", numbered_headers(32768)))
    assert_rejected(srv, request("GET /f HTTP/1.1", numbered_headers(32769)),
                    431, "Request Header Fields Too Large")


# ---------------------------------------------------------------- header size

@HEADERS_431
@pytest.mark.parametrize("args,ok_size,bad_size", [
    ([], 8190, 8191),                                   # default
    (["--limit-request-field_size", "20"], 20, 21),
    (["--limit-request-field_size", "0"], 8190, 8191),  # 0 -> default
])
def test_limit_request_field_size(shared_server, args, ok_size, bad_size):
    srv = shared_server("echo:app", args)
    name, value = header_line_of(ok_size)
    r = assert_ok(srv, request("GET /s HTTP/1.1", [(name, value)]))
    assert r.json()["HTTP_X_LONG"] == value
    assert_rejected(srv, request("GET /s HTTP/1.1", [header_line_of(bad_size)]),
                    431, "Request Header Fields Too Large")


def test_limit_request_field_size_above_default_is_not_capped(shared_server):
    srv = shared_server("echo:app", ["--limit-request-field_size", "12000"])
    name, value = header_line_of(11000)
    r = assert_ok(srv, request("GET /s HTTP/1.1", [(name, value)]))
    assert r.json()["HTTP_X_LONG"] == value


@HEADERS_431
def test_limit_request_field_size_applies_to_every_header(shared_server):
    srv = shared_server("echo:app", ["--limit-request-field_size", "20"])
    headers = [("A", "1"), ("B", "2"), header_line_of(21, name="Zz")]
    assert_rejected(srv, request("GET /s HTTP/1.1", headers),
                    431, "Request Header Fields Too Large")


@pytest.mark.parametrize("flag", [
    "--limit-request-line", "--limit-request-fields", "--limit-request-field_size"])
def test_negative_limit_is_a_usage_error(run_server, flag):
    rc, log, _ = run_server("echo:app", [flag, "-1"], timeout=10)
    assert rc == 1, log
    assert "Traceback" not in log
    assert [l for l in log.splitlines() if "Value must be positive: -1" in l], log


# ---------------------------------------------------------------- malformed

NEWER = pytest.mark.gunicorn20_differs("accepted by gunicorn 20.1, refused since 22/26")

@pytest.mark.parametrize("data", [
    pytest.param(b"GET /\r\n\r\n", id="two-part-line"),
    pytest.param(b"GET / HTTP/1.1 extra\r\n\r\n", id="four-part-line"),
    pytest.param(b"GET / HTTP/3.0\r\n\r\n", id="http3", marks=NEWER),
    pytest.param(b"get / HTTP/1.1\r\n\r\n", id="lowercase-method", marks=NEWER),
    pytest.param(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", id="space-in-name"),
    pytest.param(b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", id="no-colon"),
    pytest.param(b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", id="ctl-in-value", marks=NEWER),
    pytest.param(b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", id="bad-cl"),
    pytest.param(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", id="cl-and-te"),
    pytest.param(b"GET  / HTTP/1.1\r\n\r\n", id="double-space"),
])
def test_malformed_request_is_400_and_worker_lives(shared_server, data):
    srv = shared_server("echo:app")
    assert_rejected(srv, data, 400, "Bad Request")


@pytest.mark.gunicorn20_differs("gunicorn 20.1 answers an unknown coding with 400")
def test_unknown_transfer_coding_is_501(shared_server):
    srv = shared_server("echo:app")
    # the reason phrase is not checked: gunicorn 26 says "501 Bad Request"
    assert_rejected(srv, b"POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n",
                    501, None)


@pytest.mark.gunicorn20_differs("gunicorn 20.1 does not check Expect")
def test_unknown_expectation_is_417(shared_server):
    srv = shared_server("echo:app")
    assert_rejected(srv, b"GET / HTTP/1.1\r\nExpect: something-else\r\n\r\n",
                    417, "Expectation Failed")


def test_client_closing_before_a_full_request_gets_nothing(shared_server):
    srv = shared_server("echo:app")
    calls = len(srv.records())
    pids = srv.workers()
    assert srv.raw(b"GET /partial HTTP/1.1\r\nHost: x\r\n", half_close=True) == b""
    assert len(srv.records()) == calls
    assert srv.get("/after").status == 200
    assert srv.workers() == pids
