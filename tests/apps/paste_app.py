"""A PasteDeploy app factory for the --paste tests: answers
"<greeting> <global who>" and records the global_conf it was built with."""


def make_app(global_conf, greeting="hello", **local_conf):
    def app(environ, start_response):
        body = ("%s %s\n" % (greeting, global_conf.get("who", "-"))).encode()
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return app
