"""Environ echo: JSON of every str environ value, the body read from
wsgi.input (latin-1 text under "_body"), and flags describing the non-str
keys. Each call is recorded twice (start, done) when QILIN_TEST_RECORD is
set, so a test can tell whether the app was reached and whether it got a
complete body."""
import os

from _support import json_response, record


def describe(environ):
    inp = environ.get("wsgi.input")
    err = environ.get("wsgi.errors")
    version = environ.get("wsgi.version")
    return {
        "wsgi.version": list(version) if isinstance(version, tuple) else repr(version),
        "wsgi.version_is_tuple": isinstance(version, tuple),
        "wsgi.multithread": environ.get("wsgi.multithread"),
        "wsgi.multiprocess": environ.get("wsgi.multiprocess"),
        "wsgi.run_once": environ.get("wsgi.run_once"),
        "wsgi.input_terminated": environ.get("wsgi.input_terminated"),
        "wsgi.url_scheme": environ.get("wsgi.url_scheme"),
        "input_methods": [m for m in ("read", "readline", "readlines", "__iter__")
                          if callable(getattr(inp, m, None))],
        "errors_methods": [m for m in ("write", "writelines", "flush")
                           if callable(getattr(err, m, None))],
        "file_wrapper_callable": callable(environ.get("wsgi.file_wrapper")),
        "environ_is_dict": type(environ) is dict,
        "non_str_cgi_keys": sorted(k for k, v in environ.items()
                                   if "." not in k and not isinstance(v, str)),
        "keys": sorted(environ),
    }


def app(environ, start_response):
    record("start", environ)
    body = environ["wsgi.input"].read()
    record("done", environ, body_len=len(body))
    if environ.get("QUERY_STRING") == "errors-write":
        environ["wsgi.errors"].write("qilin-test: hello from wsgi.errors\n")
        environ["wsgi.errors"].flush()
    out = {k: v for k, v in environ.items() if isinstance(v, str)}
    out["_body"] = body.decode("latin-1")
    out["_flags"] = describe(environ)
    out["_pid"] = os.getpid()
    out["_env"] = {k: v for k, v in os.environ.items() if k.startswith("QILIN_ENV_")}
    return json_response(start_response, out)
