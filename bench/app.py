"""The benchmark app, the same for every Python server that bench/run.sh drives.

    GET  /       hello world: 13-byte body, Content-Type text/plain, Content-Length
    GET  /big    a 1 MiB body from memory, one chunk
    POST /body   reads the whole request body from wsgi.input in 64 KiB reads and answers
                 with the number of bytes read (400 if it is not Content-Length)
    GET  /file   the file named by $BENCH_FILE (bench/run.sh makes a 16 MiB one) through
                 wsgi.file_wrapper, with Content-Length
    GET  /sleep  sleeps 10 ms, then hello world
"""

import os
import time

HELLO = b"Hello, World!"
HELLO_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO)))]
BIG = b"x" * (1 << 20)
READ_SIZE = 1 << 16


def hello(environ, start_response):
    start_response("200 OK", HELLO_HEADERS)
    return [HELLO]


def big(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(BIG)))])
    return [BIG]


def body(environ, start_response):
    expected = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    total = 0
    while total < expected:
        chunk = stream.read(min(READ_SIZE, expected - total))
        if not chunk:
            break
        total += len(chunk)
    text = str(total).encode()
    start_response("200 OK" if total == expected else "400 Bad Request",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))])
    return [text]


def file(environ, start_response):
    path = os.environ.get("BENCH_FILE")
    if not path:
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return [b""]
    f = open(path, "rb")
    size = os.fstat(f.fileno()).st_size
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        return wrapper(f, READ_SIZE)
    return iter(lambda: f.read(READ_SIZE), b"")


def sleep(environ, start_response):
    time.sleep(0.010)
    return hello(environ, start_response)


ROUTES = {"/big": big, "/body": body, "/file": file, "/sleep": sleep}


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/":
        return hello(environ, start_response)
    return ROUTES.get(path, hello)(environ, start_response)
