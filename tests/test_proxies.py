"""Behind a proxy: trusted forwarders and the PROXY protocol, seen by the
echo app (tests/apps/echo.py) over raw loopback connections.

Trusted forwarders (gunicorn 26, reference section 6.9 and 6.10): a peer in
--forwarded-allow-ips (addresses, networks or `*`; a unix-socket peer is
always trusted) may set wsgi.url_scheme through secure_scheme_headers (two
that disagree: 400) and may pass the underscore headers named in
--forwarder-headers (a SCRIPT_NAME header then moves the prefix out of
PATH_INFO). Headers from anyone else are ordinary headers, and underscore
names follow --header-map (drop, refuse: 400, dangerous). REMOTE_ADDR is
never taken from X-Forwarded-For.

PROXY protocol (section 6.8): --proxy-protocol off|v1|v2|auto, from peers in
--proxy-allow-from (others: 403), only before the first request of a
connection and optional there. It sets REMOTE_ADDR/REMOTE_PORT and adds
PROXY_PROTOCOL, PROXY_ADDR and PROXY_PORT. A malformed v1 line or v2 header
is a 400.

Both topics decide on the peer's address, so they share one harness here:
every server listens on 127.0.0.1, on ::1 when the host has IPv6, and on a
unix socket, so one server shows a trusted and an untrusted peer side by
side. Every test runs under both worker kinds (the keep-alive ones under
gthread only).

Where qilin differs from gunicorn 26 on purpose (marked gunicorn20_differs,
so they are xfails when the binary is a gunicorn):
  - a malformed PROXY v2 header is a 400; gunicorn answers 500, because
    InvalidProxyHeader is missing from its handle_error() list;
  - a v1 "PROXY UNKNOWN" line is accepted, as the PROXY protocol spec asks
    (gunicorn's WSGI parser refuses it, its asgi parser accepts it);
  - after a header without addresses (v1 UNKNOWN, v2 LOCAL or UNSPEC) the
    real peer stays in REMOTE_ADDR/REMOTE_PORT and there is no PROXY_ADDR or
    PROXY_PORT (gunicorn puts None in all four);
  - v1 ports are plain decimal digits (gunicorn's int() also takes "+80"
    and "1_000");
  - the header describes the connection, so its addresses hold for every
    request on it (gunicorn 26 applies them to the first request only).
"""

import socket
import struct
import time

import pytest

from conftest import DEFAULT_TIMEOUT, WORKER_KINDS, Response, ResponseStream, Server

pytestmark = pytest.mark.parametrize("worker_kind", WORKER_KINDS, indirect=True)


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAS_IPV6 = _has_ipv6_loopback()
NEEDS_IPV6 = pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 loopback (::1) on this host")

NO_FLAG_IN_20 = "gunicorn 20.1 has no such setting (header_map, forwarder_headers, " \
                "PROXY modes and CIDR allow lists came in 22-26)"
V2_IS_400 = ("qilin answers a malformed PROXY v2 header with 400; gunicorn 26 with 500 "
             "(InvalidProxyHeader is not in handle_error's list), 20.1 has no v2")
UNDERSCORES_20 = ("gunicorn 20.1 maps underscore headers from any peer; since 22.0 only "
                  "a trusted forwarder's listed ones")
KEPT_FOR_THE_CONNECTION = (
    "qilin applies a PROXY header to every request of its connection; gunicorn 26 "
    "only to the first (later keep-alive requests show the proxy's own address)")
ADDRESSLESS = ("after v1 UNKNOWN or v2 LOCAL/UNSPEC qilin keeps the real peer in "
               "REMOTE_ADDR/REMOTE_PORT; gunicorn 26 sets REMOTE_ADDR, REMOTE_PORT, "
               "PROXY_ADDR and PROXY_PORT to None (or 'None')")


# ---------------------------------------------------------------- servers

@pytest.fixture(scope="module")
def sock_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("proxies")


_server_tags = {}


@pytest.fixture
def serve(shared_server, sock_dir, worker_kind):
    """serve(*args) -> Server listening on 127.0.0.1, [::1] (when there is
    IPv6) and a unix socket; one per distinct (args, worker kind)."""
    def get(*args):
        key = (worker_kind,) + args
        tag = _server_tags.setdefault(key, f"s{len(_server_tags)}")
        binds = ["-b", f"unix:{sock_dir}/{tag}.sock"]
        if HAS_IPV6:
            binds += ["-b", "[::1]:0"]
        return shared_server("echo:app", list(args) + binds)
    return get


def peer_address(srv, peer):
    """The listener a client must connect to to be the peer `peer`: "tcp4"
    (127.0.0.1), "tcp6" (::1) or "unix"."""
    for url in srv.listeners:
        kind, addr = Server.parse_listener(url)
        if kind == "unix" and peer == "unix":
            return addr
        if kind == "tcp" and peer == ("tcp6" if ":" in addr[0] else "tcp4"):
            return addr
    raise AssertionError(f"no {peer} listener in {srv.listeners}")


