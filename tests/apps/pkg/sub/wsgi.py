"""A dotted module inside a package: `pkg.sub.wsgi` and `pkg.sub.wsgi:app`."""


def _make(text):
    body = text.encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return app


application = _make("pkg.sub.wsgi application\n")
app = _make("pkg.sub.wsgi app\n")
