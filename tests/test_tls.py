"""TLS: --certfile/--keyfile on every listener, client certificates
(--ca-certs, --cert-reqs), the SSL_* environ keys, file responses over TLS,
and the bad cases (plain HTTP on the TLS port, aborted and stalled
handshakes, refused client certificates, files that cannot serve). Runs once
per worker kind (sync, gthread).

The CA and every certificate are made here, at run time, with the openssl
CLI. Clients are curl --cacert, Python's ssl module and openssl s_client.
A bad client must never take a worker down or hold up another client: the
worker PIDs stay the same and a good client is served meanwhile."""

import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from conftest import Response, ResponseStream, build_request, recv_all, says_close
from config_support import assert_one_line_error, run, write

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

GUNICORN_DIFFERS = pytest.mark.gunicorn20_differs


# ---------------------------------------------------------------- certificates

def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A CA, a server certificate for localhost/127.0.0.1, client
    certificates (good, expired, from another CA), and keys that do not
    fit: all in one directory, made once per test session."""

    def __init__(self, d):
        self.dir = d
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/O=qilin tests/CN=qilin test CA", cwd=d)
        openssl("req", "-x509", *ec, "-keyout", "rogue-ca.key", "-out", "rogue-ca.pem",
                "-days", "2", "-subj", "/CN=rogue CA", cwd=d)
        (d / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
        self.sign("server", "/CN=localhost", "server.ext")
        self.sign("renewed", "/CN=localhost", "server.ext")
        # root CA -> intermediate CA -> leaf
        (d / "ca.ext").write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n")
        self.sign("intermediate", "/CN=qilin test intermediate", "ca.ext")
        self.sign("leaf", "/CN=localhost", "server.ext", ca="intermediate")
        (d / "leaf-chain.pem").write_bytes((d / "leaf.pem").read_bytes() + (d / "intermediate.pem").read_bytes())
        self.sign("client", "/O=qilin tests/CN=qilin test client", "client.ext")
        self.sign("expired", "/CN=expired client", "client.ext", days="-1")
        self.sign("rogue", "/CN=rogue client", "client.ext", ca="rogue-ca")
        openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-out", "other.key", cwd=d)
        openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret",
                "-out", "encrypted.key", cwd=d)
        # certfile may carry the key too
        (d / "combined.pem").write_bytes((d / "server.pem").read_bytes() + (d / "server.key").read_bytes())

    def sign(self, name, subject, ext, days="2", ca="ca"):
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject,
                cwd=self.dir)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-days", days, "-extfile", ext, "-out", f"{name}.pem",
                cwd=self.dir)

    def path(self, name):
        return str(self.dir / name)

    def server_args(self, *extra):
        return ["--certfile", self.path("server.pem"), "--keyfile", self.path("server.key"),
                *extra]

    def mtls_args(self, reqs="2"):
        return self.server_args("--ca-certs", self.path("ca.pem"), "--cert-reqs", reqs)

    def context(self, client=None):
        """A client context trusting the test CA, with a client certificate."""
        ctx = ssl.create_default_context(cafile=self.path("ca.pem"))
        if client:
            ctx.load_cert_chain(self.path(f"{client}.pem"), self.path(f"{client}.key"))
        return ctx

    def cert_field(self, name, *args):
        out = subprocess.run(["openssl", "x509", "-in", self.path(f"{name}.pem"), "-noout", *args],
                             check=True, capture_output=True, text=True, timeout=30).stdout
        return out.strip().partition("=")[2]


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


# ---------------------------------------------------------------- clients

def https_raw(srv, data, ctx, *, timeout=10.0):
    """Sends raw request bytes over TLS on a new connection; the response
    bytes (one response, or up to the close)."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(srv.addr, timeout=timeout) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(data)
            if not srv.keeps_alive:
                return recv_all(t, deadline)
            # one response (ResponseStream.pending() is for plain sockets)
            stream = ResponseStream(t)
            out = stream.read(deadline, head_request=data.startswith(b"HEAD "))
            return out + stream.read_to_eof(deadline) if says_close(out) else out


def https_get(srv, path, ctx, **kw):
    raw = https_raw(srv, build_request("GET", path, host="localhost"), ctx, **kw)
    assert raw, f"no response\n{srv.tail(3000)}"
    return Response(raw)