def message(path="/", *headers):
    lines = [f"GET {path} HTTP/1.1", "Host: proxied.example"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(srv, peer, data):
    """Send `data` from `peer` on a fresh connection: (Response, whether the
    app was entered)."""
    calls = len(srv.records())
    raw = srv.raw(data, addr=peer_address(srv, peer))
    assert raw, f"connection closed without a response to {data[:120]!r}"
    entered = any(e["event"] == "start" for e in srv.records()[calls:])
    return Response(raw), entered


def environ(srv, peer, data):
    r, _ = exchange(srv, peer, data)
    assert r.status == 200, r.raw[:400]
    return r.json()


def rejected(srv, peer, data, status):
    """`data` from `peer` is refused with `status` and an error page that
    closes the connection; the app is never entered."""
    r, entered = exchange(srv, peer, data)
    assert r.status == status, r.raw[:400]
    assert (r.header("connection") or "").lower() == "close"
    assert not entered, "the app was called for a refused request"
    return r


def http_keys(env):
    return {k: v for k, v in env.items() if k.startswith("HTTP_")}


# ---------------------------------------------------------------- trust

# --forwarded-allow-ips value -> the peers it trusts (unix: always).
ALLOW_LISTS = {
    "one-ip": ("127.0.0.1", {"tcp4", "unix"}),
    "other-ip": ("10.9.9.9", {"unix"}),
    "two-ips": ("10.9.9.9,::1", {"tcp6", "unix"}),
    "cidr": ("10.0.0.0/8,127.0.0.0/8", {"tcp4", "unix"}),
    "other-cidr": ("10.0.0.0/8,192.168.0.0/16", {"unix"}),
    "ipv6-cidr": ("::/0", {"tcp6", "unix"}),  # an IPv4 peer is not in an IPv6 network
    "star": ("*", {"tcp4", "tcp6", "unix"}),
}
CIDR_ALLOW_LISTS = {"cidr", "ipv6-cidr"}


def trust_matrix():
    params = []
    for name, (_value, trusted) in ALLOW_LISTS.items():
        for peer in ("tcp4", "tcp6", "unix"):
            marks = [NEEDS_IPV6] if peer == "tcp6" else []
            if name in CIDR_ALLOW_LISTS:
                marks.append(pytest.mark.gunicorn20_differs(
                    "gunicorn 20.1 has no CIDR allow lists"))
            verdict = "trusted" if peer in trusted else "untrusted"
            params.append(pytest.param(name, peer, peer in trusted, marks=marks,
                                       id=f"{name}-{peer}-{verdict}"))
    return params


@pytest.mark.parametrize("allow,peer,trusted", trust_matrix())
def test_allow_list_decides_who_sets_the_scheme(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", ALLOW_LISTS[allow][0])
    env = environ(srv, peer, message("/", "X-Forwarded-Proto: https"))
    assert env["wsgi.url_scheme"] == ("https" if trusted else "http")
    assert env["HTTP_X_FORWARDED_PROTO"] == "https"  # passed on either way


# The three peers every policy test is run from: a TCP peer in
# --forwarded-allow-ips, one outside it, and a unix-socket peer of the
# server that trusts no TCP peer.
TRUST_CASES = [
    pytest.param("127.0.0.1,::1", "tcp4", True, id="trusted-tcp"),
    pytest.param("10.9.9.9", "tcp4", False, id="untrusted-tcp"),
    pytest.param("10.9.9.9", "unix", True, id="unix"),
]
trust_cases = pytest.mark.parametrize("allow,peer,trusted", TRUST_CASES)


# ---------------------------------------------------------------- scheme

@trust_cases
@pytest.mark.parametrize("header", [
    "X-Forwarded-Proto: https", "X-Forwarded-Ssl: on", "X-Forwarded-Protocol: ssl",
    "x-forwarded-proto: https",  # names match in any case
    pytest.param("X-FORWARDED-SSL:   on  ", id="X-FORWARDED-SSL: on (padded)", marks=(
        pytest.mark.gunicorn20_differs("gunicorn 20.1 keeps trailing whitespace in values"))),
])
def test_secure_scheme_header(serve, allow, peer, trusted, header):
    srv = serve("--forwarded-allow-ips", allow)
    env = environ(srv, peer, message("/", header))
    assert env["wsgi.url_scheme"] == ("https" if trusted else "http")


@trust_cases
@pytest.mark.parametrize("header", [
    "X-Forwarded-Proto: HTTPS",  # values match exactly, case included
    "X-Forwarded-Proto: http", "X-Forwarded-Ssl: off", "X-Forwarded-Protocol: tls",
    "X-Forwarded-Scheme: https",  # not a configured scheme header
])
def test_other_values_mean_http(serve, allow, peer, trusted, header):
    srv = serve("--forwarded-allow-ips", allow)
    assert environ(srv, peer, message("/", header))["wsgi.url_scheme"] == "http"


@trust_cases
def test_agreeing_scheme_headers(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow)
    env = environ(srv, peer, message(
        "/", "X-Forwarded-Proto: https", "X-Forwarded-Ssl: on", "X-Forwarded-Proto: https"))
    assert env["wsgi.url_scheme"] == ("https" if trusted else "http")
    assert env["HTTP_X_FORWARDED_PROTO"] == "https,https"


@trust_cases
@pytest.mark.parametrize("headers", [
    ("X-Forwarded-Proto: https", "X-Forwarded-Ssl: off"),
    ("X-Forwarded-Proto: http", "X-Forwarded-Protocol: ssl"),
    ("X-Forwarded-Proto: https", "X-Forwarded-Proto: http"),  # one header, twice
], ids=["proto-ssl", "proto-protocol", "proto-twice"])
def test_conflicting_scheme_headers(serve, allow, peer, trusted, headers):
    srv = serve("--forwarded-allow-ips", allow)
    data = message("/", *headers)
    if trusted:
        r = rejected(srv, peer, data, 400)
        assert b"Contradictory scheme headers" in r.body
    else:
        assert environ(srv, peer, data)["wsgi.url_scheme"] == "http"


@pytest.fixture(scope="module")
def scheme_config(sock_dir):
    path = sock_dir / "scheme_conf.py"
    path.write_text('secure_scheme_headers = {"X-SCHEME": "https", "FRONT-END-HTTPS": "on"}\n')
    return str(path)


@trust_cases
def test_configured_secure_scheme_headers_replace_the_defaults(
        serve, scheme_config, allow, peer, trusted):
    srv = serve("-c", scheme_config, "--forwarded-allow-ips", allow)
    https = "https" if trusted else "http"
    assert environ(srv, peer, message("/", "X-Scheme: https"))["wsgi.url_scheme"] == https
    assert environ(srv, peer, message("/", "Front-End-Https: on"))["wsgi.url_scheme"] == https
    assert environ(srv, peer, message("/", "X-Forwarded-Proto: https"))["wsgi.url_scheme"] == "http"
    data = message("/", "X-Scheme: https", "Front-End-Https: off")
    if trusted:
        rejected(srv, peer, data, 400)
    else:
        assert environ(srv, peer, data)["wsgi.url_scheme"] == "http"


def keepalive_only(worker_kind):
    if worker_kind != "gthread":
        pytest.skip("the sync worker serves one request per connection")


@pytest.mark.gunicorn20_differs(UNDERSCORES_20)
@trust_cases
def test_trust_holds_for_every_request_of_the_connection(serve, worker_kind, allow, peer,
                                                         trusted):
    keepalive_only(worker_kind)
    srv = serve("--forwarded-allow-ips", allow)
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    responses = []
    with srv.connect(peer_address(srv, peer)) as s:
        stream = ResponseStream(s)
        for data in (message("/1", "X-Forwarded-Proto: https"),
                     message("/2", "X-Forwarded-Ssl: on"),
                     message("/3/x", "X-Forwarded-Protocol: ssl", "SCRIPT_NAME: /3")):
            s.sendall(data)
            responses.append(Response(stream.read(deadline)).json())
    assert [env["wsgi.url_scheme"] for env in responses] == ["https" if trusted else "http"] * 3
    assert responses[2]["SCRIPT_NAME"] == ("/3" if trusted else "")


# ---------------------------------------------------------------- client address

@trust_cases
def test_remote_addr_is_never_taken_from_forwarded_for(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow)
    env = environ(srv, peer, message(
        "/", "X-Forwarded-For: 203.0.113.7, 198.51.100.1", "X-Real-IP: 203.0.113.7",
        "Forwarded: for=203.0.113.7;proto=https"))
    assert env["REMOTE_ADDR"] == ("" if peer == "unix" else "127.0.0.1")
    assert env["HTTP_X_FORWARDED_FOR"] == "203.0.113.7, 198.51.100.1"
    assert env["HTTP_X_REAL_IP"] == "203.0.113.7"
    assert env["HTTP_FORWARDED"] == "for=203.0.113.7;proto=https"
    assert env["wsgi.url_scheme"] == "http"  # Forwarded is not a scheme header
    assert ("REMOTE_PORT" in env) is (peer != "unix")


# ---------------------------------------------------------------- forwarder headers

@pytest.mark.gunicorn20_differs(UNDERSCORES_20)
@trust_cases
def test_script_name_header(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow)
    env = environ(srv, peer, message("/app/page?x=1", "SCRIPT_NAME: /app"))
    if trusted:
        assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/app", "/page")
        assert env["HTTP_SCRIPT_NAME"] == "/app"
    else:
        assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("", "/app/page")
        assert "HTTP_SCRIPT_NAME" not in env
    assert env["QUERY_STRING"] == "x=1" and env["RAW_URI"] == "/app/page?x=1"


@pytest.mark.gunicorn20_differs(
    UNDERSCORES_20 + "; its ConfigurationProblem page has no message")
@trust_cases
def test_path_outside_script_name(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow)
    data = message("/elsewhere", "SCRIPT_NAME: /app")
    if trusted:  # gunicorn's ConfigurationProblem
        r, entered = exchange(srv, peer, data)
        assert r.status == 500 and not entered
        assert b"does not start with SCRIPT_NAME" in r.body
    else:
        assert environ(srv, peer, data)["PATH_INFO"] == "/elsewhere"


@pytest.mark.gunicorn20_differs(UNDERSCORES_20)
@trust_cases
def test_path_info_header_is_passed_not_applied(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow)
    env = environ(srv, peer, message("/real/path", "PATH_INFO: /from/header"))
    assert env["PATH_INFO"] == "/real/path"
    if trusted:
        assert env["HTTP_PATH_INFO"] == "/from/header"
    else:
        assert "HTTP_PATH_INFO" not in env


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@trust_cases
def test_forwarder_headers_setting(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow, "--forwarder-headers", "SCRIPT_NAME,REMOTE_USER")
    env = environ(srv, peer, message("/", "REMOTE_USER: alice", "PATH_INFO: /x"))
    # REMOTE_USER arrives as a header, HTTP_REMOTE_USER; PATH_INFO is no
    # longer listed, so it is dropped even from a trusted peer.
    assert http_keys(env) == ({"HTTP_HOST": "proxied.example", "HTTP_REMOTE_USER": "alice"}
                              if trusted else {"HTTP_HOST": "proxied.example"})
    assert "REMOTE_USER" not in env


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@trust_cases
def test_forwarder_headers_star(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow, "--forwarder-headers", "*")
    env = environ(srv, peer, message("/", "X_Custom_Thing: 1", "SCRIPT_NAME: /"))
    if trusted:
        assert env["HTTP_X_CUSTOM_THING"] == "1" and env["HTTP_SCRIPT_NAME"] == "/"
    else:
        assert http_keys(env) == {"HTTP_HOST": "proxied.example"}


# ---------------------------------------------------------------- header_map

@pytest.mark.gunicorn20_differs(UNDERSCORES_20)
@trust_cases
def test_header_map_drop_is_the_default(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow)
    env = environ(srv, peer, message("/", "X-Custom: dash", "X_Custom: underscore", "X_Other: 1"))
    assert http_keys(env) == {"HTTP_HOST": "proxied.example", "HTTP_X_CUSTOM": "dash"}


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@trust_cases
def test_header_map_drop_explicit(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow, "--header-map", "drop")
    env = environ(srv, peer, message("/app/x", "X_Custom: 1", "SCRIPT_NAME: /app"))
    assert "HTTP_X_CUSTOM" not in env
    assert env["SCRIPT_NAME"] == ("/app" if trusted else "")


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@trust_cases
def test_header_map_refuse(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow, "--header-map", "refuse")
    r = rejected(srv, peer, message("/", "X_Custom: 1"), 400)
    assert b"Invalid HTTP header name: &#x27;X_CUSTOM&#x27;" in r.body
    # a forwarder header passes only from a trusted peer
    data = message("/app/x", "SCRIPT_NAME: /app")
    if trusted:
        env = environ(srv, peer, data)
        assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/app", "/x")
    else:
        rejected(srv, peer, data, 400)
    assert environ(srv, peer, message("/", "X-Custom: 1"))["HTTP_X_CUSTOM"] == "1"


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@trust_cases
def test_header_map_dangerous(serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow, "--header-map", "dangerous")
    env = environ(srv, peer, message("/", "X-Custom: dash", "X_Custom: underscore"))
    assert env["HTTP_X_CUSTOM"] == "dash,underscore"
    # Dangerous indeed: any peer's SCRIPT_NAME header now reaches environ
    # and is applied, as in gunicorn.
    env = environ(srv, peer, message("/app/x", "SCRIPT_NAME: /app"))
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/app", "/x")


@pytest.mark.gunicorn20_differs("gunicorn 20.1 maps underscore headers, so they count")
@trust_cases
def test_dropped_headers_do_not_count_against_limit_request_fields(
        serve, allow, peer, trusted):
    srv = serve("--forwarded-allow-ips", allow, "--limit-request-fields", "2")
    env = environ(srv, peer, message("/", "X_A: 1", "X_B: 2", "X_C: 3", "X-Kept: 4"))
    assert http_keys(env) == {"HTTP_HOST": "proxied.example", "HTTP_X_KEPT": "4"}
    rejected(srv, peer, message("/", "X-A: 1", "X-B: 2"), 431)


# ---------------------------------------------------------------- PROXY protocol

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
LOCAL, PROXY = 0x0, 0x1
AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX = 0x0, 0x1, 0x2, 0x3
STREAM, DGRAM = 0x1, 0x2


def v2_header(command=PROXY, family=AF_INET, transport=STREAM, payload=b"", version=2,
              length=None):
    """A PROXY v2 header: signature, version/command, family/transport,
    payload length (big-endian), payload (addresses, then TLVs)."""
    n = len(payload) if length is None else length
    return (V2_SIGNATURE + struct.pack("!BBH", (version << 4) | command,
                                       (family << 4) | transport, n) + payload)


def v2_inet(src, dst, sport, dport):
    return struct.pack("!4s4sHH", socket.inet_pton(socket.AF_INET, src),
                       socket.inet_pton(socket.AF_INET, dst), sport, dport)


def v2_inet6(src, dst, sport, dport):
    return struct.pack("!16s16sHH", socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst), sport, dport)


def tlv(kind, value):
    return struct.pack("!BH", kind, len(value)) + value


def ntop6(text):
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))


