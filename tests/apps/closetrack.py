"""Every response is an iterable whose close() appends "<tag> <how>" to
QILIN_TEST_CLOSE_LOG, so a test can check close() was called. The tag is the
query string. PATH_INFO chooses the body:

  /ok            two small parts, Content-Length set
  /raise_first   raises on the first next() (headers not sent yet)
  /raise_later   sends a part, then raises (headers already sent)
  /big           ~64 MiB in 64 KiB parts, slowly, for client disconnects
  /read_body     reads the whole request body first (for disconnects
                 mid-body: the outcome is recorded, the app answers anyway)
"""
import os
import time

from _support import append_line, record


class Tracked:
    def __init__(self, tag, parts, raise_at=None, delay=0.0):
        self.tag = tag
        self.parts = parts
        self.raise_at = raise_at
        self.delay = delay
        self.sent = 0

    def __iter__(self):
        for i, part in enumerate(self.parts):
            if i == self.raise_at:
                raise RuntimeError("qilin-test closetrack raise at %d" % i)
            if self.delay:
                time.sleep(self.delay)
            self.sent += 1
            yield part

    def close(self):
        append_line("QILIN_TEST_CLOSE_LOG", "%s closed-after-%d pid=%d"
                    % (self.tag, self.sent, os.getpid()))


def app(environ, start_response):
    path = environ["PATH_INFO"]
    tag = environ.get("QUERY_STRING") or "untagged"
    record("start", environ, tag=tag)

    if path == "/ok":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "10")])
        return Tracked(tag, [b"hello", b"world"])

    if path == "/raise_first":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Tracked(tag, [b"never"], raise_at=0)

    if path == "/raise_later":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Tracked(tag, [b"first", b"second"], raise_at=1)

    if path == "/big":
        part = b"z" * 65536
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(part) * 1024))])
        return Tracked(tag, [part] * 1024, delay=0.002)

    if path == "/read_body":
        inp = environ["wsgi.input"]
        total = 0
        outcome = "complete"
        try:
            while True:
                chunk = inp.read(8192)
                if not chunk:
                    break
                total += len(chunk)
        except Exception as e:  # a disconnect may surface as an exception
            outcome = "exception " + type(e).__name__
        expected = int(environ.get("CONTENT_LENGTH") or 0)
        if outcome == "complete" and total < expected:
            outcome = "short"
        record("body", environ, tag=tag, outcome=outcome, total=total)
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "4")])
        return Tracked(tag, [b"done"])

    start_response("404 Not Found", [("Content-Length", "0")])
    return Tracked(tag, [])
