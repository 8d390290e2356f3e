#!/usr/bin/python3
"""Writes the seed corpus of request_parser_fuzz into fuzz/corpus/.

Each input is three option bytes (the layout of options_from() in
request_parser_fuzz.cc) followed by the raw bytes a client sends. The seeds:

  {valid,invalid}-NAME-own      a case of gunicorn's request corpus
                                (../shared/conformance/gunicorn-requests) with
                                the settings its NAME.py sets
  {valid,invalid}-NAME-lenient  the same bytes with every permit_* switch,
                                header stripping, header_map dangerous, PROXY
                                auto and trusted peers
  seed-*                        hand-written smuggling and PROXY cases (SEEDS)

Run it again after the conformance corpus changes: it rewrites the files it
owns (the prefixes above) and leaves every other file in fuzz/corpus/ alone,
such as the inputs kept from crashes and from merges.

Usage: /usr/bin/python3 fuzz/make_seeds.py [--corpus DIR] [--out DIR]
"""

import argparse
import ast
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "conformance" / "gunicorn-requests"
OWNED = re.compile(r"^(valid|invalid|seed)-")

# Values of the driver's limit tables (kLine, kFields, kFieldSize); a setting
# maps to the index of the nearest value after gunicorn's normalisation.
LINE = [4094, 0, 8, 30, 100, 8190, 20, 64]
FIELDS = [100, 1, 2, 3, 5, 0, 32768, 10]
FIELD_SIZE = [8190, 10, 14, 20, 40, 0, 100, 1]

# Byte 1 and byte 2 switches.
PERMIT_METHOD, PERMIT_VERSION, CASEFOLD, FOLDING, STRIP = 2, 4, 8, 16, 32
HEADER_MAP = {"drop": 0, "refuse": 1 << 6, "dangerous": 2 << 6}
PROXY = {"off": 0, "v1": 1, "v2": 2, "auto": 3}
FORWARDER_TRUSTED, PROXY_TRUSTED, NOT_FIRST, FORWARDER_ANY = 4, 8, 16, 32


def nearest(table, value):
    return min(range(len(table)), key=lambda i: (abs(table[i] - value), i))


def option_bytes(line=4094, fields=100, field_size=8190, flags=0, header_map="drop",
                 proxy="off", peer=0):
    """The three option bytes for these settings (gunicorn's names and units)."""
    li = nearest(LINE, line)
    fi = nearest(FIELDS, fields)
    si = nearest(FIELD_SIZE, field_size)
    a = li | (fi << 3) | ((si & 3) << 6)
    b = (si >> 2) | flags | HEADER_MAP[header_map]
    c = PROXY[proxy] | peer
    return bytes([a, b, c])