PLAIN = message("/behind/proxy?q=1")

def case(name, header, *expect):
    return pytest.param(header, expect, id=name)


# header -> (PROXY_PROTOCOL, REMOTE_ADDR, REMOTE_PORT, PROXY_ADDR, PROXY_PORT)
V1_TCP4 = b"PROXY TCP4 192.0.2.10 198.51.100.20 56324 443\r\n"
V1_HEADERS = [
    case("tcp4", V1_TCP4, "TCP4", "192.0.2.10", "56324", "198.51.100.20", "443"),
    case("tcp4-port-0", b"PROXY TCP4 192.0.2.10 198.51.100.20 0 65535\r\n",
         "TCP4", "192.0.2.10", "0", "198.51.100.20", "65535"),
    case("tcp4-leading-zero-port", b"PROXY TCP4 192.0.2.10 198.51.100.20 00080 08080\r\n",
         "TCP4", "192.0.2.10", "80", "198.51.100.20", "8080"),
    case("tcp6", b"PROXY TCP6 2001:db8::1 2001:db8::2 4000 8080\r\n",
         "TCP6", "2001:db8::1", "4000", "2001:db8::2", "8080"),
    # v1 addresses are passed on as written
    case("tcp6-as-sent", b"PROXY TCP6 2001:DB8:0:0:0:0:0:A ::FFFF:192.0.2.1 1 2\r\n",
         "TCP6", "2001:DB8:0:0:0:0:0:A", "1", "::FFFF:192.0.2.1", "2"),
]
V2_TCP4 = v2_header(payload=v2_inet("192.0.2.1", "192.0.2.2", 1000, 2000))
V2_HEADERS = [
    case("tcp4", V2_TCP4, "TCP4", "192.0.2.1", "1000", "192.0.2.2", "2000"),
    # v2 addresses are formatted as inet_ntop does
    case("tcp6", v2_header(family=AF_INET6, payload=v2_inet6(
        "2001:db8:0:0:1:0:0:1", "::ffff:192.0.2.9", 65535, 0)),
        "TCP6", ntop6("2001:db8:0:0:1:0:0:1"), "65535", ntop6("::ffff:192.0.2.9"), "0"),
    case("tcp4-with-tlvs", v2_header(payload=v2_inet("203.0.113.5", "192.0.2.2", 4321, 443)
                                     + tlv(0x02, b"example.com") + tlv(0x04, b"\x00" * 5)),
         "TCP4", "203.0.113.5", "4321", "192.0.2.2", "443"),
    # bytes after the addresses are TLV space, skipped whatever they hold
    case("tcp4-long-block", v2_header(
        payload=v2_inet("198.51.100.1", "192.0.2.2", 1, 2) + b"\xff" * 8),
        "TCP4", "198.51.100.1", "1", "192.0.2.2", "2"),
]
# headers that carry no address: the real peer stands
V2_ADDRESSLESS = [
    pytest.param(v2_header(command=LOCAL, family=AF_UNSPEC, transport=0), "LOCAL", id="local"),
    pytest.param(v2_header(command=LOCAL, family=AF_INET,
                           payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2)), "LOCAL",
                 id="local-ignores-block"),
    pytest.param(v2_header(family=AF_UNSPEC), "UNSPEC", id="unspec"),
    pytest.param(v2_header(family=AF_UNSPEC, payload=b"\x01" * 12), "UNSPEC",
                 id="unspec-with-block"),
]


