"""The WSGI environ, PEP 3333 and gunicorn's extras, seen by a real app."""

import time

import pytest

from conftest import Response, build_request


def echo(srv, method="GET", path="/", headers=None, body=b"", version="HTTP/1.1", **kw):
    r = srv.request(method, path, headers, body, version, **kw)
    assert r.status == 200, r.raw[:500]
    return r.json()


# ---------------------------------------------------------------- keys

PEP3333_CGI_KEYS = ["REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
                    "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL"]
WSGI_KEYS = ["wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
             "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
             "wsgi.input_terminated", "wsgi.file_wrapper"]


def test_every_required_key(shared_server, worker_kind):
    srv = shared_server("echo:app")
    env = echo(srv, "GET", "/some/path?x=1")
    flags = env["_flags"]
    for key in PEP3333_CGI_KEYS + ["REMOTE_ADDR", "REMOTE_PORT", "RAW_URI"]:
        assert key in env, key
    for key in WSGI_KEYS:
        assert key in flags["keys"], key
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/some/path"
    assert env["QUERY_STRING"] == "x=1"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["RAW_URI"] == "/some/path?x=1"
    assert env.get("SERVER_SOFTWARE")
    assert flags["environ_is_dict"] is True
    assert flags["wsgi.version"] == [1, 0] and flags["wsgi.version_is_tuple"]
    assert flags["wsgi.url_scheme"] == "http"
    # gthread runs the app on a pool of 4 threads
    assert flags["wsgi.multithread"] is (worker_kind == "gthread")
    assert flags["wsgi.multiprocess"] is False          # one worker
    assert flags["wsgi.run_once"] is False
    assert flags["wsgi.input_terminated"] is True
    assert flags["input_methods"] == ["read", "readline", "readlines", "__iter__"]
    assert flags["errors_methods"] == ["write", "writelines", "flush"]
    assert flags["file_wrapper_callable"] is True
    assert flags["non_str_cgi_keys"] == []             # native strings only


def test_multiprocess_is_true_with_several_workers(shared_server):
    srv = shared_server("echo:app", ["-w", "2"])
    assert echo(srv)["_flags"]["wsgi.multiprocess"] is True


def test_server_name_and_port_come_from_the_listener(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, headers=[("Host", "example.com:9999")], host=None)
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(srv.port)
    assert env["HTTP_HOST"] == "example.com:9999"


def test_remote_addr_and_port(shared_server):
    srv = shared_server("echo:app")
    with srv.connect() as s:
        local_port = s.getsockname()[1]
        s.sendall(build_request("GET", "/", host="x"))
        raw = srv.read_response(s, time.monotonic() + 10)
    env = Response(raw).json()
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] == str(local_port)


def test_http_1_0_protocol(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, "GET", "/old", version="HTTP/1.0", host=None)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert "HTTP_HOST" not in env


@pytest.mark.parametrize("method", ["PURGE", "M-SEARCH", "PROPFIND", "DELETE"])
def test_method_is_passed_through(shared_server, method):
    srv = shared_server("echo:app")
    assert echo(srv, method, "/m")["REQUEST_METHOD"] == method


# ---------------------------------------------------------------- paths

@pytest.mark.parametrize("target,path_info", [
    ("/a%20b", "/a b"),
    ("/caf%C3%A9", "/caf\u00c3\u00a9"),        # UTF-8 bytes carried as latin-1
    ("/%e9t%E9", "/\u00e9t\u00e9"),
    ("/x%2Fy", "/x/y"),
    ("/plus+sign", "/plus+sign"),
    ("/%7Euser", "/~user"),
    ("/bad%zzescape", "/bad%zzescape"),
    ("///keeping//slashes", "///keeping//slashes"),
])
def test_path_info_is_percent_decoded_latin1(shared_server, target, path_info):
    srv = shared_server("echo:app")
    env = echo(srv, "GET", target + "?q=%41")
    assert env["PATH_INFO"] == path_info
    assert env["RAW_URI"] == target + "?q=%41"
    assert env["QUERY_STRING"] == "q=%41"


@pytest.mark.gunicorn20_differs(
    "gunicorn (20.1 and 26) runs unquote_to_bytes on the latin-1 text, which "
    "re-encodes it as UTF-8: raw bytes C3 A0 become '\\xc3\\x83\\xc2\\xa0'. PEP 3333 "
    "wants each byte as one latin-1 character")
def test_raw_non_ascii_bytes_in_path_are_latin1(shared_server):
    srv = shared_server("echo:app")
    raw = srv.raw(b"GET /\xc3\xa0-\xff HTTP/1.1\r\nHost: x\r\n\r\n")
    env = Response(raw).json()
    assert env["PATH_INFO"] == "/\u00c3\u00a0-\u00ff"
    assert env["RAW_URI"] == "/\u00c3\u00a0-\u00ff"


