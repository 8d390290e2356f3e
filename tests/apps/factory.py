"""App factories for `module:create_app(...)`."""


def create_app(name, debug=False):
    body = ("factory name=%r debug=%r\n" % (name, debug)).encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return app


def returns_none():
    return None


def raises_type_error():
    raise TypeError("qilin-test: raised inside the factory")
