"""An app wrapped in wsgiref.validate.validator: any PEP 3333 violation by
the server raises AssertionError (logged) or warns (WSGIWarning, stderr)."""
from wsgiref.validate import validator


def inner(environ, start_response):
    inp = environ["wsgi.input"]
    chunks = []
    if environ["PATH_INFO"] == "/lines":
        while True:
            line = inp.readline()
            if not line:
                break
            chunks.append(line)
    else:
        while True:
            chunk = inp.read(4096)
            if not chunk:
                break
            chunks.append(chunk)
    environ["wsgi.errors"].write("")
    environ["wsgi.errors"].flush()
    body = b"".join(chunks)
    if environ["PATH_INFO"] == "/file":
        import io
        data = b"file-wrapper-body"
        write = start_response("200 OK", [("Content-Type", "text/plain"),
                                          ("Content-Length", str(len(data)))])
        return environ["wsgi.file_wrapper"](io.BytesIO(data), 4)
    out = b"%s %s %d\n" % (environ["REQUEST_METHOD"].encode(),
                           environ["PATH_INFO"].encode("latin-1"), len(body))
    if environ["PATH_INFO"] == "/chunked-out":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([out, b"more\n"])
    if environ["PATH_INFO"] == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"via write\n")
        return [out]
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(out)))])
    return [out]


app = validator(inner)
