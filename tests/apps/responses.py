"""Response variants, chosen by PATH_INFO (see each branch)."""
import os

from _support import record

BAD_HEADERS = {
    # name: (header name, header value) that must be refused with a 500
    "value_crlf": ("X-Test", "a\r\nX-Injected: yes"),
    "value_lf": ("X-Test", "a\nX-Injected: yes"),
    "value_cr": ("X-Test", "a\rX-Injected: yes"),
    "value_nul": ("X-Test", "a\x00b"),
    "name_crlf": ("X-Test\r\nX-Injected", "yes"),
    "name_lf": ("X-Test\nX-Injected", "yes"),
    "name_nul": ("X-Te\x00st", "yes"),
    "name_space": ("X Test", "yes"),
    "name_colon": ("X-Test:", "yes"),
}


def _file_path():
    return os.environ["QILIN_TEST_FILE"]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    record("start", environ)

    if path == "/list":
        body = [b"hello ", b"world"]
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "11")])
        return body

    if path == "/list_nocl":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello ", b"", b"world"]

    if path == "/generator":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen():
            for i in range(3):
                yield b"part%d;" % i
        return gen()

    if path == "/empty":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return []

    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written;")
        return [b"returned"]

    if path == "/file":
        f = open(_file_path(), "rb")
        size = os.path.getsize(_file_path())
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(size))])
        return environ["wsgi.file_wrapper"](f, 8192)

    if path == "/file_nocl":
        f = open(_file_path(), "rb")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f, 8192)

    if path == "/file_offset":
        f = open(_file_path(), "rb")
        f.seek(100)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f, 8192)

    if path == "/cl_over":
        # declares 5 bytes, returns 10: only 5 may go out
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "5")])
        return [b"0123456789"]

    if path == "/hop":
        # hop-by-hop headers from the app must not break the framing
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "2"),
                                  ("Connection", "keep-alive"),
                                  ("Keep-Alive", "timeout=99")])
        return [b"ok"]

    if path == "/cookies":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "2"),
                                  ("Set-Cookie", "a=1"),
                                  ("Set-Cookie", "b=2"),
                                  ("X-Padded", " \tpadded\t ")])
        return [b"ok"]

    if path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        start_response("%d Test Status" % code, [("Content-Type", "text/plain")])
        return [b"this body must not be sent"]

    if path == "/head":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "5")])
        return [b"hello"]

    if path == "/head_nocl":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    if path.startswith("/inject/"):
        name, value = BAD_HEADERS[path.rsplit("/", 1)[1]]
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "2"), (name, value)])
        return [b"ok"]

    if path == "/keywords":  # PEP 3333 names the parameters; a caller may use them
        write = start_response(status="201 Created",
                               headers=[("Content-Type", "text/plain"), ("Content-Length", "10")],
                               exc_info=None)
        write(b"written ")
        return [b"ok"]

    if path.startswith("/bad_call/"):  # start_response called wrongly: a TypeError, a 500
        how = path.rsplit("/", 1)[1]
        if how == "unknown_keyword":
            start_response("200 OK", [], colour="blue")
        elif how == "missing_headers":
            start_response("200 OK")
        elif how == "twice_status":
            start_response("200 OK", [], status="200 OK")
        elif how == "too_many":
            start_response("200 OK", [], None, None)
        return [b"never"]

    if path == "/status_bad":
        start_response("not a status", [("Content-Length", "2")])
        return [b"ok"]

    start_response("404 Not Found", [("Content-Type", "text/plain"),
                                     ("Content-Length", "9")])
    return [b"not found"]