def proxy_server(serve, mode, allow="127.0.0.1,::1"):
    args = ["--proxy-allow-from", allow]
    if mode is not None:
        args = ["--proxy-protocol", mode] + args
    return serve(*args)


# The peers a valid header is sent from: allowed TCP, not allowed TCP (403),
# and a unix-socket peer of a server that allows no TCP peer.
PROXY_PEERS = [
    pytest.param("127.0.0.1,::1", "tcp4", True, id="allowed-tcp"),
    pytest.param("10.9.9.9", "tcp4", False, id="not-allowed-tcp"),
    pytest.param("10.9.9.9", "unix", True, id="unix"),
]
proxy_peers = pytest.mark.parametrize("allow,peer,allowed", PROXY_PEERS)


def check_proxied(srv, peer, allowed, header, expect):
    protocol, remote_addr, remote_port, proxy_addr, proxy_port = expect
    if not allowed:
        rejected(srv, peer, header + PLAIN, 403)
        return
    env = environ(srv, peer, header + PLAIN)
    got = {k: env.get(k) for k in
           ("PROXY_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT", "PROXY_ADDR", "PROXY_PORT")}
    assert got == {"PROXY_PROTOCOL": protocol, "REMOTE_ADDR": remote_addr,
                   "REMOTE_PORT": remote_port, "PROXY_ADDR": proxy_addr,
                   "PROXY_PORT": proxy_port}
    # the request behind the header is intact
    assert (env["REQUEST_METHOD"], env["PATH_INFO"], env["QUERY_STRING"]) == \
        ("GET", "/behind/proxy", "q=1")
    assert env["HTTP_HOST"] == "proxied.example"
    assert env["_flags"]["non_str_cgi_keys"] == []


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@proxy_peers
@pytest.mark.parametrize("mode", ["v1", "auto"])
@pytest.mark.parametrize("header,expect", V1_HEADERS)
def test_proxy_v1(serve, allow, peer, allowed, mode, header, expect):
    check_proxied(proxy_server(serve, mode, allow), peer, allowed, header, expect)


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@proxy_peers
@pytest.mark.parametrize("mode", ["v2", "auto"])
@pytest.mark.parametrize("header,expect", V2_HEADERS)
def test_proxy_v2(serve, allow, peer, allowed, mode, header, expect):
    check_proxied(proxy_server(serve, mode, allow), peer, allowed, header, expect)