def curl(srv, path, pki, *args, timeout=15):
    """curl over https to 127.0.0.1: (exit code, body bytes, stderr text)."""
    url = f"https://127.0.0.1:{srv.port}{path}"
    p = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", pki.path("ca.pem"),
                        *args, url], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def s_client(srv, pki, *args, data=b"GET / HTTP/1.0\r\n\r\n", timeout=15):
    """openssl s_client with `data` on stdin: (exit code, stdout+stderr text)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}",
                        "-servername", "localhost", "-CAfile", pki.path("ca.pem"), "-ign_eof",
                        *args], input=data, capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def client_hello(pki):
    """The bytes of a real TLS ClientHello, as Python's ssl would send them."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = pki.context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def reset_close(sock):
    """Closes with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def closed_by_server(sock, timeout):
    """Waits for the server to close `sock`: True when it did within `timeout`."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def assert_unharmed(srv, pki, pids):
    """The workers are the ones from before, and a good client is served."""
    r = https_get(srv, "/after", pki.context(), timeout=5)
    assert r.status == 200, r
    assert srv.workers() == pids, srv.tail()


def environ_of(response):
    assert response.status == 200, response
    return json.loads(response.body)


# ---------------------------------------------------------------- serving

@GUNICORN_DIFFERS("gunicorn adds no SSL_* keys")
def test_curl_gets_https_with_https_scheme(shared_server, pki):
    srv = shared_server("echo:app", pki.server_args())
    assert any(u.startswith("https://") for u in srv.listeners), srv.listeners
    rc, body, err = curl(srv, "/x?y=1", pki)
    assert rc == 0, err
    env = json.loads(body)
    assert env["wsgi.url_scheme"] == "https"
    assert env["PATH_INFO"] == "/x" and env["QUERY_STRING"] == "y=1"
    assert env["SERVER_PORT"] == str(srv.port)
    assert env["SSL_PROTOCOL"] in ("TLSv1.2", "TLSv1.3")
    assert env["SSL_CIPHER"]
    assert env["SSL_CLIENT_VERIFY"] == "NONE"
    assert "SSL_CLIENT_CERT" not in env
    assert "HTTPS" not in env  # gunicorn sets no HTTPS key; wsgi.url_scheme says it


def test_python_ssl_posts_a_large_body(shared_server, pki):
    srv = shared_server("echo:app", pki.server_args())
    body = bytes(range(256)) * 1200  # 300 KiB: many TLS records, past the prefetch bound
    raw = https_raw(srv, build_request("POST", "/upload", [("Content-Type", "x/y")], body,
                                       host="localhost"), pki.context())
    env = environ_of(Response(raw))
    assert env["_body"].encode("latin-1") == body
    assert env["CONTENT_LENGTH"] == str(len(body))


