"""gunicorn's request corpus (tests/requests/{valid,invalid} in gunicorn),
driven through the real server.

Each case is a pair: NAME.http (the bytes, written as text with escapes) and
NAME.py (the expectation, plus optional `cfg.set(...)` settings). The .py is
executed against a stub `gunicorn` package; every setting is mapped to its
command-line flag, and one server runs per distinct flag set. The app is
tests/apps/echo.py, which records every call.

valid:   each request reaches the app with the expected method, path, query,
         version, headers (as environ keys) and body. Several requests in
         one file are split with a small framing reader and sent on separate
         connections under the sync worker (it closes after each response);
         under gthread they are pipelined on ONE connection, all in one send,
         and the responses must come back in order.
Every case runs once per worker kind (sync, and gthread with 4 threads).
invalid: the expected status for the error class (400, 417, 431, 501, 403),
         or a silent close for NoMoreData, and the app is never called.
         Errors in the chunked body (framing, forbidden trailers) are found
         by gunicorn only while the app reads wsgi.input; for those the app
         may have been entered, but it must never get a complete body, and
         the client gets a 4xx or a bare close, never a success or a 500.
"""

import re
import socket
import sys
import time
import types
import urllib.parse

import pytest

from conftest import REPO, WORKER_KIND_ARGS, Response, ResponseStream

CORPUS = REPO.parent / "shared" / "conformance" / "gunicorn-requests"


# ---------------------------------------------------------------- corpus

def decode_http(path):
    """The .http text to bytes, as gunicorn's tests/treq.py does: drop the
    literal newlines, then turn \\r\\n, \\0, \\n, \\t and \\xHH into bytes."""
    data = path.read_bytes()
    data = data.replace(b"\n", b"").replace(b"\\r\\n", b"\r\n")
    data = data.replace(b"\\0", b"\x00").replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    data = re.sub(rb"\\x([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
    if b"\\" in data:
        raise AssertionError(f"{path.name}: unexpected backslash escape left in the data")
    return data


def split_request_uri(uri):
    # gunicorn.util.split_request_uri
    if uri.startswith("//"):
        parts = urllib.parse.urlsplit("." + uri)
        return parts._replace(path=parts.path[1:])
    return urllib.parse.urlsplit(uri)


def uri(data):
    # gunicorn's tests/treq.py uri()
    parts = split_request_uri(data)
    return {
        "raw": data,
        "scheme": parts.scheme or "",
        "host": parts.netloc.rsplit(":", 1)[0] or None,
        "port": parts.port or 80,
        "path": parts.path or "",
        "query": parts.query or "",
        "fragment": parts.fragment or "",
    }


ERROR_CLASSES = [
    "ParseException", "NoMoreData", "ConfigurationProblem", "InvalidRequestLine",
    "InvalidRequestMethod", "InvalidHTTPVersion", "InvalidHeader", "InvalidHeaderName",
    "ObsoleteFolding", "UnsupportedTransferCoding", "ExpectationFailed",
    "InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension",
    "LimitRequestLine", "LimitRequestHeaders", "InvalidProxyLine", "InvalidProxyHeader",
    "ForbiddenProxyRequest", "InvalidSchemeHeaders", "InvalidH2CPreface",
]


class StubConfig:
    """Stands in for gunicorn.config.Config: records set(name, value)."""

    def __init__(self):
        self.settings = {}

    def set(self, name, value):
        self.settings[name] = value


def _stub_modules():
    errors = types.ModuleType("gunicorn.http.errors")
    base = type("ParseException", (Exception,), {})
    errors.ParseException = base
    for name in ERROR_CLASSES[1:]:
        setattr(errors, name, type(name, (base,), {}))

    def missing(name):  # any newer class name still resolves
        cls = type(name, (base,), {})
        setattr(errors, name, cls)
        return cls
    errors.__getattr__ = missing
    config = types.ModuleType("gunicorn.config")
    config.Config = StubConfig
    http = types.ModuleType("gunicorn.http")
    http.errors = errors
    pkg = types.ModuleType("gunicorn")
    pkg.config, pkg.http = config, http
    pkg.__path__ = []
    return {"gunicorn": pkg, "gunicorn.config": config, "gunicorn.http": http,
            "gunicorn.http.errors": errors}


def load_expectation(path):
    """Execute NAME.py with the stub package; return its namespace."""
    stubs = _stub_modules()
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        ns = {"__name__": "__config__", "uri": uri, "cfg": StubConfig()}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return ns


# ---------------------------------------------------------------- settings

def _switch(flag):
    return lambda v: [flag] if v else []


def _valued(flag):
    return lambda v: [flag, str(v)]


def _proxy_protocol(v):
    if v is True:
        return ["--proxy-protocol"]  # bare flag: gunicorn 26 "auto"
    if v in (False, None, "off"):
        return []
    return ["--proxy-protocol", str(v)]


SETTING_FLAGS = {
    "proxy_protocol": _proxy_protocol,
    "proxy_allow_ips": _valued("--proxy-allow-from"),
    "header_map": _valued("--header-map"),
    "strip_header_spaces": _switch("--strip-header-spaces"),
    "forwarded_allow_ips": _valued("--forwarded-allow-ips"),
    "forwarder_headers": _valued("--forwarder-headers"),
    "limit_request_line": _valued("--limit-request-line"),
    "limit_request_fields": _valued("--limit-request-fields"),
    "limit_request_field_size": _valued("--limit-request-field_size"),
    "permit_obsolete_folding": _switch("--permit-obsolete-folding"),
    "permit_unconventional_http_method": _switch("--permit-unconventional-http-method"),
    "permit_unconventional_http_version": _switch("--permit-unconventional-http-version"),
    "casefold_http_method": _switch("--casefold-http-method"),
}


def flags_for(settings):
    out = []
    for name in sorted(settings):
        if name not in SETTING_FLAGS:
            raise AssertionError(f"no command-line flag known for setting {name!r}")
        out += SETTING_FLAGS[name](settings[name])
    return out


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, kind, name):
        self.kind = kind
        self.name = name
        self.http = CORPUS / kind / f"{name}.http"
        self.py = CORPUS / kind / f"{name}.py"

    def load(self):
        ns = load_expectation(self.py)
        self.data = decode_http(self.http)
        self.flags = flags_for(ns["cfg"].settings)
        self.expect = ns["request"]
        return self


