"""This module exists but imports one that does not: that is an import that
raised (traceback expected), not a missing app module."""
import qilin_test_no_such_dependency  # noqa: F401


def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "0")])
    return []
