"""Streams the request body in 64 KiB reads and reports its length and
SHA-256, with this worker's VmRSS/VmHWM (kB) before and after reading."""
import hashlib
import os

from _support import json_response


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def app(environ, start_response):
    inp = environ["wsgi.input"]
    rss_before = _status_kb("VmRSS")
    h = hashlib.sha256()
    total = 0
    max_rss = rss_before
    while True:
        chunk = inp.read(65536)
        if not chunk:
            break
        h.update(chunk)
        total += len(chunk)
        if total % (4 << 20) < 65536:
            max_rss = max(max_rss, _status_kb("VmRSS"))
    return json_response(start_response, {
        "length": total,
        "sha256": h.hexdigest(),
        "rss_before_kb": rss_before,
        "rss_max_kb": max(max_rss, _status_kb("VmRSS")),
        "hwm_kb": _status_kb("VmHWM"),
        "pid": os.getpid(),
    })
