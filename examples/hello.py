"""The bundled example: a WSGI app that greets and echoes what it was asked."""


def app(environ, start_response):
    body = "Hello from qilin! You asked for {} {}\n".format(
        environ["REQUEST_METHOD"], environ["PATH_INFO"]
    ).encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
