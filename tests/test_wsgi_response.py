"""Responses: iterables of every kind, framing (Content-Length, chunked,
none), bodiless responses, Server/Date/Connection headers, header
validation, and app errors before and after the headers went out."""

import email.utils
import os
import re
import time

import pytest

from conftest import Response, ResponseStream, build_request


BEYOND = "the issue asks for more than gunicorn here"


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "sample.bin"
    path.write_bytes(os.urandom(300_000))
    return path


@pytest.fixture
def resp_server(shared_server, sample_file):
    return shared_server("responses:app", env={"QILIN_TEST_FILE": str(sample_file)})


def get(srv, path, method="GET", version="HTTP/1.1", **kw):
    r = srv.request(method, path, version=version, **kw)
    return r


def assert_connection_reused(srv, data):
    """gthread: `data` and a second request on the same connection are
    both answered (the first response said keep-alive, and meant it)."""
    with srv.connect() as s:
        stream = ResponseStream(s)
        s.sendall(data)
        first = Response(stream.read(time.monotonic() + 10))
        s.sendall(build_request("GET", "/list", host="x"))
        second = Response(stream.read(time.monotonic() + 10))
    assert first.header_all("connection") == ["keep-alive"], first.raw[:400]
    assert second.status == 200 and second.body == b"hello world", second.raw[:400]
    return first


# ---------------------------------------------------------------- iterables

def test_list_with_content_length(resp_server):
    r = get(resp_server, "/list")
    assert r.status_line == "HTTP/1.1 200 OK"
    assert r.header("content-length") == "11"
    assert r.header("transfer-encoding") is None
    assert r.rest == b"hello world"


def test_no_content_length_on_http_1_1_is_chunked(resp_server):
    r = get(resp_server, "/list_nocl")
    assert r.header("transfer-encoding") == "chunked"
    assert r.header("content-length") is None
    assert r.complete, r.rest
    assert r.body == b"hello world"
    assert r.rest.endswith(b"0\r\n\r\n")


def test_no_content_length_on_http_1_0_is_read_until_close(resp_server):
    r = get(resp_server, "/list_nocl", version="HTTP/1.0")
    assert r.status == 200
    assert r.header("transfer-encoding") is None
    assert r.rest == b"hello world"


def test_generator(resp_server):
    r = get(resp_server, "/generator")
    assert r.complete and r.body == b"part0;part1;part2;"


def test_empty_iterable_chunked(resp_server):
    r = get(resp_server, "/empty")
    assert r.status == 200
    assert r.complete and r.body == b""


def test_write_callable_then_iterable(resp_server):
    r = get(resp_server, "/write")
    assert r.complete and r.body == b"written;returned"


@pytest.mark.parametrize("path,version", [
    ("/file", "HTTP/1.1"), ("/file_nocl", "HTTP/1.1"), ("/file_nocl", "HTTP/1.0")])
def test_file_wrapper(resp_server, sample_file, path, version):
    r = get(resp_server, path, version=version)
    assert r.status == 200
    assert r.complete
    assert r.body == sample_file.read_bytes()
    if path == "/file":
        assert r.header("content-length") == str(sample_file.stat().st_size)


@pytest.mark.gunicorn20_differs("gunicorn 20.1 sendfile()s from offset 0")
def test_file_wrapper_starts_at_the_current_offset(resp_server, sample_file):
    r = get(resp_server, "/file_offset")
    assert r.complete
    assert r.body == sample_file.read_bytes()[100:]


def test_body_never_exceeds_content_length(resp_server):
    r = get(resp_server, "/cl_over")
    assert r.header("content-length") == "5"
    assert r.rest == b"01234"


def test_repeated_response_headers_are_kept(resp_server):
    r = get(resp_server, "/cookies")
    assert r.header_all("set-cookie") == ["a=1", "b=2"]


def test_response_header_values_are_trimmed(resp_server):
    r = get(resp_server, "/cookies")
    assert r.raw.count(b"\r\nX-Padded: padded\r\n") == 1


# ---------------------------------------------------------------- no body

@pytest.mark.gunicorn20_differs("gunicorn 20.1 sends the app's body after a HEAD")
def test_head_has_no_body(resp_server):
    r = get(resp_server, "/head", method="HEAD")
    assert r.status == 200
    assert r.rest == b""
    assert r.header("content-length") in (None, "5")


@pytest.mark.gunicorn20_differs("gunicorn 20.1 sends a chunked body after a HEAD")
def test_head_without_content_length_is_not_chunked(resp_server):
    r = get(resp_server, "/head_nocl", method="HEAD")
    assert r.status == 200
    assert r.rest == b""
    assert r.header("transfer-encoding") is None


@pytest.mark.parametrize("code", [
    pytest.param(204, marks=pytest.mark.gunicorn20_differs(
        "gunicorn 20.1 sends a chunked body with a 204")),
    pytest.param(304, marks=pytest.mark.gunicorn20_differs(
        "gunicorn 20.1 sends a chunked body with a 304")),
    pytest.param(103, marks=pytest.mark.gunicorn20_differs(
        "gunicorn 20.1 sends a chunked body with a 1xx")),
])
def test_bodiless_statuses(resp_server, code):
    r = get(resp_server, f"/status/{code}")
    assert r.status == code
    assert r.rest == b""
    assert r.header("transfer-encoding") is None
    if code != 304:
        assert r.header("content-length") is None


# ---------------------------------------------------------------- headers

