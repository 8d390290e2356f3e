"""An application that takes QILIN_TEST_BOOT_DELAY seconds to import (a big
one), then records {"event": "imported", "pid": ...}, so a test can tell
which workers had their application loaded, and when."""
import os
import time

from _support import record

time.sleep(float(os.environ.get("QILIN_TEST_BOOT_DELAY", "0")))
record("imported")


def app(environ, start_response):
    body = b"booted slowly\n"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body))),
                              ("X-Worker-Pid", str(os.getpid()))])
    return [body]