def check_addressless(srv, peer, allowed, header, protocol):
    if not allowed:
        rejected(srv, peer, header + PLAIN, 403)
        return
    with srv.connect(peer_address(srv, peer)) as s:
        local = s.getsockname()
        s.sendall(header + PLAIN)
        r = Response(srv.read_response(s, time.monotonic() + DEFAULT_TIMEOUT))
    assert r.status == 200, r.raw[:400]
    env = r.json()
    assert env["PROXY_PROTOCOL"] == protocol
    if peer == "unix":
        assert env["REMOTE_ADDR"] == "" and "REMOTE_PORT" not in env
    else:
        assert (env["REMOTE_ADDR"], env["REMOTE_PORT"]) == ("127.0.0.1", str(local[1]))
    assert "PROXY_ADDR" not in env and "PROXY_PORT" not in env
    assert env["_flags"]["non_str_cgi_keys"] == []
    assert env["PATH_INFO"] == "/behind/proxy"


@pytest.mark.gunicorn20_differs(ADDRESSLESS)
@proxy_peers
@pytest.mark.parametrize("mode", ["v2", "auto"])
@pytest.mark.parametrize("header,protocol", V2_ADDRESSLESS)
def test_proxy_v2_without_addresses(serve, allow, peer, allowed, mode, header, protocol):
    check_addressless(proxy_server(serve, mode, allow), peer, allowed, header, protocol)


