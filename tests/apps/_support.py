"""Helpers shared by the test apps (not an app itself).

QILIN_TEST_RECORD names a file each call appends one JSON line to, so a test
can tell whether (and how) the app was called. QILIN_TEST_CLOSE_LOG names a
file that close() of a tracked iterable appends to.
"""
import json
import os


def append_line(env_var, text):
    path = os.environ.get(env_var)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (text + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def record(event, environ=None, **fields):
    entry = {"event": event, "pid": os.getpid()}
    if environ is not None:
        entry["method"] = environ.get("REQUEST_METHOD")
        entry["raw_uri"] = environ.get("RAW_URI")
        entry["path"] = environ.get("PATH_INFO")
    entry.update(fields)
    append_line("QILIN_TEST_RECORD", json.dumps(entry))


def json_response(start_response, obj, status="200 OK", extra_headers=()):
    data = json.dumps(obj).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data))),
                            ("X-Worker-Pid", str(os.getpid()))] + list(extra_headers))
    return [data]