def case_names(kind):
    d = CORPUS / kind
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.http"))


# Where gunicorn 20.1 (the oracle installed here) is known to behave
# differently from gunicorn 26 or from the issue; each was checked against
# gunicorn 26 run from source. Only an xfail when QILIN_BIN is gunicorn.
NO_FLAG_IN_20 = "gunicorn 20.1 has no such flag (added in 22-26)"
LENIENT_20 = ("gunicorn 20.1's older parser accepts this (or fails with a 500); "
              "gunicorn 26 refuses it")
STATUS_431 = "gunicorn 20.1 answers header limits with 400, gunicorn 26 with 431"
GUNICORN20_DIFFERS = {
    **{("valid", n): NO_FLAG_IN_20 for n in (
        "031compat", "031compat2", "040_compat", "compat_obs_fold", "compat_obs_fold_huge")},
    **{("invalid", n): NO_FLAG_IN_20 for n in ("013", "040", "chunked_07")},
    **{("invalid", n): STATUS_431 for n in ("007", "008", "009", "010", "011", "012", "017")},
    ("invalid", "limit_header_default_01"):
        "gunicorn 20.1 treats a field size of 0 as unlimited, gunicorn 26 as 8190",
    **{("valid", n): "gunicorn 20.1 refuses a coding before chunked; gunicorn 26 allows "
       "gzip/deflate/compress and identity there" for n in (
        "025", "025_line", "rfc9112_smuggle_gzip_chunked_01",
        "rfc9112_smuggle_te_identity_chunked_01")},
    ("valid", "040"): "gunicorn 20.1 maps underscore headers; since 22.0 they are dropped",
    ("valid", "padding_01"): "gunicorn 20.1 keeps trailing whitespace in header values",
    ("valid", "rfc9110_field_value_htab_trim_01"):
        "gunicorn 20.1 keeps trailing whitespace in header values",
    ("valid", "pp_04"): "gunicorn 20.1 has no PROXY protocol v2",
    ("valid", "pp_05"): "gunicorn 20.1 has no PROXY protocol v2",
    ("valid", "027"): (
        "gunicorn (20.1 and 26) percent-decodes PATH_INFO with unquote_to_bytes on "
        "latin-1 text, which re-encodes raw non-ASCII bytes as UTF-8; the test "
        "wants PEP 3333's one byte = one latin-1 character"),
    **{("invalid", n): LENIENT_20 for n in (
        "003c", "022", "023", "024", "041", "042", "chunked_03", "chunked_06",
        "chunked_09", "chunked_10", "chunked_11", "chunked_12", "chunked_13",
        "chunked_14", "obs_fold_01", "prefix_06", "rfc9110_field_value_ctl_bel_01",
        "rfc9110_field_value_ctl_del_01", "rfc9110_trailer_forbidden_cl_01",
        "rfc9110_trailer_forbidden_host_01", "rfc9110_trailer_forbidden_te_01",
        "rfc9112_chunked_missing_final_crlf_01",
        "rfc9112_target_asterisk_non_options_01",
        "rfc9112_target_authority_non_connect_01", "rfc9112_target_relative_01",
        "version_01", "version_02")},
}


