"""The verdict table: what qilin does with every request of gunicorn's
conformance corpus (../shared/conformance/gunicorn-requests) and with the
request-smuggling cases below, pinned in tests/http_verdicts.txt.

Each case's bytes go out in one write on a fresh connection, which is then
half-closed; everything the server answers up to its close is the case's
verdict, one part per response, joined with " ; ":
  accepted <digest>   the app answered 200; the digest is what it saw:
                      method, PATH_INFO, ?QUERY_STRING, SERVER_PROTOCOL,
                      SCRIPT_NAME and wsgi.url_scheme when set, PROXY_* with
                      REMOTE_ADDR/PORT after a PROXY header, every HTTP_* key
                      and CONTENT_TYPE/CONTENT_LENGTH (sorted; values as
                      Python's ascii(), a long one as <length sha256-prefix>,
                      more than 16 fields as one <N fields sha256-prefix>),
                      and body=<length>[:<sha256 prefix>]
  rejected <status>   an error response
  closed              no response at all
A "100-continue then" prefix marks an interim 100 Continue, "(truncated)" a
response cut short, and "[app entered N time(s) without a 200]" a call of the
app that did not end in a success (a body error met while reading it).

The table holds the sync worker's verdicts; a line "<case>@gthread" follows
a case where the gthread worker's differs (it keeps connections alive, so it
also answers pipelined requests). The test recomputes every verdict against
the real server, one server per distinct flag set, and fails on any change,
printing the lines that differ.

Regenerate the table after an intended change:
    QILIN_UPDATE_VERDICTS=1 /usr/bin/python3 -m pytest tests/test_http_verdicts.py
QILIN_VERDICTS_FILE=<path> compares with (or, updating, writes) another file,
e.g. the table of another server: with QILIN_BIN=<a gunicorn> and
QILIN_UPDATE_VERDICTS=1, then diff the two files.
"""

import hashlib
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from conftest import (TESTS, WORKER_KIND_ARGS, WORKER_KINDS, Response,
                      recv_all, response_end)

sys.path.insert(0, str(TESTS / "conformance"))
import test_gunicorn_requests as corpus  # noqa: E402  (the corpus decoding, shared)

SHARED = TESTS.parent.parent / "shared"
TABLE = Path(os.environ.get("QILIN_VERDICTS_FILE") or TESTS / "http_verdicts.txt")
UPDATE = os.environ.get("QILIN_UPDATE_VERDICTS") == "1"
ALL_KINDS = ("sync", "gthread")  # what the table describes; sync is the baseline
CASE_TIMEOUT = 10.0


# ---------------------------------------------------------------- smuggling cases

def _get(path):
    return b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"


# A follow-up request: after a framing error it must never reach the app.
SMUGGLED = _get(b"/smuggled")

