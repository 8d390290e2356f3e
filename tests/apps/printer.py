"""An app that writes to stdout and stderr, from Python and below it."""
import os
import sys


def app(environ, start_response):
    tag = environ.get("QUERY_STRING", "")
    print(f"print-to-stdout {tag}", flush=True)
    print(f"print-to-stderr {tag}", file=sys.stderr, flush=True)
    os.write(1, f"raw-fd1 {tag}\n".encode())
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