@pytest.mark.gunicorn20_differs(
    "qilin accepts v1 UNKNOWN as the PROXY protocol spec asks; gunicorn 26's WSGI "
    "parser refuses it with 400. " + ADDRESSLESS)
@proxy_peers
@pytest.mark.parametrize("header", [b"PROXY UNKNOWN\r\n",
                                    b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n",
                                    b"PROXY UNKNOWN whatever follows\r\n"],
                         ids=["bare", "with-addresses", "free-text"])
def test_proxy_v1_unknown(serve, allow, peer, allowed, header):
    check_addressless(proxy_server(serve, "v1", allow), peer, allowed, header, "UNKNOWN")


def mode_param(mode, *values, id=None):
    """A PROXY mode parameter; modes other than the default are flags
    gunicorn 20.1 does not know."""
    marks = [] if mode is None else [pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)]
    return pytest.param(mode, *values, marks=marks, id=id or str(mode))


@pytest.mark.parametrize("mode", [mode_param(m) for m in (None, "off", "v1", "v2", "auto")])
@pytest.mark.parametrize("peer", ["tcp4", "unix"])
def test_proxy_header_is_optional(serve, mode, peer):
    srv = proxy_server(serve, mode)
    env = environ(srv, peer, PLAIN)
    assert env["REMOTE_ADDR"] == ("127.0.0.1" if peer == "tcp4" else "")
    assert not {"PROXY_PROTOCOL", "PROXY_ADDR", "PROXY_PORT"} & set(env)


@pytest.mark.parametrize("mode,header", [
    mode_param(None, V1_TCP4, id="default-v1"), mode_param("off", V1_TCP4, id="off-v1"),
    mode_param("v2", V1_TCP4, id="v2-mode-v1"), mode_param(None, V2_TCP4, id="default-v2"),
    mode_param("off", V2_TCP4, id="off-v2"), mode_param("v1", V2_TCP4, id="v1-mode-v2"),
])
@pytest.mark.parametrize("allow,peer", [("127.0.0.1,::1", "tcp4"), ("10.9.9.9", "tcp4"),
                                        ("10.9.9.9", "unix")],
                         ids=["allowed-tcp", "not-allowed-tcp", "unix"])