def all_cases():
    params = []
    for kind in ("valid", "invalid"):
        for name in case_names(kind):
            marks = []
            reason = GUNICORN20_DIFFERS.get((kind, name))
            if reason:
                marks.append(pytest.mark.gunicorn20_differs(reason))
            params.append(pytest.param(kind, name, id=f"{kind}/{name}", marks=marks))
    if not params:
        params.append(pytest.param(None, None, id="corpus-missing"))
    return params


@pytest.fixture
def corpus_server(server_pool, worker_kind):
    """The shared echo server for a flag set (one per distinct flag set
    and worker kind)."""
    def get(flags):
        return server_pool.get("echo:app", WORKER_KIND_ARGS[worker_kind] + ["-w", "1"] + list(flags))
    return get


# ---------------------------------------------------------------- framing

def _head_end(data, pos):
    end = data.find(b"\r\n\r\n", pos)
    if end < 0:
        raise AssertionError("request head without an end")
    return end + 4


def _skip_proxy_header(data, pos):
    if data.startswith(b"PROXY ", pos):
        return data.index(b"\r\n", pos) + 2
    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    if data.startswith(sig, pos):
        length = int.from_bytes(data[pos + 14:pos + 16], "big")
        return pos + 16 + length
    return pos


def frame_end(data, pos):
    """End offset of the request starting at `pos` (reference framing:
    Content-Length or a final chunked coding, else no body)."""
    pos = _skip_proxy_header(data, pos)
    head_end = _head_end(data, pos)
    cl, chunked = None, False
    for line in data[pos:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            cl = int(value.strip())
        elif name == b"transfer-encoding":
            chunked = value.split(b",")[-1].strip().lower() == b"chunked"
    if chunked:
        p = head_end
        while True:
            eol = data.index(b"\r\n", p)
            size = int(data[p:eol].split(b";")[0].strip(), 16)
            p = eol + 2
            if size == 0:
                return _head_end(data, p - 2)
            p += size + 2
    return head_end + (cl or 0)


def split_requests(data, count):
    pieces, pos = [], 0
    for _ in range(count - 1):
        end = frame_end(data, pos)
        pieces.append(data[pos:end])
        pos = end
    pieces.append(data[pos:])
    return pieces


# ---------------------------------------------------------------- checks

def environ_key(name):
    if name == "CONTENT-TYPE":
        return "CONTENT_TYPE"
    if name == "CONTENT-LENGTH":
        return "CONTENT_LENGTH"
    return "HTTP_" + name.replace("-", "_")


def expected_environ_headers(headers):
    out = {}
    for name, value in headers:
        key = environ_key(name)
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def pep3333_path(path):
    """PATH_INFO: percent-decoded bytes, one byte per latin-1 character."""
    return urllib.parse.unquote_to_bytes(path.encode("latin-1")).decode("latin-1")


def pipelined_responses(srv, data, pieces):
    """Send every request in one write on one connection, then half-close
    (as the sync path does: some cases end their body at EOF); read one
    response per request, in order."""
    deadline = time.monotonic() + 10
    out = []
    with srv.connect() as s:
        stream = ResponseStream(s)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        for piece in pieces:
            head_request = piece.lstrip().startswith(b"HEAD ")
            out.append(stream.read(deadline, head_request))
    return out


def check_valid(srv, case):
    expects = case.expect if isinstance(case.expect, list) else [case.expect]
    pieces = split_requests(case.data, len(expects))
    calls = len(srv.records())
    if srv.keeps_alive:
        raws = pipelined_responses(srv, case.data, pieces)
    else:
        raws = [srv.raw(piece, half_close=True) for piece in pieces]
    for i, (exp, raw) in enumerate(zip(expects, raws), 1):
        assert raw, f"request {i}: connection closed without a response"
        r = Response(raw)
        assert r.status == 200, f"request {i}: {raw[:400]!r}"
        env = r.json()
        assert env["REQUEST_METHOD"] == exp["method"]
        assert env["RAW_URI"] == exp["uri"]["raw"]
        assert env["PATH_INFO"] == pep3333_path(exp["uri"]["path"])
        assert env["SCRIPT_NAME"] == ""
        assert env["QUERY_STRING"] == exp["uri"]["query"]
        assert env["SERVER_PROTOCOL"] == "HTTP/%d.%d" % exp["version"]
        want = expected_environ_headers(exp["headers"])
        for key, value in want.items():
            assert env.get(key) == value, f"request {i}: {key}"
        got_http = {k for k in env if k.startswith("HTTP_")}
        assert got_http == {k for k in want if k.startswith("HTTP_")}, f"request {i}"
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key not in want:
                assert env.get(key, "") == "", f"request {i}: unexpected {key}"
        body = exp["body"]
        if isinstance(body, str):
            body = body.encode("latin-1")
        assert env["_body"].encode("latin-1") == body, f"request {i}: body"
    done = [e for e in srv.records()[calls:] if e["event"] == "done"]
    assert len(done) == len(expects), f"app calls {srv.records()[calls:]}"


STATUS_FOR = {
    "InvalidRequestLine": 400, "InvalidRequestMethod": 400, "InvalidHTTPVersion": 400,
    "InvalidHeader": 400, "InvalidHeaderName": 400, "ObsoleteFolding": 400,
    "LimitRequestLine": 400, "InvalidProxyLine": 400, "InvalidProxyHeader": 400,
    "InvalidSchemeHeaders": 400, "InvalidH2CPreface": 400,
    "LimitRequestHeaders": 431, "UnsupportedTransferCoding": 501,
    "ExpectationFailed": 417, "ForbiddenProxyRequest": 403,
}
BODY_FRAMING_ERRORS = {"InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension"}
# Errors in the trailer section, which gunicorn only meets while the app
# reads wsgi.input (it then answers 400).
TRAILER_CASES = {"rfc9110_trailer_forbidden_cl_01", "rfc9110_trailer_forbidden_host_01",
                 "rfc9110_trailer_forbidden_te_01"}


def check_invalid(srv, case):
    error = case.expect.__name__
    calls = len(srv.records())
    raw = srv.raw(case.data, half_close=True)
    new_calls = srv.records()[calls:]
    if error == "NoMoreData":
        assert raw == b"", f"expected a silent close, got {raw[:300]!r}"
        assert new_calls == [], new_calls
    elif error in BODY_FRAMING_ERRORS or case.name in TRAILER_CASES:
        assert not [e for e in new_calls if e["event"] == "done"], \
            f"the app got a complete body: {new_calls}"
        if raw:
            r = Response(raw)
            assert 400 <= r.status < 500, f"expected a 4xx or a close, got {raw[:300]!r}"
    else:
        assert error in STATUS_FOR, f"no status known for {error}"
        assert raw, "connection closed without a response"
        r = Response(raw)
        assert r.status == STATUS_FOR[error], f"{error}: {raw[:300]!r}"
        assert (r.header("connection") or "").lower() == "close"
        assert new_calls == [], f"the app was called: {new_calls}"


@pytest.mark.parametrize("kind,name", all_cases())
def test_corpus_case(corpus_server, kind, name):
    if kind is None:
        pytest.skip(f"conformance corpus not found at {CORPUS} "
                    "(it sits beside the repository in CI)")
    case = Case(kind, name).load()
    srv = corpus_server(case.flags)
    if kind == "valid":
        check_valid(srv, case)
    else:
        check_invalid(srv, case)