# (name, bytes). Names group by topic; the follow-up GET /smuggled shows
# whether anything after the first request is read.
SMUGGLING = [
    # --- Content-Length together with Transfer-Encoding
    ("cl-te/both", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
    ("cl-te/te-first", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED),
    ("cl-te/classic-desync", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n"
                             b"5c\r\nGPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n"
                             b"x=1\r\n0\r\n\r\n"),
    ("cl-te/te-obs-folded", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                            b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
    ("cl-te/te-space-before-colon", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                    b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    ("cl-te/te-underscore-name", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                 b"Transfer_Encoding: chunked\r\n\r\nabc"),
    ("cl-te/cl-underscore-name", b"POST / HTTP/1.1\r\nHost: x\r\nContent_Length: 3\r\n"
                                 b"\r\nabc" + SMUGGLED),
    # --- Content-Length alone
    ("cl/duplicate-same", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                          b"Content-Length: 3\r\n\r\nabc"),
    ("cl/duplicate-different", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                               b"Content-Length: 13\r\n\r\nabc" + SMUGGLED),
    ("cl/list", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc"),
    ("cl/plus-sign", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc"),
    ("cl/minus-sign", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\nabc"),
    ("cl/inner-space", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 3\r\n\r\nabc"),
    ("cl/padded", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:   3 \t\r\n\r\nabc"),
    ("cl/leading-zeros", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0003\r\n\r\nabc"),
    ("cl/hex", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc"),
    ("cl/underscore", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1_0\r\n\r\nabcdefghij"),
    ("cl/superscript-digit", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \xb3\r\n\r\nabc"),
    ("cl/empty", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n"),
    ("cl/beyond-64-bits", b"POST / HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: 18446744073709551616\r\n\r\nabc"),
    ("cl/body-cut-short", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"),
    ("cl/on-get", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + SMUGGLED),
    # --- Transfer-Encoding
    ("te/chunked-not-last", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n"
                            b"\r\n0\r\n\r\n" + SMUGGLED),
    ("te/chunked-then-identity", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
    ("te/chunked-twice-in-list", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
    ("te/chunked-twice-in-headers", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("te/chunked-on-http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"3\r\nabc\r\n0\r\n\r\n"),
    # RFC 9112 6.3: no chunked last, no Content-Length: 400. gunicorn (and so
    # a gunicorn oracle run) calls the app with an empty body, then closes.
    ("te/gzip-alone", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"
                      + SMUGGLED),
    ("te/gzip-then-chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n"
                             b"\r\n3\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
    ("te/identity-then-chunked", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: identity, chunked\r\n\r\n"
                                 b"3\r\nabc\r\n0\r\n\r\n"),
    ("te/unknown-coding", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n\r\n"
                          + SMUGGLED),
    ("te/xchunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
                    b"0\r\n\r\n"),
    ("te/chunked-with-parameter", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                  b"Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"),
    ("te/empty-value", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n"),
    ("te/mixed-case", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ChUnKeD\r\n\r\n"
                      b"3\r\nabc\r\n0\r\n\r\n"),
    ("te/padded", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \t chunked \t\r\n\r\n"
                  b"3\r\nabc\r\n0\r\n\r\n"),
    ("te/vertical-tab", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\x0b\r\n\r\n"
                        b"0\r\n\r\n"),
    ("te/nbsp", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\xa0\r\n\r\n"
                b"0\r\n\r\n"),
    # --- chunk framing
    ("chunk/bare-cr-in-extension", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                   b"\r\n3;a=b\rc\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
    ("chunk/extension", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"3;name=\"va;lue\"\r\nabc\r\n0;x\r\n\r\n"),
    ("chunk/space-before-extension", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n"
                                     b"3 \t;x\r\nabc\r\n0\r\n\r\n"),
    ("chunk/space-after-size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"3 \r\nabc\r\n0\r\n\r\n"),
    ("chunk/space-before-size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                b"\r\n 3\r\nabc\r\n0\r\n\r\n"),
    ("chunk/lf-after-size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3\nabc\r\n0\r\n\r\n"),
    ("chunk/hex-prefix", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"0x3\r\nabc\r\n0\r\n\r\n"),
    ("chunk/underscore-in-size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                 b"\r\n1_0\r\n0123456789abcdef\r\n0\r\n\r\n"),
    ("chunk/empty-size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"\r\nabc\r\n0\r\n\r\n"),
    ("chunk/size-beyond-64-bits", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                  b"\r\n10000000000000000\r\nabc\r\n0\r\n\r\n"),
    ("chunk/size-larger-than-data", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n"
                                    b"ffffffff\r\nabc\r\n0\r\n\r\n"),
    ("chunk/leading-zeros", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"0003\r\nabc\r\n000\r\n\r\n"),
    ("chunk/missing-crlf-after-data", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                      b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n"
                                      + SMUGGLED),
    ("chunk/data-longer-than-size", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n"),
    ("chunk/lf-after-data", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3\r\nabc\n0\r\n\r\n"),
    ("chunk/last-chunk-without-final-crlf", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                            b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"),
    ("chunk/no-last-chunk", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3\r\nabc\r\n"),
    ("chunk/cut-in-data", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"a\r\nabc"),
    ("chunk/trailer-allowed", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"3\r\nabc\r\n0\r\nX-Checksum: 900150983cd2\r\n\r\n"),
    ("chunk/trailer-cut-short", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                b"\r\n3\r\nabc\r\n0\r\nX-Checksum: 1\r\n"),
] + [
    (f"chunk/trailer-forbidden-{name.lower()}",
     b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
     + name.encode() + b": 1\r\n\r\n" + SMUGGLED)
    for name in ("Content-Length", "Transfer-Encoding", "Host", "Authorization", "TE",
                 "Trailer")
] + [
    ("chunk/trailer-obs-fold", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"3\r\nabc\r\n0\r\nX-A: 1\r\n 2\r\n\r\n"),
    # --- header syntax
    ("header/obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"),
    ("header/obs-fold-tab", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n"),
    ("header/fold-on-first-line", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
    ("header/space-before-colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
    ("header/tab-before-colon", b"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n"),
    ("header/empty-name", b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"),
    ("header/no-colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n"),
    ("header/non-token-name", b"GET / HTTP/1.1\r\nHost: x\r\nX(A): v\r\n\r\n"),
    ("header/high-byte-name", b"GET / HTTP/1.1\r\nHost: x\r\nX-\xe9: v\r\n\r\n"),
    ("header/obs-text-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9 \xff\r\n\r\n"),
    ("header/bare-lf-line-end", b"GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n"),
    ("header/bare-cr-in-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n"),
    ("header/empty-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\nX-B: \t \r\n\r\n"),
    ("header/repeated-joined", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nX-A: 3\r\n\r\n"),
    ("header/duplicate-host", b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + SMUGGLED),
    ("header/duplicate-host-other-case", b"GET / HTTP/1.1\r\nHost: x\r\nhOST: x\r\n\r\n"),
    ("header/duplicate-content-type", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                      b"Content-Type: text/html\r\nContent-Length: 0\r\n\r\n"),
    ("header/no-host-http11", b"GET / HTTP/1.1\r\n\r\n"),
    ("header/underscore-dropped", b"GET / HTTP/1.1\r\nHost: x\r\nX_A: 1\r\nX-A: 2\r\n\r\n"),
    ("header/conflicting-scheme", b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n"
                                  b"X-Forwarded-Ssl: off\r\n\r\n"),
    ("header/forwarded-scheme", b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n\r\n"),
] + [
    (f"header/ctl-in-value-{label}", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1" + ctl + b"2\r\n\r\n")
    for label, ctl in (("nul", b"\x00"), ("bel", b"\x07"), ("vt", b"\x0b"), ("ff", b"\x0c"),
                       ("esc", b"\x1b"), ("del", b"\x7f"))
] + [
    ("header/tab-in-value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\t2\r\n\r\n"),
    # --- request line and target
    ("target/empty", b"GET  HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/asterisk-get", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/asterisk-options", b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/authority-get", b"GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/authority-connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/relative", b"GET a/b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/absolute", b"GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/absolute-no-path", b"GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/fragment", b"GET /a?b=c#frag HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/double-slash", b"GET //a/b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/space-inside", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/tab-inside", b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/nul-inside", b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("target/percent-encoded-slash", b"GET /a%2Fb%00c HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("line/lower-case-method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("line/http-2", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
    ("line/http-0.9", b"GET /\r\n\r\n"),
    ("line/http-1.2", b"GET / HTTP/1.2\r\nHost: x\r\n\r\n"),
    ("line/lower-case-version", b"GET / http/1.1\r\nHost: x\r\n\r\n"),
    ("line/trailing-space", b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n"),
    ("line/double-space", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("line/leading-crlf", b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("line/bare-lf", b"GET / HTTP/1.1\nHost: x\n\n"),
    ("line/h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    # --- Expect
    ("expect/foo", b"POST / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc"
                   + SMUGGLED),
    ("expect/100-continue", b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                            b"Content-Length: 3\r\n\r\nabc"),
    ("expect/100-continue-any-case", b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                                     b"Content-Length: 3\r\n\r\nabc"),
    ("expect/100-continue-http10", b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
                                   b"Content-Length: 3\r\n\r\nabc"),
    # --- what follows the first request
    ("pipeline/two-gets", _get(b"/first") + _get(b"/second")),
    ("pipeline/after-connection-close",
     b"GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + SMUGGLED),
    ("pipeline/after-http10", b"GET /first HTTP/1.0\r\n\r\n" + SMUGGLED),
    ("pipeline/after-http10-keep-alive",
     b"GET /first HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + _get(b"/second")),
    ("pipeline/after-gzip-chunked", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                    b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
                                    + SMUGGLED),
    ("pipeline/after-bad-chunk-size", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                      b"Transfer-Encoding: chunked\r\n\r\nz\r\n" + SMUGGLED),
    ("pipeline/after-bad-content-length", b"POST / HTTP/1.1\r\nHost: x\r\n"
                                          b"Content-Length: 3x\r\n\r\n" + SMUGGLED),
    ("pipeline/after-bad-request-line", b"GET /a HTTP/1.1 x\r\nHost: x\r\n\r\n" + SMUGGLED),
    ("pipeline/after-chunked-body", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                    b"\r\n3\r\nabc\r\n0\r\n\r\n" + _get(b"/second")),
    ("pipeline/after-content-length-body", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                           b"\r\nabc" + _get(b"/second")),
    ("pipeline/after-expect-failed", b"GET / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n"
                                     + SMUGGLED),
]


# ---------------------------------------------------------------- cases

class VerdictCase:
    def __init__(self, name, data, flags=()):
        self.name = name
        self.data = data
        self.flags = list(flags)


def all_cases():
    """Every case: the corpus (skipped as a whole when it is absent) and the
    smuggling list, sorted by name."""
    cases = []
    for kind in ("valid", "invalid"):
        for name in corpus.case_names(kind):
            c = corpus.Case(kind, name).load()
            cases.append(VerdictCase(f"gunicorn/{kind}/{name}", c.data, c.flags))
    names = set()
    for name, data in SMUGGLING:
        assert name not in names, f"two smuggling cases named {name}"
        names.add(name)
        cases.append(VerdictCase(f"smuggling/{name}", data))
    return sorted(cases, key=lambda c: c.name)


# ---------------------------------------------------------------- verdicts

def _short(value, limit=48):
    """ascii() of a value, or <length sha256-prefix> for a long one."""
    if len(value) <= limit:
        return ascii(value)
    sha = hashlib.sha256(value.encode("latin-1", "replace")).hexdigest()[:12]
    return f"<{len(value)} {sha}>"


def digest(env):
    """The compact description of what the app saw."""
    parts = [ascii(env["REQUEST_METHOD"])[1:-1], _short(env["PATH_INFO"], 80)]
    if env.get("QUERY_STRING"):
        parts.append("?" + _short(env["QUERY_STRING"], 80))
    parts.append(ascii(env["SERVER_PROTOCOL"])[1:-1])
    if env.get("SCRIPT_NAME"):
        parts.append("SCRIPT_NAME=" + _short(env["SCRIPT_NAME"]))
    if env.get("wsgi.url_scheme") != "http":
        parts.append("scheme=" + _short(str(env.get("wsgi.url_scheme"))))
    if "PROXY_PROTOCOL" in env:
        parts += [f"{k}={_short(env[k])}" for k in ("PROXY_PROTOCOL", "REMOTE_ADDR",
                                                    "REMOTE_PORT", "PROXY_ADDR", "PROXY_PORT")
                  if k in env]
    fields = sorted((k, v) for k, v in env.items()
                    if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH"))
    if len(fields) > 16:
        text = "\n".join(f"{k}={v!r}" for k, v in fields)
        parts.append(f"<{len(fields)} fields {hashlib.sha256(text.encode()).hexdigest()[:12]}>")
    else:
        parts += [f"{k}={_short(v)}" for k, v in fields]
    body = env["_body"].encode("latin-1")
    parts.append(f"body={len(body)}" + (f":{hashlib.sha256(body).hexdigest()[:12]}"
                                         if body else ""))
    return " ".join(parts)


def split_responses(stream):
    """The responses in what the server sent before closing, in order."""
    out = []
    while stream:
        end = response_end(stream)
        if end is None or end < 0:  # cut short, or framed by the close
            out.append((stream, False))
            break
        out.append((stream[:end], True))
        stream = stream[end:]
    return out


def describe(stream, records):
    """The verdict for the bytes the server sent and the app's records."""
    parts = []
    accepted = 0
    for raw, framed in split_responses(stream):
        try:
            r = Response(raw)
        except AssertionError:
            parts.append(f"garbage {ascii(raw[:40])}")
            continue
        prefix = "".join(f"{line.split(' ', 2)[1]}-continue then " for line in r.interim)
        if r.status == 200:
            accepted += 1
            try:
                text = "accepted " + digest(r.json())
            except ValueError:
                text = f"accepted (unreadable body {ascii(r.body[:40])})"
        else:
            text = f"rejected {r.status}"
        if not (framed and r.complete):
            text += " (truncated)"
        parts.append(prefix + text)
    verdict = " ; ".join(parts) if parts else "closed"
    entered = sum(1 for e in records if e["event"] == "start")
    if entered > accepted:
        n = entered - accepted
        verdict += f" [app entered {n} time{'s' if n > 1 else ''} without a 200]"
    return verdict


def run_case(srv, case):
    calls = len(srv.records())
    deadline = time.monotonic() + CASE_TIMEOUT
    with srv.connect() as s:
        try:
            s.sendall(case.data)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        stream = recv_all(s, deadline)
    return describe(stream, srv.records()[calls:])


def compute_verdicts(server_pool, kind, cases):
    verdicts = {}
    for case in cases:
        srv = server_pool.get("echo:app", WORKER_KIND_ARGS[kind] + ["-w", "1"] + case.flags)
        verdicts[case.name] = run_case(srv, case)
    return verdicts


# ---------------------------------------------------------------- the table

HEADER = """\
# qilin's verdict on every request of gunicorn's conformance corpus and on the
# smuggling cases of tests/test_http_verdicts.py (whose docstring explains the
# format). One line per case, sync worker; "<case>@gthread" only where the
# gthread worker's verdict differs. Regenerate after an intended change:
#   QILIN_UPDATE_VERDICTS=1 /usr/bin/python3 -m pytest tests/test_http_verdicts.py
"""
NAME_WIDTH = 60


def render(by_kind):
    """The table text from {kind: {case: verdict}}."""
    lines = []
    base = by_kind["sync"]
    for name in sorted(base):
        lines.append(f"{name:<{NAME_WIDTH}} {base[name]}")
        for kind in ALL_KINDS[1:]:
            if by_kind[kind].get(name) != base[name]:
                lines.append(f"{name + '@' + kind:<{NAME_WIDTH}} {by_kind[kind][name]}")
    return HEADER + "\n".join(lines) + "\n"


def parse(text):
    """{(case, kind or None): verdict} from the table text."""
    table = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, verdict = line.partition(" ")
        name, _, kind = key.partition("@")
        table[(name, kind or None)] = verdict.strip()
    return table


def expected_for(table, kind):
    out = {name: v for (name, k), v in table.items() if k is None}
    out.update({name: v for (name, k), v in table.items() if k == kind})
    return out


def differences(expected, got, kind):
    lines = []
    for name in sorted(set(expected) | set(got)):
        want, have = expected.get(name), got.get(name)
        if want == have:
            continue
        label = name if kind == "sync" else f"{name}@{kind}"
        lines.append(f"- {label:<{NAME_WIDTH}} {want if want is not None else '(no such case)'}")
        lines.append(f"+ {label:<{NAME_WIDTH}} {have if have is not None else '(no such case)'}")
    return lines


_computed = {}


def verdicts_for(server_pool, kind):
    if kind not in _computed:
        _computed[kind] = compute_verdicts(server_pool, kind, all_cases())
    return _computed[kind]


@pytest.mark.gunicorn20_differs("the table records qilin's own verdicts")
@pytest.mark.parametrize("kind", [k for k in ALL_KINDS if k in WORKER_KINDS])
def test_verdicts_unchanged(server_pool, kind, tmp_path):
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the verdict table needs the conformance corpus "
                    f"in {corpus.CORPUS}")
    if UPDATE:
        TABLE.write_text(render({k: verdicts_for(server_pool, k) for k in ALL_KINDS}))
    assert TABLE.is_file(), f"{TABLE} is missing; QILIN_UPDATE_VERDICTS=1 writes it"
    got = verdicts_for(server_pool, kind)
    diff = differences(expected_for(parse(TABLE.read_text()), kind), got, kind)
    if diff:
        out = tmp_path / "http_verdicts.txt"
        out.write_text(render({k: verdicts_for(server_pool, k) for k in ALL_KINDS}))
        pytest.fail(f"{len(diff) // 2} verdict(s) changed under the {kind} worker "
                    f"(- {TABLE.name}, + now):\n" + "\n".join(diff) +
                    f"\nthe whole new table: {out}\n"
                    "if the change is intended: QILIN_UPDATE_VERDICTS=1 /usr/bin/python3 "
                    "-m pytest tests/test_http_verdicts.py", pytrace=False)


def test_table_is_sorted_and_unique():
    if not TABLE.is_file():
        pytest.skip(f"{TABLE} is absent")
    keys = [line.split(" ", 1)[0] for line in TABLE.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert len(keys) == len(set(keys)), "a case is listed twice"
    assert keys == sorted(keys, key=lambda k: (k.split("@")[0], k)), "the table is not sorted"