def test_header_of_a_mode_not_enabled_is_a_bad_request(serve, mode, header, allow, peer):
    srv = proxy_server(serve, mode, allow)
    rejected(srv, peer, header + PLAIN, 400)  # read as a request line


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@pytest.mark.parametrize("allow,peer,allowed", [
    ("127.0.0.1", "tcp4", True), ("127.0.0.0/8", "tcp4", True), ("*", "tcp4", True),
    ("10.0.0.0/8,::1", "tcp4", False), ("::1", "tcp4", False),
    pytest.param("::1", "tcp6", True, marks=NEEDS_IPV6),
    pytest.param("::/0", "tcp6", True, marks=NEEDS_IPV6),
    pytest.param("127.0.0.1", "tcp6", False, marks=NEEDS_IPV6),
    ("10.9.9.9", "unix", True),
])
def test_proxy_allow_from_forms(serve, allow, peer, allowed):
    srv = proxy_server(serve, "auto", allow)
    for header, remote in ((V1_TCP4, "192.0.2.10"), (V2_TCP4, "192.0.2.1")):
        if allowed:
            assert environ(srv, peer, header + PLAIN)["REMOTE_ADDR"] == remote
        else:
            r = rejected(srv, peer, header + PLAIN, 403)
            assert r.reason == "Forbidden" and b"Request forbidden" in r.body


MALFORMED_V1 = [
    ("five-fields", b"PROXY TCP4 192.0.2.1 192.0.2.2 1000\r\n"),
    ("seven-fields", b"PROXY TCP4 192.0.2.1 192.0.2.2 1000 2000 3000\r\n"),
    ("double-space", b"PROXY TCP4  192.0.2.1 192.0.2.2 1000 2000\r\n"),
    ("udp", b"PROXY UDP4 192.0.2.1 192.0.2.2 1000 2000\r\n"),
    ("lower-case-protocol", b"PROXY tcp4 192.0.2.1 192.0.2.2 1000 2000\r\n"),
    ("tcp4-with-ipv6", b"PROXY TCP4 2001:db8::1 192.0.2.2 1000 2000\r\n"),
    ("tcp6-with-ipv4", b"PROXY TCP6 192.0.2.1 2001:db8::2 1000 2000\r\n"),
    ("bad-octet", b"PROXY TCP4 256.0.2.1 192.0.2.2 1000 2000\r\n"),
    ("leading-zero-octet", b"PROXY TCP4 192.0.2.01 192.0.2.2 1000 2000\r\n"),
    ("short-ipv4", b"PROXY TCP4 192.0.2 192.0.2.2 1000 2000\r\n"),
    ("scoped-ipv6", b"PROXY TCP6 fe80::1%lo 2001:db8::2 1000 2000\r\n"),
    ("port-too-big", b"PROXY TCP4 192.0.2.1 192.0.2.2 65536 2000\r\n"),
    ("negative-port", b"PROXY TCP4 192.0.2.1 192.0.2.2 -1 2000\r\n"),
    ("named-port", b"PROXY TCP4 192.0.2.1 192.0.2.2 http 2000\r\n"),
    ("hex-port", b"PROXY TCP4 192.0.2.1 192.0.2.2 0x50 2000\r\n"),
    ("empty", b"PROXY \r\n"),
]


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@pytest.mark.parametrize("mode", ["v1", "auto"])
@pytest.mark.parametrize("name,header", MALFORMED_V1, ids=[c[0] for c in MALFORMED_V1])
def test_malformed_v1_line(serve, mode, name, header):
    srv = proxy_server(serve, mode)
    for peer in ("tcp4", "unix"):
        r = rejected(srv, peer, header + PLAIN, 400)
        assert b"Invalid PROXY line" in r.body


@pytest.mark.gunicorn20_differs(
    "qilin takes v1 ports as plain decimal digits; gunicorn's int() also takes a "
    "sign and underscores")
@pytest.mark.parametrize("port", [b"+80", b"1_000"])
def test_v1_port_is_plain_digits(serve, port):
    srv = proxy_server(serve, "v1")
    rejected(srv, "tcp4", b"PROXY TCP4 192.0.2.1 192.0.2.2 " + port + b" 80\r\n" + PLAIN, 400)


