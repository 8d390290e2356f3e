"""Body-reading variants, chosen by PATH_INFO:

  /read            wsgi.input.read()
  /read_n/N        read(N) until b"" (each piece must be <= N)
  /readline        readline() until b""
  /readline_n/N    readline(N) until b""
  /readlines       readlines()
  /iter            for line in wsgi.input
  /none            never touches wsgi.input
  /partial/N       read(N) once, then answers

The JSON answer: the body (latin-1 text), the length of every piece, and
what a read after the end returned."""
from _support import json_response, record


def app(environ, start_response):
    inp = environ["wsgi.input"]
    parts = environ["PATH_INFO"].strip("/").split("/")
    mode = parts[0]
    n = int(parts[1]) if len(parts) > 1 else None
    record("start", environ, mode=mode)
    pieces = []
    after = None
    if mode == "read":
        pieces = [inp.read()]
        after = inp.read()
    elif mode == "read_n":
        while True:
            piece = inp.read(n)
            if not piece:
                break
            pieces.append(piece)
        after = inp.read(n)
    elif mode == "readline":
        while True:
            piece = inp.readline()
            if not piece:
                break
            pieces.append(piece)
        after = inp.readline()
    elif mode == "readline_n":
        while True:
            piece = inp.readline(n)
            if not piece:
                break
            pieces.append(piece)
        after = inp.readline(n)
    elif mode == "readlines":
        pieces = inp.readlines()
        after = b"".join(inp.readlines())
    elif mode == "iter":
        pieces = [line for line in inp]
        after = b"".join(inp)
    elif mode == "partial":
        pieces = [inp.read(n)]
    elif mode == "none":
        pass
    else:
        start_response("404 Not Found", [("Content-Length", "0")])
        return []
    body = b"".join(pieces)
    record("done", environ, mode=mode, body_len=len(body))
    return json_response(start_response, {
        "mode": mode,
        "n": n,
        "body": body.decode("latin-1"),
        "pieces": [len(p) for p in pieces],
        "pieces_end_nl": [p.endswith(b"\n") for p in pieces],
        "pieces_inner_nl": [b"\n" in p[:-1] for p in pieces],
        "after": after.decode("latin-1") if after is not None else None,
        "piece_types": sorted({type(p).__name__ for p in pieces}),
    })