def test_chunked_upload_and_expect_continue(shared_server, pki):
    srv = shared_server("echo:app", pki.server_args())
    data = (b"POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Expect: 100-continue\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    r = Response(https_raw(srv, data, pki.context()))
    assert r.interim == ["HTTP/1.1 100 Continue"], r.raw[:200]
    assert environ_of(r)["_body"] == "hello world"


def test_keepalive_and_pipelining_over_tls(shared_server, pki, worker_kind):
    """Two requests in one TLS write: gthread answers both on the same
    connection (the second is read from what OpenSSL already decrypted);
    sync answers the first and closes, as it does in plain HTTP."""
    srv = shared_server("echo:app", pki.server_args())
    two = build_request("GET", "/one", host="localhost") + build_request("GET", "/two", host="localhost")
    deadline = time.monotonic() + 10
    with socket.create_connection(srv.addr, timeout=10) as s:
        with pki.context().wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(two)
            stream = ResponseStream(t)
            first = Response(stream.read(deadline))
            assert environ_of(first)["PATH_INFO"] == "/one"
            if worker_kind == "sync":
                assert first.header("connection") == "close"
                assert stream.read(deadline) == b""
                return
            assert first.header("connection") == "keep-alive"
            second = Response(stream.read(deadline))
            assert environ_of(second)["PATH_INFO"] == "/two"
            t.sendall(build_request("GET", "/three", host="localhost"))
            assert environ_of(Response(stream.read(deadline)))["PATH_INFO"] == "/three"


@pytest.fixture(scope="session")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tls-file") / "big.bin"
    path.write_bytes(os.urandom(3 << 20))
    return path


def kernel_tls_possible():
    try:
        return "tls" in Path("/proc/sys/net/ipv4/tcp_available_ulp").read_text().split()
    except OSError:
        return False


@pytest.mark.parametrize("path", ["/file", "/file_nocl", "/file_offset"])
def test_file_wrapper_over_tls(shared_server, pki, big_file, path, record_property):
    """wsgi.file_wrapper over TLS: sendfile through kernel TLS where the
    kernel offers it, else read-and-write through OpenSSL. The debug log
    says which path each connection took."""
    srv = shared_server("responses:app", pki.server_args("--log-level", "debug"),
                        env={"QILIN_TEST_FILE": str(big_file)})
    mark = srv.log_mark()
    rc, body, err = curl(srv, path, pki)
    assert rc == 0, err
    want = big_file.read_bytes()[100:] if path == "/file_offset" else big_file.read_bytes()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(want).hexdigest()
    line = srv.wait_for_log(r"TLS handshake with 127\.0\.0\.1: (.*)", since=mark).group(1)
    observed = "kernel TLS sendfile" if "kernel TLS sends" in line else "OpenSSL read-and-write"
    record_property("tls_file_path", observed)
    print(f"file over TLS: {observed} ({line}); kernel offers TLS: {kernel_tls_possible()}")
    if not kernel_tls_possible():
        assert observed == "OpenSSL read-and-write"


# ---------------------------------------------------------------- client certificates

@GUNICORN_DIFFERS("gunicorn adds no SSL_CLIENT_* keys")
def test_client_certificate_required_and_exposed(shared_server, pki):
    srv = shared_server("echo:app", pki.mtls_args())
    rc, body, err = curl(srv, "/me", pki, "--cert", pki.path("client.pem"),
                         "--key", pki.path("client.key"))
    assert rc == 0, err
    env = json.loads(body)
    assert env["wsgi.url_scheme"] == "https"
    assert env["SSL_CLIENT_VERIFY"] == "SUCCESS"
    assert env["SSL_CLIENT_S_DN"] == "CN=qilin test client,O=qilin tests"
    assert env["SSL_CLIENT_S_DN_CN"] == "qilin test client"
    assert env["SSL_CLIENT_I_DN"] == "CN=qilin test CA,O=qilin tests"
    assert env["SSL_CLIENT_M_SERIAL"] == pki.cert_field("client", "-serial")
    assert env["SSL_CLIENT_V_END"] == pki.cert_field("client", "-enddate")
    assert env["SSL_CLIENT_V_START"] == pki.cert_field("client", "-startdate")
    pem = Path(pki.path("client.pem")).read_text()
    assert env["SSL_CLIENT_CERT"].strip() == pem.strip()


@pytest.mark.parametrize("client,alert", [
    (None, "certificate required"),
    ("expired", "certificate expired"),
    ("rogue", "unknown ca"),
])
def test_refused_client_certificate_with_cert_reqs_2(start_server, pki, client, alert):
    srv = start_server("echo:app", pki.mtls_args("2"))
    pids = srv.workers()
    args = ["-cert", pki.path(f"{client}.pem"), "-key", pki.path(f"{client}.key")] if client else []
    rc, out = s_client(srv, pki, *args)
    assert alert in out, out
    assert "HTTP/1." not in out, out
    assert srv.records() == []  # the application never saw it
    # Python's ssl and curl meet the same refusal
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        ctx = pki.context(client)
        raw = https_raw(srv, build_request("GET", "/", host="localhost"), ctx, timeout=5)
        if not raw:
            raise ConnectionResetError("closed without a response")
    assert https_get(srv, "/good", pki.context("client"), timeout=5).status == 200
    assert srv.workers() == pids, srv.tail()


@GUNICORN_DIFFERS("gunicorn adds no SSL_CLIENT_* keys")
def test_client_certificate_optional_with_cert_reqs_1(shared_server, pki):
    srv = shared_server("echo:app", pki.mtls_args("1"))
    assert environ_of(https_get(srv, "/none", pki.context()))["SSL_CLIENT_VERIFY"] == "NONE"
    env = environ_of(https_get(srv, "/some", pki.context("client")))
    assert env["SSL_CLIENT_VERIFY"] == "SUCCESS"
    assert env["SSL_CLIENT_S_DN_CN"] == "qilin test client"
    rc, out = s_client(srv, pki, "-cert", pki.path("rogue.pem"), "-key", pki.path("rogue.key"))
    assert "unknown ca" in out and "HTTP/1." not in out, out


def test_cert_reqs_0_asks_for_no_certificate(shared_server, pki):
    # the two switches are accepted; the handshake always starts at accept
    srv = shared_server("echo:app", pki.server_args("--ca-certs", pki.path("ca.pem"),
                                                    "--do-handshake-on-connect",
                                                    "--suppress-ragged-eofs"))
    env = environ_of(https_get(srv, "/", pki.context("client")))
    assert env["SSL_CLIENT_VERIFY"] == "NONE"  # never asked, so none was sent


def test_trusted_proxy_header_can_say_http(shared_server, pki):
    """As in gunicorn: TLS makes the scheme https, unless a trusted peer's
    secure_scheme_headers entry says otherwise."""
    srv = shared_server("echo:app", pki.server_args())
    data = build_request("GET", "/", [("X-Forwarded-Proto", "http")], host="localhost")
    assert environ_of(Response(https_raw(srv, data, pki.context())))["wsgi.url_scheme"] == "http"
    data = build_request("GET", "/", [("X-Forwarded-Proto", "https")], host="localhost")
    assert environ_of(Response(https_raw(srv, data, pki.context())))["wsgi.url_scheme"] == "https"


# ---------------------------------------------------------------- bad input

@GUNICORN_DIFFERS("gunicorn closes without an answer")
def test_plain_http_on_the_tls_port_gets_a_plain_400(start_server, pki):
    srv = start_server("echo:app", pki.server_args())
    pids = srv.workers()
    for method in ("GET", "POST", "HEAD", "PUT"):
        raw = srv.raw(build_request(method, "/", host="localhost", body=b"x" if method in ("POST", "PUT") else b""))
        r = Response(raw)
        assert r.status == 400, raw[:300]
        assert b"plain HTTP request was sent to an HTTPS port" in r.body
        assert r.header("connection") == "close"
    # something else that is not TLS either: closed without an answer
    assert srv.raw(b"\x00\x01garbage\r\n\r\n" * 4) == b""
    assert srv.records() == []
    assert_unharmed(srv, pki, pids)


@pytest.mark.parametrize("how", ["half-hello-fin", "half-hello-rst", "full-hello-rst",
                                 "python-close"])
def test_client_aborting_the_handshake(start_server, pki, how):
    srv = start_server("echo:app", pki.server_args())
    pids = srv.workers()
    hello = client_hello(pki)
    for _ in range(3):
        s = srv.connect()
        if how.startswith("half"):
            s.sendall(hello[:len(hello) // 2])
        elif how == "full-hello-rst":
            s.sendall(hello)
            s.recv(100)  # the server's first flight has started
        if how == "python-close":  # a real client that gives up mid-handshake
            obj_in, obj_out = ssl.MemoryBIO(), ssl.MemoryBIO()
            obj = pki.context().wrap_bio(obj_in, obj_out, server_hostname="localhost")
            with pytest.raises(ssl.SSLWantReadError):
                obj.do_handshake()
            s.sendall(obj_out.read())
            s.close()
        elif how.endswith("rst"):
            reset_close(s)
        else:
            s.close()
    time.sleep(0.2)
    assert srv.alive()
    assert_unharmed(srv, pki, pids)


@GUNICORN_DIFFERS("gunicorn has no --header-timeout; a stalled handshake holds a sync worker")
def test_stalled_handshake_is_closed_and_blocks_no_one(start_server, pki, worker_kind):
    """A client that stops mid-handshake is closed after --header-timeout;
    meanwhile other clients are served at once, even by one sync worker or
    one application thread."""
    extra = ["--threads", "1"] if worker_kind == "gthread" else []
    srv = start_server("echo:app", pki.server_args("--header-timeout", "1", "-w", "1", *extra))
    pids = srv.workers()
    hello = client_hello(pki)
    silent = srv.connect()                       # connects, says nothing
    stalled = srv.connect()
    stalled.sendall(hello[:len(hello) // 2])     # half a ClientHello, then nothing
    started = time.monotonic()
    for i in range(3):
        t0 = time.monotonic()
        r = https_get(srv, f"/meanwhile/{i}", pki.context(), timeout=5)
        assert r.status == 200
        assert time.monotonic() - t0 < 0.8, "a stalled handshake held up another client"
    assert closed_by_server(stalled, 4.0), "the stalled handshake was not closed"
    assert closed_by_server(silent, 4.0), "the silent connection was not closed"
    took = time.monotonic() - started
    assert 0.5 < took < 3.5, took
    assert srv.records() and all(e["path"].startswith("/meanwhile") for e in srv.records())
    assert srv.workers() == pids


def test_ragged_eof_ends_a_body_by_default(start_server, pki):
    """A client that drops TCP mid-body without close_notify: with
    suppress_ragged_eofs (the default) its body just ends there, as a
    plain-HTTP client's does."""
    srv = start_server("echo:app", pki.server_args())
    send_short_body_then_drop(srv, pki)
    wait_for_record(srv, "done")
    done = [e for e in srv.records() if e["event"] == "done"]
    assert done[0]["body_len"] == 10


@GUNICORN_DIFFERS("the short body reaches gunicorn's app, whose read then raises")
def test_ragged_eof_is_an_error_when_not_suppressed(start_server, pki, tmp_path):
    conf = write(tmp_path / "tls.conf.py", "suppress_ragged_eofs = False\n")
    srv = start_server("echo:app", pki.server_args("-c", str(conf)))
    pids = srv.workers()
    send_short_body_then_drop(srv, pki)
    time.sleep(0.5)
    assert srv.records() == []  # dropped, never handed to the application
    # a clean close_notify still ends the stream normally
    with socket.create_connection(srv.addr, timeout=5) as s:
        t = pki.context().wrap_socket(s, server_hostname="localhost")
        t.sendall(b"POST /cut HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789")
        try:
            t.unwrap()  # sends close_notify; the response may come before the server's
        except ssl.SSLError:
            pass
    wait_for_record(srv, "done")
    assert [e["body_len"] for e in srv.records() if e["event"] == "done"] == [10]
    assert_unharmed(srv, pki, pids)


def send_short_body_then_drop(srv, pki):
    s = socket.create_connection(srv.addr, timeout=5)
    t = pki.context().wrap_socket(s, server_hostname="localhost")
    t.sendall(b"POST /cut HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789")
    time.sleep(0.2)
    t.shutdown(socket.SHUT_RDWR)  # TCP FIN, no close_notify
    t.close()


def wait_for_record(srv, event, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not [e for e in srv.records() if e["event"] == event]:
        assert time.monotonic() < deadline, f"no {event!r} record\n{srv.tail()}"
        time.sleep(0.05)


# ---------------------------------------------------------------- start-up

@pytest.mark.parametrize("case,tokens", [
    ("mismatch", ["do not match", "other.key"]),
    ("missing-cert", ["Cannot read certfile", "No such file"]),
    ("missing-key", ["Cannot read keyfile", "No such file"]),
    ("not-a-cert", ["certfile", "no PEM certificate"]),
    ("encrypted-key", ["encrypted", "encrypted.key"]),
    ("key-alone", ["certfile"]),
    ("bad-ciphers", ["ciphers", "NOPE-NOTHING"]),
    ("cert-reqs-3", ["cert_reqs", "3"]),
    ("missing-ca", ["Cannot read ca_certs"]),
])
def test_files_that_cannot_serve_stop_the_start_up(run_server, pki, case, tokens):
    p = pki.path
    args = {
        "mismatch": ["--certfile", p("server.pem"), "--keyfile", p("other.key")],
        "missing-cert": ["--certfile", p("nope.pem"), "--keyfile", p("server.key")],
        "missing-key": ["--certfile", p("server.pem"), "--keyfile", p("nope.key")],
        "not-a-cert": ["--certfile", p("server.ext"), "--keyfile", p("server.key")],
        "encrypted-key": ["--certfile", p("server.pem"), "--keyfile", p("encrypted.key")],
        "key-alone": ["--keyfile", p("server.key")],
        "bad-ciphers": pki.server_args("--ciphers", "NOPE-NOTHING"),
        "cert-reqs-3": pki.server_args("--cert-reqs", "3"),
        "missing-ca": pki.server_args("--ca-certs", p("nope-ca.pem"), "--cert-reqs", "2"),
    }[case]
    r = run(run_server, args, bind="127.0.0.1:0", timeout=10)
    assert_one_line_error(r, *tokens)
    assert len(r.err_lines()) == 1, r
    assert "Booting worker" not in r.err


def test_key_inside_certfile(shared_server, pki):
    srv = shared_server("echo:app", ["--certfile", pki.path("combined.pem")])
    assert environ_of(https_get(srv, "/", pki.context()))["wsgi.url_scheme"] == "https"


@pytest.mark.parametrize("how", ["chain-in-certfile", "chain-from-ca-certs"])
def test_intermediate_certificates_are_sent(start_server, pki, how):
    """The client trusts the root only: the server must send the
    intermediate, whether certfile holds it or the CA store completes it."""
    if how == "chain-in-certfile":
        args = ["--certfile", pki.path("leaf-chain.pem"), "--keyfile", pki.path("leaf.key")]
    else:
        args = ["--certfile", pki.path("leaf.pem"), "--keyfile", pki.path("leaf.key"),
                "--ca-certs", pki.path("intermediate.pem")]
    srv = start_server("echo:app", args)
    assert environ_of(https_get(srv, "/", pki.context()))["wsgi.url_scheme"] == "https"


def test_check_config_checks_the_certificate(run_server, pki):
    assert run(run_server, pki.server_args("--check-config")).rc == 0
    r = run(run_server, ["--certfile", pki.path("server.pem"), "--keyfile", pki.path("other.key"),
                         "--check-config"])
    assert_one_line_error(r, "do not match")


def test_ssl_version_is_ignored_with_gunicorns_warning(run_server, pki):
    warning = "Warning: option `ssl_version` is deprecated and it is ignored. Use ssl_context instead."
    r = run(run_server, pki.server_args("--ssl-version", "5", "--check-config"))
    assert r.rc == 0, r
    assert warning in r.err_lines(), r
    r = run(run_server, pki.server_args("--check-config"))
    assert r.rc == 0 and warning not in r.err, r


def test_ciphers_setting_limits_tls12(shared_server, pki):
    srv = shared_server("echo:app", pki.server_args("--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"))
    ctx = pki.context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    env = environ_of(https_get(srv, "/", ctx))
    assert env["SSL_PROTOCOL"] == "TLSv1.2"
    assert env["SSL_CIPHER"] == "ECDHE-ECDSA-AES128-GCM-SHA256"
    ctx = pki.context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305")
    with pytest.raises(ssl.SSLError):
        https_get(srv, "/", ctx, timeout=5)


def test_tls_1_1_is_refused(shared_server, pki):
    srv = shared_server("echo:app", pki.server_args())
    rc, out = s_client(srv, pki, "-tls1_1")
    assert "HTTP/1." not in out, out


# ---------------------------------------------------------------- the ssl_context hook

NO_HOOK_IN_GUNICORN20 = GUNICORN_DIFFERS("gunicorn 20.1 has no ssl_context hook")


def hook_conf(tmp_path, body, name="hook.conf.py", settings=""):
    """A config file whose ssl_context hook runs `body` (Python, with
    `config` and `default_ssl_context_factory` in scope; its first line is
    line 4 of the file), after `settings` (one line of Python)."""
    lines = "\n".join("    " + line for line in textwrap.dedent(body).strip().splitlines())
    return write(tmp_path / name, f"import ssl\n{settings}\n"
                 "def ssl_context(config, default_ssl_context_factory):\n" + lines + "\n")


def alpn_client(pki, *protocols):
    ctx = pki.context()
    ctx.set_alpn_protocols(list(protocols))
    return ctx


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_alpn_is_served(start_server, pki, tmp_path):
    conf = hook_conf(tmp_path, """\
        context = default_ssl_context_factory()
        context.set_alpn_protocols(["h2", "http/1.1"])
        return context
        """)
    srv = start_server("echo:app", pki.server_args("-c", str(conf), "--log-level", "debug"))
    with socket.create_connection(srv.addr, timeout=5) as s:
        with alpn_client(pki, "http/1.1").wrap_socket(s, server_hostname="localhost") as t:
            assert t.selected_alpn_protocol() == "http/1.1"
            t.sendall(build_request("GET", "/alpn", host="localhost"))
            r = Response(ResponseStream(t).read(time.monotonic() + 5))
    assert environ_of(r)["PATH_INFO"] == "/alpn"
    # The hook's list prefers h2, which qilin does not speak: a client that
    # gets it is closed without an answer, and the log says why.
    mark = srv.log_mark()
    with socket.create_connection(srv.addr, timeout=5) as s:
        with alpn_client(pki, "h2", "http/1.1").wrap_socket(s, server_hostname="localhost") as t:
            assert t.selected_alpn_protocol() == "h2"
            try:
                t.sendall(build_request("GET", "/h2", host="localhost"))
                answer = recv_all(t, time.monotonic() + 5)
            except (BrokenPipeError, ConnectionResetError):  # closed before the request came
                answer = b""
            assert answer == b""
    srv.wait_for_log(r"ALPN chose 'h2', which qilin does not serve", since=mark)
    assert {e["path"] for e in srv.records()} == {"/alpn"}


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_minimum_version_tls13(start_server, pki, tmp_path):
    conf = hook_conf(tmp_path, """\
        context = default_ssl_context_factory()
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        return context
        """)
    srv = start_server("echo:app", pki.server_args("-c", str(conf)))
    old = pki.context()
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        https_get(srv, "/", old, timeout=5)
    assert environ_of(https_get(srv, "/", pki.context()))["SSL_PROTOCOL"] == "TLSv1.3"
    rc, out = s_client(srv, pki, "-tls1_2")
    assert "HTTP/1." not in out, out


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_serves_its_own_certificate(start_server, pki, tmp_path):
    """The hook reads the settings from `config` and may load another
    certificate than --certfile: the client sees the hook's."""
    conf = hook_conf(tmp_path, f"""\
        assert config.certfile == {pki.path("server.pem")!r}, config.certfile
        assert config.is_ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain({pki.path("renewed.pem")!r}, {pki.path("renewed.key")!r})
        return context
        """)
    srv = start_server("echo:app", pki.server_args("-c", str(conf)))
    assert same_cert(served_certificate(srv, pki), Path(pki.path("renewed.pem")).read_text())
    assert environ_of(https_get(srv, "/", pki.context()))["wsgi.url_scheme"] == "https"


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_default_factory_follows_the_settings(start_server, pki, tmp_path):
    """default_ssl_context_factory() builds gunicorn's context from the SSL
    settings: here ca_certs and cert_reqs 2 (client certificates required)
    and a TLS 1.2 cipher."""
    conf = hook_conf(tmp_path, "return default_ssl_context_factory()")
    srv = start_server("echo:app", pki.mtls_args("2") + [
        "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256", "-c", str(conf)])
    ctx = pki.context("client")
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    env = environ_of(https_get(srv, "/", ctx))
    assert env["SSL_CLIENT_VERIFY"] == "SUCCESS"
    assert env["SSL_CIPHER"] == "ECDHE-ECDSA-AES128-GCM-SHA256"
    rc, out = s_client(srv, pki)  # no client certificate
    assert "certificate required" in out and "HTTP/1." not in out, out


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_that_raises_stops_the_start_up(run_server, pki, tmp_path):
    conf = hook_conf(tmp_path, """\
        raise RuntimeError("qilin-test: no context today")
        """)
    r = run(run_server, pki.server_args("-c", str(conf)), bind="127.0.0.1:0", timeout=10)
    assert r.rc == 1, r
    assert "Exception in ssl_context hook" in r.err, r
    assert "Traceback (most recent call last):" in r.err, r
    assert 'hook.conf.py", line 4, in ssl_context' in r.err, r
    assert r.err_lines()[-1] == "RuntimeError: qilin-test: no context today", r
    assert "Listening at" not in r.err and "Booting worker" not in r.err


@NO_HOOK_IN_GUNICORN20
@pytest.mark.parametrize("body,tokens", [
    ("return None", ["ssl_context", "returned NoneType, not an ssl.SSLContext"]),
    ("return ssl.create_default_context()", ["ssl_context", "client-side"]),
    ("return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)", ["ssl_context", "no certificate"]),
    ("""\
     context = default_ssl_context_factory()
     context.sni_callback = lambda sock, name, ctx: None
     return context""", ["ssl_context", "sni_callback"]),
])
def test_ssl_context_hook_returning_what_cannot_serve(run_server, pki, tmp_path, body, tokens):
    conf = hook_conf(tmp_path, body)
    r = run(run_server, pki.server_args("-c", str(conf)), bind="127.0.0.1:0", timeout=10)
    assert_one_line_error(r, *tokens)
    assert len(r.err_lines()) == 1, r
    assert "Booting worker" not in r.err


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_runs_for_check_config(run_server, pki, tmp_path):
    conf = hook_conf(tmp_path, "return default_ssl_context_factory()")
    assert run(run_server, pki.server_args("-c", str(conf), "--check-config")).rc == 0
    conf = hook_conf(tmp_path, "return 42", name="bad.conf.py")
    r = run(run_server, pki.server_args("-c", str(conf), "--check-config"))
    assert_one_line_error(r, "returned int, not an ssl.SSLContext")


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_without_tls_is_not_called(start_server, tmp_path):
    # As gunicorn: the hook belongs to TLS, which certfile/keyfile turn on.
    conf = hook_conf(tmp_path, "raise RuntimeError('qilin-test: must not run')")
    srv = start_server("hello:app", ["-c", str(conf)])
    assert srv.get("/").status == 200


@NO_HOOK_IN_GUNICORN20
def test_ssl_context_hook_key_log_is_dropped_with_a_warning(start_server, pki, tmp_path):
    """create_default_context() sets keylog_filename from SSLKEYLOGFILE;
    qilin writes no key log and says so."""
    keys = tmp_path / "keys.log"
    conf = hook_conf(tmp_path, "return default_ssl_context_factory()")
    srv = start_server("echo:app", pki.server_args("-c", str(conf)),
                       env={"SSLKEYLOGFILE": str(keys)})
    srv.wait_for_log(r"\[WARNING\] ssl_context hook: keylog_filename .* is not carried over")
    assert environ_of(https_get(srv, "/", pki.context()))["wsgi.url_scheme"] == "https"
    # Python's ssl writes a comment line when it opens the file; no secret follows
    secrets = keys.read_text().splitlines() if keys.exists() else []
    assert all(line.startswith("#") for line in secrets), secrets


# ---------------------------------------------------------------- HUP

def served_certificate(srv, pki):
    with socket.create_connection(srv.addr, timeout=5) as s:
        with pki.context().wrap_socket(s, server_hostname="localhost") as t:
            return ssl.DER_cert_to_PEM_cert(t.getpeercert(binary_form=True))


def same_cert(pem_a, pem_b):
    return ssl.PEM_cert_to_DER_cert(pem_a) == ssl.PEM_cert_to_DER_cert(pem_b)


@GUNICORN_DIFFERS("gunicorn's sync and gthread workers read the files for every connection")
def test_hup_serves_renewed_certificate_files(start_server, pki, tmp_path):
    cert, key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(pki.path("server.pem"), cert)
    shutil.copy(pki.path("server.key"), key)
    srv = start_server("echo:app", ["--certfile", str(cert), "--keyfile", str(key)])
    (old,) = srv.workers()
    assert same_cert(served_certificate(srv, pki), cert.read_text())
    shutil.copy(pki.path("renewed.pem"), cert)
    shutil.copy(pki.path("renewed.key"), key)
    assert same_cert(served_certificate(srv, pki), Path(pki.path("server.pem")).read_text())  # loaded once
    srv.send_signal(signal.SIGHUP)
    srv.wait_workers(lambda w: len(w) == 1 and old not in w, timeout=15, message="the new worker")
    assert same_cert(served_certificate(srv, pki), Path(pki.path("renewed.pem")).read_text())


def test_hup_with_files_that_cannot_serve_keeps_the_old_ones(start_server, pki, tmp_path):
    cert, key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(pki.path("server.pem"), cert)
    shutil.copy(pki.path("server.key"), key)
    srv = start_server("echo:app", ["--certfile", str(cert), "--keyfile", str(key)])
    pids = srv.workers()
    shutil.copy(pki.path("other.key"), key)  # no longer the certificate's key
    mark = srv.log_mark()
    srv.send_signal(signal.SIGHUP)
    srv.wait_for_log(r"do not match", since=mark)
    time.sleep(0.3)
    assert srv.workers() == pids
    assert same_cert(served_certificate(srv, pki), cert.read_text())
    assert_unharmed(srv, pki, pids)


@NO_HOOK_IN_GUNICORN20
def test_hup_runs_the_ssl_context_hook_again_with_the_new_settings(start_server, pki, tmp_path):
    """The hook loads what `config` says; HUP reads the config file again and
    calls the hook with the new settings. A hook that then raises fails the
    reload as a whole: the old workers go on serving."""
    body = "context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n" \
           "context.load_cert_chain(config.certfile, config.keyfile)\n" \
           "return context"

    def conf(name, hook=body):
        return hook_conf(tmp_path, hook, settings=f"certfile, keyfile = "
                         f"{pki.path(name + '.pem')!r}, {pki.path(name + '.key')!r}")

    path = conf("server")
    srv = start_server("echo:app", ["-c", str(path)])
    (old,) = srv.workers()
    assert same_cert(served_certificate(srv, pki), Path(pki.path("server.pem")).read_text())
    conf("renewed")
    srv.send_signal(signal.SIGHUP)
    srv.wait_workers(lambda w: len(w) == 1 and old not in w, timeout=15, message="the new worker")
    assert same_cert(served_certificate(srv, pki), Path(pki.path("renewed.pem")).read_text())

    pids = srv.workers()
    conf("server", hook="raise RuntimeError('qilin-test: not now')")
    mark = srv.log_mark()
    srv.send_signal(signal.SIGHUP)
    srv.wait_for_log(r"RuntimeError: qilin-test: not now", since=mark)
    assert "Exception in ssl_context hook" in srv.tail()
    time.sleep(0.3)
    assert srv.workers() == pids
    assert same_cert(served_certificate(srv, pki), Path(pki.path("renewed.pem")).read_text())
