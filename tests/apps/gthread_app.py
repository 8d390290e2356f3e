"""The gthread tests' app. PATH_INFO chooses the answer:

  /sleep/S        sleeps S seconds (float), then answers like the default
  /env            JSON: wsgi.multithread/multiprocess, thread, pid, REMOTE_PORT
  /gen/N          a generator of N bytes in 64 KiB pieces, Content-Length set;
  /gen_nocl/N     the same without Content-Length (chunked). Piece i is
                  piece_bytes(i)[:size]. close() records how much went out.
  /big/N          one N-byte bytes object (a list body)
  /big_iter/N     the same through an iterator (as Django's responses)
  /write/N        the /gen/N bytes through start_response's write(), in one
                  temporary bytes object, and an empty iterable
  /ignore         never touches wsgi.input
  /read           reads wsgi.input to the end: JSON length and sha256
  /short_cl       declares Content-Length 10 and sends 5 bytes
  /app_close      sets Connection: close itself
  /error          raises before start_response (a 500)
  /file, /file_nocl   wsgi.file_wrapper over $QILIN_TEST_FILE, with and
                  without Content-Length
  anything else   "ok METHOD RAW_URI\\n", Content-Length set

Every call is recorded ("start", with the raw URI) before anything else, so
a test can tell whether, and in what order, the app ran.
"""
import hashlib
import json
import os
import threading
import time

from _support import record

PIECE = 65536


def piece_bytes(i):
    """The i-th 64 KiB piece of a /gen body (tests rebuild it to check)."""
    return (b"%07d\n" % i) * (PIECE // 8)


def _text(start_response, body, status="200 OK", extra=()):
    start_response(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(body))),
                            ("X-Worker-Pid", str(os.getpid()))] + list(extra))
    return [body]


class Generated:
    def __init__(self, environ, total):
        self.environ = environ
        self.total = total
        self.sent = 0

    def __iter__(self):
        i = 0
        while self.sent < self.total:
            piece = piece_bytes(i)[:self.total - self.sent]
            self.sent += len(piece)
            i += 1
            yield piece

    def close(self):
        record("closed", self.environ, sent=self.sent, at=time.time())


def app(environ, start_response):
    path = environ["PATH_INFO"]
    record("start", environ, at=time.time())
    ok = b"ok %s %s\n" % (environ["REQUEST_METHOD"].encode(),
                         environ.get("RAW_URI", path).encode("latin-1"))

    if path.startswith("/sleep/"):
        seconds = float(path.rsplit("/", 1)[1])
        time.sleep(seconds)
        record("done", environ, at=time.time())
        return _text(start_response, ok)

    if path == "/env":
        body = json.dumps({
            "multithread": environ["wsgi.multithread"],
            "multiprocess": environ["wsgi.multiprocess"],
            "main_thread": threading.current_thread() is threading.main_thread(),
            "thread": threading.get_ident(),
            "pid": os.getpid(),
            "remote_port": environ.get("REMOTE_PORT"),
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "x_custom": environ.get("HTTP_X_CUSTOM"),
            "content_length": environ.get("CONTENT_LENGTH", ""),
            "body_len": len(environ["wsgi.input"].read()),
        }).encode()
        return _text(start_response, body)

    if path.startswith("/gen/") or path.startswith("/gen_nocl/"):
        total = int(path.rsplit("/", 1)[1])
        headers = [("Content-Type", "application/octet-stream"),
                   ("X-Worker-Pid", str(os.getpid()))]
        if path.startswith("/gen/"):
            headers.append(("Content-Length", str(total)))
        start_response("200 OK", headers)
        return Generated(environ, total)

    if path.startswith("/big/"):
        n = int(path.rsplit("/", 1)[1])
        return _text(start_response, b"b" * n)

    if path.startswith("/write/"):
        n = int(path.rsplit("/", 1)[1])
        write = start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                          ("Content-Length", str(n))])
        write(b"".join(piece_bytes(i) for i in range(n // PIECE + 1))[:n])
        return []

    if path.startswith("/big_iter/"):
        n = int(path.rsplit("/", 1)[1])
        return iter(_text(start_response, b"b" * n))

    if path == "/ignore":
        return _text(start_response, ok)

    if path == "/read":
        inp = environ["wsgi.input"]
        h = hashlib.sha256()
        total = 0
        while True:
            chunk = inp.read(65536)
            if not chunk:
                break
            h.update(chunk)
            total += len(chunk)
        record("read", environ, length=total)
        body = json.dumps({"length": total, "sha256": h.hexdigest()}).encode()
        return _text(start_response, body)

    if path == "/short_cl":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"short"]

    if path == "/app_close":
        return _text(start_response, ok, extra=[("Connection", "close")])

    if path == "/error":
        raise RuntimeError("qilin-test gthread error before start_response")

    if path in ("/file", "/file_nocl"):
        name = os.environ["QILIN_TEST_FILE"]
        headers = [("Content-Type", "application/octet-stream")]
        if path == "/file":
            headers.append(("Content-Length", str(os.path.getsize(name))))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](open(name, "rb"), 65536)

    return _text(start_response, ok)