@pytest.mark.parametrize("target,query", [
    ("/p", ""),
    ("/p?", ""),
    ("/p?a=1&b=%20&c", "a=1&b=%20&c"),
    ("/p?x=1#frag", "x=1"),
    ('/with_"quotes"?foo="bar"', 'foo="bar"'),
])
def test_query_string(shared_server, target, query):
    srv = shared_server("echo:app")
    env = echo(srv, "GET", target)
    assert env["QUERY_STRING"] == query
    assert env["RAW_URI"] == target


def test_absolute_form_target(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, "GET", "http://example.com:8080/abs/path?q=1",
               headers=[("Host", "example.com:8080")], host=None)
    assert env["PATH_INFO"] == "/abs/path"
    assert env["QUERY_STRING"] == "q=1"
    assert env["RAW_URI"] == "http://example.com:8080/abs/path?q=1"


def test_options_asterisk(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, "OPTIONS", "*")
    assert env["REQUEST_METHOD"] == "OPTIONS"
    assert env["RAW_URI"] == "*"
    assert env["PATH_INFO"] == "*"


# ---------------------------------------------------------------- SCRIPT_NAME

@pytest.mark.parametrize("target,path_info", [
    ("/app/foo/bar?q=1", "/foo/bar"),
    ("/app", ""),
    ("/app/", "/"),
    ("/app/a%20b", "/a b"),
])
def test_script_name_from_process_environment(shared_server, target, path_info):
    srv = shared_server("echo:app", env={"SCRIPT_NAME": "/app"})
    env = echo(srv, "GET", target)
    assert env["SCRIPT_NAME"] == "/app"
    assert env["PATH_INFO"] == path_info


def test_path_outside_script_name_is_500(shared_server):
    srv = shared_server("echo:app", env={"SCRIPT_NAME": "/app"})
    calls = len(srv.records())
    r = srv.get("/other/path")
    assert r.status == 500
    assert len(srv.records()) == calls


# ---------------------------------------------------------------- headers

def test_content_type_and_length_have_no_http_prefix(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, "POST", "/post", headers=[("Content-Type", "text/plain; charset=utf-8")],
               body=b"hello")
    assert env["CONTENT_TYPE"] == "text/plain; charset=utf-8"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["_body"] == "hello"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env


def test_no_body_means_no_content_length(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, "GET", "/")
    assert env.get("CONTENT_LENGTH", "") == ""
    assert env.get("CONTENT_TYPE", "") == ""
    assert "HTTP_CONTENT_LENGTH" not in env


def test_repeated_headers_are_joined_with_commas(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, headers=[("X-Multi", "a"), ("x-multi", "b"), ("X-MULTI", "c d"),
                             ("Accept", "text/html"), ("Accept", "*/*")])
    assert env["HTTP_X_MULTI"] == "a,b,c d"
    assert env["HTTP_ACCEPT"] == "text/html,*/*"


def test_header_names_and_values(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, headers=[("x-MiXeD-Case-Name", "v1"), ("X-Padded", "  value"),
                             ("X-Inner", "a  b"), ("X-Empty", ""),
                             ("X-Latin1", "caf\u00e9")])
    assert env["HTTP_X_MIXED_CASE_NAME"] == "v1"
    assert env["HTTP_X_PADDED"] == "value"
    assert env["HTTP_X_INNER"] == "a  b"
    assert env["HTTP_X_EMPTY"] == ""
    assert env["HTTP_X_LATIN1"] == "caf\u00e9"


@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 keeps trailing whitespace; gunicorn 26 strips SP and HTAB")
def test_header_value_whitespace_is_trimmed(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, headers=[("X-Padded", " \t value \t "), ("X-Trail", "v  ")])
    assert env["HTTP_X_PADDED"] == "value"
    assert env["HTTP_X_TRAIL"] == "v"


@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 maps X_Under to HTTP_X_UNDER too; since 22.0 it is dropped")
def test_underscore_header_is_dropped(shared_server):
    srv = shared_server("echo:app")
    env = echo(srv, headers=[("X_Under", "smuggled"), ("X-Under", "real")])
    assert env["HTTP_X_UNDER"] == "real"


def test_wsgi_errors_writes_to_the_error_log(shared_server):
    srv = shared_server("echo:app")
    echo(srv, "GET", "/?errors-write")
    srv.wait_for_log(r"qilin-test: hello from wsgi\.errors", timeout=5)
