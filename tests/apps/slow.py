"""Sleeps, then answers. /sleep/S sleeps S seconds (float); /hang sleeps a
minute. The start is recorded so a test knows the request is in flight."""
import os
import time

from _support import json_response, record


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hang":
        seconds = 60.0
    elif path.startswith("/sleep/"):
        seconds = float(path.rsplit("/", 1)[1])
    else:
        seconds = 0.0
    record("start", environ, sleep=seconds)
    time.sleep(seconds)
    record("done", environ, sleep=seconds)
    return json_response(start_response, {"slept": seconds, "pid": os.getpid()})
