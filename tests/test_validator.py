"""An app wrapped in wsgiref.validate.validator: a representative set of
requests, and not one assertion or WSGI warning in the error log."""

import pytest

from conftest import Response

REQUESTS = {
    "get": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "get-query": b"GET /path/x?a=1&b=%20 HTTP/1.1\r\nHost: x\r\n\r\n",
    "get-encoded": b"GET /caf%C3%A9/a%20b HTTP/1.1\r\nHost: x\r\n\r\n",
    "get-1.0": b"GET /old HTTP/1.0\r\n\r\n",
    "head": b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
    "post-cl": b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
               b"\r\nContent-Length: 7\r\n\r\na=1&b=2",
    "post-chunked": b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
    "post-lines": b"POST /lines HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\none\ntwo\nthree",
    "put-empty": b"PUT /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "expect": b"POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nxyz",
    "headers": b"GET /h HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-A: 2\r\nCookie: c=1\r\n\r\n",
    "absolute": b"GET http://example.com/abs?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "chunked-out": b"GET /chunked-out HTTP/1.1\r\nHost: x\r\n\r\n",
    "write": b"GET /write HTTP/1.1\r\nHost: x\r\n\r\n",
    "file": b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n",
}

EXPECTED_BODY = {
    "get": b"GET / 0\n",
    "post-cl": b"POST /form 7\n",
    "post-chunked": b"POST /up 5\n",
    "post-lines": b"POST /lines 12\n",
    "get-encoded": "GET /caf\u00c3\u00a9/a b 0\n".encode("latin-1"),
    "chunked-out": b"GET /chunked-out 0\nmore\n",
    "write": b"via write\nGET /write 0\n",
    "file": b"file-wrapper-body",
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_validator_finds_nothing(shared_server, name):
    srv = shared_server("validated:app")
    mark = srv.log_mark()
    r = Response(srv.raw(REQUESTS[name]))
    assert r.status == 200, r.raw[:500]
    if name in EXPECTED_BODY:
        assert r.body == EXPECTED_BODY[name]
    # the next request is served once the previous one is fully cleaned up
    # (iterable closed and collected: the validator checks that on __del__)
    assert Response(srv.raw(REQUESTS["get"])).status == 200
    new = srv.log_since(mark)
    for bad in ("AssertionError", "WSGIWarning", "Traceback", "Exception ignored"):
        assert bad not in new, new
