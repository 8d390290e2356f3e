"""`wsgi_default` alone must mean `wsgi_default:application` (not `app`)."""


def application(environ, start_response):
    body = b"application\n"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    body = b"wrong attribute: app\n"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