MALFORMED_V2 = [
    ("version-1", v2_header(version=1, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("version-3", v2_header(version=3, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("command-2", v2_header(command=2, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("command-15", v2_header(command=15, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("dgram", v2_header(transport=DGRAM, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("no-transport", v2_header(transport=0, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("unix-family", v2_header(family=AF_UNIX, payload=b"\x00" * 216)),
    ("family-4", v2_header(family=4, payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
    ("short-ipv4-block", v2_header(payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2)[:11])),
    ("empty-ipv4-block", v2_header()),
    ("short-ipv6-block", v2_header(family=AF_INET6,
                                   payload=v2_inet6("::1", "::2", 1, 2)[:35])),
    ("ipv6-given-ipv4-block", v2_header(family=AF_INET6,
                                        payload=v2_inet("192.0.2.1", "192.0.2.2", 1, 2))),
]


@pytest.mark.gunicorn20_differs(V2_IS_400)
@pytest.mark.parametrize("mode", ["v2", "auto"])
@pytest.mark.parametrize("name,header", MALFORMED_V2, ids=[c[0] for c in MALFORMED_V2])
def test_malformed_v2_header_is_400(serve, mode, name, header):
    srv = proxy_server(serve, mode)
    for peer in ("tcp4", "unix"):
        r = rejected(srv, peer, header + PLAIN, 400)
        assert b"Invalid PROXY header" in r.body


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@pytest.mark.parametrize("header", [MALFORMED_V1[0][1], MALFORMED_V2[0][1]], ids=["v1", "v2"])
def test_peer_not_allowed_is_refused_before_the_header_is_read(serve, header):
    srv = proxy_server(serve, "auto", "10.9.9.9")
    rejected(srv, "tcp4", header + PLAIN, 403)


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@pytest.mark.parametrize("cut", [V1_TCP4[:-3], V2_TCP4[:14], V2_TCP4[:20]],
                         ids=["v1", "v2-in-fixed-part", "v2-in-addresses"])
def test_header_cut_short_by_eof_gets_no_response(serve, cut):
    srv = proxy_server(serve, "auto")
    calls = len(srv.records())
    raw = srv.raw(cut, half_close=True, addr=peer_address(srv, "tcp4"))
    assert raw == b""
    assert len(srv.records()) == calls


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@pytest.mark.parametrize("header,remote", [(V1_TCP4, "192.0.2.10"), (V2_TCP4, "192.0.2.1")],
                         ids=["v1", "v2"])
def test_header_arriving_in_pieces(serve, header, remote):
    srv = proxy_server(serve, "auto")
    data = header + PLAIN
    cuts = [0, 1, 7, 13, 15, len(header) - 1, len(header) + 5, len(data)]
    with srv.connect(peer_address(srv, "tcp4")) as s:
        for a, b in zip(cuts, cuts[1:]):
            s.sendall(data[a:b])
            time.sleep(0.03)
        r = Response(srv.read_response(s, time.monotonic() + DEFAULT_TIMEOUT))
    assert r.status == 200, r.raw[:300]
    assert r.json()["REMOTE_ADDR"] == remote


@pytest.mark.gunicorn20_differs(KEPT_FOR_THE_CONNECTION)
@pytest.mark.parametrize("header,remote", [(V1_TCP4, "192.0.2.10"), (V2_TCP4, "192.0.2.1")],
                         ids=["v1", "v2"])
def test_proxy_info_holds_for_every_request_of_the_connection(serve, worker_kind, header, remote):
    keepalive_only(worker_kind)
    srv = proxy_server(serve, "auto")
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    with srv.connect(peer_address(srv, "tcp4")) as s:
        stream = ResponseStream(s)
        s.sendall(header + PLAIN + message("/second"))  # pipelined
        first = Response(stream.read(deadline))
        s.sendall(message("/third"))  # after a pause
        second, third = Response(stream.read(deadline)), Response(stream.read(deadline))
    for r, path in ((first, "/behind/proxy"), (second, "/second"), (third, "/third")):
        env = r.json()
        assert (env["PATH_INFO"], env["REMOTE_ADDR"], env["PROXY_PROTOCOL"]) == \
            (path, remote, "TCP4")


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
@pytest.mark.parametrize("header", [V1_TCP4, V2_TCP4], ids=["v1", "v2"])
def test_proxy_header_later_in_the_connection_is_a_bad_request(serve, worker_kind, header):
    keepalive_only(worker_kind)
    srv = proxy_server(serve, "auto")
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    calls = len(srv.records())
    with srv.connect(peer_address(srv, "tcp4")) as s:
        stream = ResponseStream(s)
        s.sendall(PLAIN)
        first = Response(stream.read(deadline))
        s.sendall(header + PLAIN)
        second = Response(stream.read(deadline))
        rest = stream.read_to_eof(deadline)
    assert first.status == 200 and first.json()["REMOTE_ADDR"] == "127.0.0.1"
    assert second.status == 400 and rest == b""
    assert len([e for e in srv.records()[calls:] if e["event"] == "start"]) == 1


@pytest.mark.gunicorn20_differs(NO_FLAG_IN_20)
def test_bare_proxy_protocol_flag_means_auto(serve):
    srv = serve("--proxy-protocol", "--proxy-allow-from", "127.0.0.1")
    assert environ(srv, "tcp4", V1_TCP4 + PLAIN)["PROXY_PROTOCOL"] == "TCP4"
    assert environ(srv, "tcp4", V2_TCP4 + PLAIN)["REMOTE_ADDR"] == "192.0.2.1"