def test_server_date_and_connection_header(resp_server, worker_kind):
    r = get(resp_server, "/list", headers=[("Connection", "keep-alive")])
    assert len(r.header_all("server")) == 1 and r.header("server")
    assert len(r.header_all("date")) == 1
    date = email.utils.parsedate_to_datetime(r.header("date"))
    assert abs(date.timestamp() - time.time()) < 60
    assert r.header("date").endswith(" GMT")
    if worker_kind == "sync":
        # sync worker: one request per connection, and it says so
        assert r.header_all("connection") == ["close"]
    else:
        # gthread keeps the connection, says so once, and means it
        assert r.header_all("connection") == ["keep-alive"]
        assert_connection_reused(resp_server, build_request(
            "GET", "/list", [("Connection", "keep-alive")], host="x"))


def test_http_1_0_keep_alive_request(resp_server, worker_kind):
    r = get(resp_server, "/list", version="HTTP/1.0",
            headers=[("Connection", "keep-alive")])
    assert r.rest == b"hello world"
    if worker_kind == "sync":
        assert r.header_all("connection") == ["close"]
    else:
        assert r.version == "HTTP/1.0"
        assert r.header_all("connection") == ["keep-alive"]
        assert_connection_reused(resp_server, build_request(
            "GET", "/list", [("Connection", "keep-alive")], version="HTTP/1.0"))


def test_app_hop_by_hop_headers_do_not_leak(resp_server, worker_kind):
    r = get(resp_server, "/hop")
    # the server's own Connection header, once; the app's are dropped
    assert r.header_all("connection") == ["close" if worker_kind == "sync" else "keep-alive"]
    assert r.header("keep-alive") is None
    assert r.rest == b"ok"


@pytest.mark.parametrize("kind", [
    "value_crlf", "value_lf", "value_cr", "value_nul",
    "name_crlf", "name_lf", "name_nul", "name_space", "name_colon"])
@pytest.mark.gunicorn20_differs(
    "gunicorn refuses these too, but its handle_error maps the InvalidHeader "
    "raised by start_response to 400; the issue asks for 500")
def test_header_injection_is_refused_with_500(resp_server, kind):
    srv = resp_server
    pids = srv.workers()
    mark = srv.log_mark()
    r = get(srv, f"/inject/{kind}")
    assert r.status == 500
    assert b"X-Injected" not in r.raw.split(b"\r\n\r\n", 1)[0]
    assert r.header("x-test") is None
    srv.wait_for_log(r"\[(ERROR|CRITICAL)\]", since=mark, timeout=5)
    assert get(srv, "/list").status == 200
    assert srv.workers() == pids


@pytest.mark.gunicorn20_differs(BEYOND + ": gunicorn sends any status text as is")
def test_invalid_status_is_refused_with_500(resp_server):
    r = get(resp_server, "/status_bad")
    assert r.status == 500


def test_start_response_by_keywords_and_its_write_callable(resp_server):
    r = get(resp_server, "/keywords")
    assert r.status == 201
    assert r.body == b"written ok"


@pytest.mark.parametrize("how, message", [
    ("unknown_keyword", "unexpected keyword argument 'colour'"),
    ("missing_headers", "missing required argument 'headers'"),
    ("twice_status", "multiple values for argument 'status'"),
    ("too_many", "takes at most 3 arguments (4 given)"),
])
def test_start_response_called_wrongly_is_a_type_error(resp_server, how, message):
    mark = resp_server.log_mark()
    r = get(resp_server, "/bad_call/" + how)
    assert r.status == 500
    resp_server.wait_for_log(r"TypeError: start_response\(\) .*" + re.escape(message), since=mark)


# ---------------------------------------------------------------- app errors

@pytest.fixture
def err_server(shared_server):
    return shared_server("errors:app")


@pytest.mark.parametrize("path,message", [
    ("/before", "Boom: qilin-test boom before start_response"),
    ("/in_iter_first", "Boom: qilin-test boom in first next()"),
])
def test_exception_before_headers_is_500_with_traceback(err_server, path, message):
    srv = err_server
    pids = srv.workers()
    mark = srv.log_mark()
    r = get(srv, path)
    assert r.status == 500
    assert r.header_all("connection") == ["close"]
    assert b"boom" not in r.raw          # no details to the client
    srv.wait_for_log(r"Traceback \(most recent call last\):", since=mark, timeout=5)
    srv.wait_for_log(message.replace("(", r"\(").replace(")", r"\)"), since=mark, timeout=5)
    assert get(srv, "/ok").rest == b"ok"
    assert srv.workers() == pids


@pytest.mark.parametrize("path,sent", [("/after", b"x" * 10), ("/after_chunked", b"first-chunk")])
def test_exception_after_headers_closes_the_connection(err_server, path, sent):
    srv = err_server
    pids = srv.workers()
    mark = srv.log_mark()
    r = get(srv, path)
    assert r.status == 200
    assert not r.complete, "the response must not look complete"
    assert r.body == sent
    srv.wait_for_log(r"qilin-test boom after", since=mark, timeout=5)
    assert get(srv, "/ok").rest == b"ok"
    assert srv.workers() == pids


def test_start_response_with_exc_info_before_headers_replaces_them(err_server):
    r = get(err_server, "/exc_replace")
    assert r.status == 503
    assert r.rest == b"replaced"


def test_start_response_twice_without_exc_info_is_an_error(err_server):
    r = get(err_server, "/exc_twice")
    assert r.status == 500
    assert b"should not be sent" not in r.raw


def test_exc_info_after_headers_reraises_the_original(err_server):
    srv = err_server
    r = get(srv, "/exc_after_sent")
    assert r.status == 200
    assert not r.complete
    assert r.body == b"partial"
    events = [e for e in srv.records() if e["path"] == "/exc_after_sent"]
    assert events[-1]["event"] == "reraised", events
    assert events[-1]["same"] is True
