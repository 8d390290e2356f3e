"""Error paths, chosen by PATH_INFO:

  /before            raises before start_response            -> 500
  /in_iter_first     start_response, then the iterable raises before
                     yielding anything (headers not sent yet) -> 500
  /after             Content-Length 100, sends 10 bytes, raises -> closed
  /after_chunked     no Content-Length, sends a chunk, raises   -> closed
  /exc_replace       start_response, then start_response(..., exc_info)
                     before anything was sent: the new status wins
  /exc_twice         start_response twice without exc_info     -> 500
  /exc_after_sent    after the headers went out, start_response with
                     exc_info must re-raise that very exception
  /ok                200
"""
import sys

from _support import record


class Boom(Exception):
    pass


def app(environ, start_response):
    path = environ["PATH_INFO"]
    record("start", environ)

    if path == "/before":
        raise Boom("qilin-test boom before start_response")

    if path == "/in_iter_first":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen():
            raise Boom("qilin-test boom in first next()")
            yield b"never"
        return gen()

    if path == "/after":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "100")])

        def gen():
            yield b"x" * 10
            raise Boom("qilin-test boom after headers")
        return gen()

    if path == "/after_chunked":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen():
            yield b"first-chunk"
            raise Boom("qilin-test boom after first chunk")
        return gen()

    if path == "/exc_replace":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise Boom("handled")
        except Boom:
            start_response("503 Service Unavailable",
                           [("Content-Type", "text/plain"),
                            ("Content-Length", "8")], sys.exc_info())
        return [b"replaced"]

    if path == "/exc_twice":
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"should not be sent"]

    if path == "/exc_after_sent":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"partial")
        original = Boom("qilin-test original error")
        try:
            raise original
        except Boom:
            try:
                start_response("500 Internal Server Error",
                               [("Content-Type", "text/plain")], sys.exc_info())
            except Boom as again:
                record("reraised", environ, same=again is original)
                raise
            record("not_reraised", environ)
        return [b"should not be reached"]

    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", "2")])
    return [b"ok"]