def decode_http(path):
    """The .http text to bytes, as gunicorn's tests/treq.py does (and
    tests/conformance/test_gunicorn_requests.py): drop the literal newlines,
    then turn \\r\\n, \\0, \\n, \\t and \\xHH into bytes."""
    data = path.read_bytes()
    data = data.replace(b"\n", b"").replace(b"\\r\\n", b"\r\n")
    data = data.replace(b"\\0", b"\x00").replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    return re.sub(rb"\\x([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def case_settings(py):
    """The cfg.set(name, value) calls of a case's .py, as a dict."""
    settings = {}
    for m in re.finditer(r"cfg\.set\(\s*['\"](\w+)['\"]\s*,\s*(.+?)\)\s*$", py.read_text(),
                         re.MULTILINE):
        settings[m.group(1)] = ast.literal_eval(m.group(2))
    return settings


def own_options(settings):
    """The case's settings as option bytes; limits as gunicorn normalises them."""
    kw = {"flags": 0, "peer": 0}
    line = settings.get("limit_request_line", 4094)
    kw["line"] = 8190 if line < 0 or line >= 8190 else line
    fields = settings.get("limit_request_fields", 100)
    kw["fields"] = 32768 if fields <= 0 or fields > 32768 else fields
    size = settings.get("limit_request_field_size", 8190)
    kw["field_size"] = 8190 if size <= 0 else size
    for name, flag in [("permit_unconventional_http_method", PERMIT_METHOD),
                       ("permit_unconventional_http_version", PERMIT_VERSION),
                       ("casefold_http_method", CASEFOLD),
                       ("permit_obsolete_folding", FOLDING),
                       ("strip_header_spaces", STRIP)]:
        if settings.get(name):
            kw["flags"] |= flag
    kw["header_map"] = settings.get("header_map", "drop")
    proxy = settings.get("proxy_protocol", "off")
    kw["proxy"] = {True: "auto", False: "off", None: "off"}.get(proxy, proxy)
    if kw["proxy"] != "off":
        kw["peer"] |= PROXY_TRUSTED  # the conformance suite connects from 127.0.0.1
    if settings.get("forwarded_allow_ips"):
        kw["peer"] |= FORWARDER_TRUSTED
    unknown = set(settings) - {
        "limit_request_line", "limit_request_fields", "limit_request_field_size",
        "permit_unconventional_http_method", "permit_unconventional_http_version",
        "casefold_http_method", "permit_obsolete_folding", "strip_header_spaces",
        "header_map", "proxy_protocol", "forwarded_allow_ips", "proxy_allow_ips"}
    if unknown:
        raise SystemExit(f"no option bits for settings {sorted(unknown)}")
    return option_bytes(**kw)


LENIENT = option_bytes(
    flags=PERMIT_METHOD | PERMIT_VERSION | CASEFOLD | FOLDING | STRIP, header_map="dangerous",
    proxy="auto", peer=FORWARDER_TRUSTED | PROXY_TRUSTED | FORWARDER_ANY)
DEFAULT = option_bytes()
PROXIED = option_bytes(proxy="auto", peer=PROXY_TRUSTED)

CL, TE = b"Content-Length", b"Transfer-Encoding"


def post(*fields, body=b"", version=b"HTTP/1.1"):
    head = b"POST /x HTTP/1.1\r\n".replace(b"HTTP/1.1", version)
    return head + b"Host: a\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body


GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"

# Hand-written seeds: request smuggling shapes, chunk framing, PROXY headers.
SEEDS = {
    "cl-te": DEFAULT + post(CL + b": 5", TE + b": chunked", body=b"0\r\n\r\n"),
    "te-cl": DEFAULT + post(TE + b": chunked", CL + b": 5", body=b"0\r\n\r\n"),
    "cl-cl": DEFAULT + post(CL + b": 3", CL + b": 4", body=b"abcd"),
    "cl-list": DEFAULT + post(CL + b": 3, 3", body=b"abc"),
    "cl-plus": DEFAULT + post(CL + b": +3", body=b"abc"),
    "cl-huge": DEFAULT + post(CL + b": 18446744073709551616"),
    "te-chunked-not-last": DEFAULT + post(TE + b": chunked, gzip", body=b"0\r\n\r\n"),
    "te-chunked-twice": DEFAULT + post(TE + b": chunked", TE + b": chunked", body=b"0\r\n\r\n"),
    "te-identity-chunked": DEFAULT + post(TE + b": identity, chunked", body=b"0\r\n\r\n"),
    "te-http10": DEFAULT + post(TE + b": chunked", body=b"0\r\n\r\n", version=b"HTTP/1.0"),
    "te-space-before-colon": option_bytes(flags=STRIP) + post(
        TE + b" : chunked", body=b"3\r\nabc\r\n0\r\n\r\n"),
    "te-folded": option_bytes(flags=FOLDING) + post(
        TE + b":\r\n chunked", body=b"3\r\nabc\r\n0\r\n\r\n"),
    "te-nbsp": DEFAULT + post(TE + b": chunked\xa0", body=b"0\r\n\r\n"),
    "chunk-ext-bare-cr": DEFAULT + post(TE + b": chunked", body=b"3;a=b\rc\r\nabc\r\n0\r\n\r\n"),
    "chunk-ext-quoted": DEFAULT + post(
        TE + b": chunked", body=b"3 ;name=\"v;\\\"x\"\r\nabc\r\n0;last\r\n\r\n"),
    "chunk-size-bws": DEFAULT + post(TE + b": chunked", body=b"3 \r\nabc\r\n0\r\n\r\n"),
    "chunk-size-overflow": DEFAULT + post(
        TE + b": chunked", body=b"10000000000000003\r\nabc\r\n0\r\n\r\n"),
    "chunk-size-prefix": DEFAULT + post(TE + b": chunked", body=b"0x3\r\nabc\r\n0\r\n\r\n"),
    "chunk-lf-only": DEFAULT + post(TE + b": chunked", body=b"3\nabc\n0\n\n"),
    "chunk-no-crlf-after-data": DEFAULT + post(TE + b": chunked", body=b"3\r\nabcX0\r\n\r\n"),
    "chunk-trailers": DEFAULT + post(
        TE + b": chunked", body=b"3\r\nabc\r\n0\r\nX-Sum: 1\r\nContent-Type: a\r\n\r\n"),
    "chunk-trailer-forbidden": DEFAULT + post(
        TE + b": chunked", body=b"0\r\nContent-Length: 5\r\n\r\n"),
    "chunk-trailer-folded": option_bytes(flags=FOLDING) + post(
        TE + b": chunked", body=b"0\r\nX-A: 1\r\n 2\r\n\r\n"),
    "chunk-truncated": DEFAULT + post(TE + b": chunked", body=b"5\r\nab"),
    "lf-only-head": DEFAULT + b"GET / HTTP/1.1\nHost: a\n\n",
    "cr-in-field": DEFAULT + post(b"X-A: 1\rX-B: 2"),
    "nul-in-field": DEFAULT + post(b"X-A: 1\x002"),
    "host-twice": DEFAULT + post(b"Host: b"),
    "expect-http10": DEFAULT + post(b"Expect: 100-continue", CL + b": 0", version=b"HTTP/1.0"),
    "expect-other": DEFAULT + post(b"Expect: 200-ok"),
    "underscore-forwarder": option_bytes(header_map="refuse", peer=FORWARDER_TRUSTED) + post(
        b"SCRIPT_NAME: /app", b"X_Other: 1"),
    "scheme-contradictory": option_bytes(peer=FORWARDER_TRUSTED) + post(
        b"X-Forwarded-Proto: https", b"X-Forwarded-Ssl: off"),
    "method-lowercase": option_bytes(flags=PERMIT_METHOD | CASEFOLD) + b"get / HTTP/1.1\r\n\r\n",
    "version-2": option_bytes(flags=PERMIT_VERSION) + b"GET / HTTP/2.0\r\n\r\n",
    "absolute-target": DEFAULT + b"GET http://a/b?c#d HTTP/1.1\r\n\r\n",
    "absolute-ipv6": DEFAULT + b"GET http://u@[::1%25eth0]:8080/ HTTP/1.1\r\n\r\n",
    "absolute-ipvfuture": DEFAULT + b"GET http://[v1f.a:b]/ HTTP/1.1\r\n\r\n",
    "connect": DEFAULT + b"CONNECT a:443 HTTP/1.1\r\n\r\n",
    "options-star": DEFAULT + b"OPTIONS * HTTP/1.1\r\n\r\n",
    "target-with-tab": DEFAULT + b"GET /a\tb HTTP/1.1\r\n\r\n",
    "proxy-v1-tcp4": PROXIED + b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n" + GET,
    "proxy-v1-tcp6": PROXIED + b"PROXY TCP6 ::1 2001:db8::1 1 65535\r\n" + GET,
    "proxy-v1-unknown": PROXIED + b"PROXY UNKNOWN\r\n" + GET,
    "proxy-v1-untrusted": option_bytes(proxy="v1") + b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + GET,
    "proxy-v1-bad-port": PROXIED + b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n" + GET,
    "proxy-v1-not-first": option_bytes(proxy="auto", peer=PROXY_TRUSTED | NOT_FIRST)
    + b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + GET,
    "proxy-v2-tcp4": PROXIED + V2_SIGNATURE + b"\x21\x11\x00\x0c"
    + bytes([192, 168, 0, 1, 192, 168, 0, 11]) + b"\xdc\x04\x01\xbb" + GET,
    "proxy-v2-tcp6-tlv": PROXIED + V2_SIGNATURE + b"\x21\x21\x00\x28"
    + bytes(15) + b"\x01" + bytes(15) + b"\x02" + b"\x00\x50\x01\xbb" + b"\x04\x00\x01\x00" + GET,
    "proxy-v2-local": PROXIED + V2_SIGNATURE + b"\x20\x00\x00\x00" + GET,
    "proxy-v2-unspec": PROXIED + V2_SIGNATURE + b"\x21\x00\x00\x00" + GET,
    "proxy-v2-udp": PROXIED + V2_SIGNATURE + b"\x21\x12\x00\x0c" + bytes(12) + GET,
    "proxy-v2-short": PROXIED + V2_SIGNATURE + b"\x21\x11\x00\x04" + bytes(4) + GET,
}


def seeds(corpus):
    """name -> bytes for every seed this script owns."""
    out = {}
    for kind in ("valid", "invalid"):
        for http in sorted((corpus / kind).glob("*.http")):
            data = decode_http(http)
            own = own_options(case_settings(http.with_suffix(".py")))
            out[f"{kind}-{http.stem}-own"] = own + data
            if own != LENIENT:
                out[f"{kind}-{http.stem}-lenient"] = LENIENT + data
    for name, data in SEEDS.items():
        out[f"seed-{name}"] = data
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=pathlib.Path, default=DEFAULT_CORPUS,
                        help="gunicorn's request corpus (with valid/ and invalid/)")
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "corpus")
    args = parser.parse_args()
    if not (args.corpus / "valid").is_dir():
        sys.exit(f"make_seeds.py: no conformance corpus at {args.corpus}")
    wanted = seeds(args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.iterdir():
        if OWNED.match(stale.name) and stale.name not in wanted:
            stale.unlink()
    for name, data in wanted.items():
        (args.out / name).write_bytes(data)
    print(f"{len(wanted)} seeds in {args.out}")


if __name__ == "__main__":
    main()
