"""Helpers for the gthread tests (tests/test_gthread*.py): one client
connection that the server may keep open, read response by response, and
checks on how and when the server closes it. Every wait has a deadline."""

import socket
import time

from conftest import Response, ResponseStream, build_request

APP = "gthread_app:app"


def req(method="GET", path="/", headers=None, body=b"", version="HTTP/1.1"):
    """Raw request bytes with a Host header for HTTP/1.1."""
    return build_request(method, path, headers, body, version,
                         host="x" if version == "HTTP/1.1" else None)


class Client:
    """One connection. request() sends and reads one response; read()
    reads the next one (pipelining); eof_within() tells whether the server
    closes within a time."""

    def __init__(self, srv, timeout=10.0):
        self.sock = srv.connect(timeout=timeout)
        self.stream = ResponseStream(self.sock)
        self.timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def send(self, data):
        self.sock.sendall(data)

    def read(self, timeout=None, head_request=False):
        """The next response; an AssertionError if the server closed first."""
        raw = self.stream.read(time.monotonic() + (timeout or self.timeout), head_request)
        if not raw:
            raise AssertionError("the server closed the connection without a response")
        return Response(raw)

    def request(self, method="GET", path="/", headers=None, body=b"",
                version="HTTP/1.1", timeout=None):
        self.send(req(method, path, headers, body, version))
        return self.read(timeout, head_request=(method == "HEAD"))

    def eof_within(self, seconds):
        """True when the server closes (EOF or reset) within `seconds` with
        no further bytes; raises if bytes arrive instead."""
        deadline = time.monotonic() + seconds
        while not self.stream.eof:
            if time.monotonic() >= deadline:
                return False
            try:
                self.stream.fill(deadline, "EOF")
            except AssertionError:
                return False
        extra = self.stream.pending()
        assert extra == b"", f"unexpected bytes before the close: {extra[:200]!r}"
        return True

    def wait_eof(self, seconds, what="the server to close the connection"):
        """Seconds until the server closed; fails if it does not within `seconds`."""
        start = time.monotonic()
        assert self.eof_within(seconds), f"timed out after {seconds}s waiting for {what}"
        return time.monotonic() - start


def recv_some(sock, n, deadline):
    """Up to n bytes (b"" at EOF or reset)."""
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        return sock.recv(n)
    except ConnectionResetError:
        return b""
    except socket.timeout:
        raise AssertionError("timed out waiting for bytes")


def sparse_file(path, size):
    """A file of `size` zero bytes that takes no disk space: more than any
    socket buffers hold, for responses a client can stall."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def small_window(sock):
    """A small receive buffer, so that a client that stops reading stalls
    the server's writes early."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    return sock


def bytes_until_closed(sock, timeout=10):
    """Reads what `sock` still gets until the server ends it (EOF or reset)."""
    got = 0
    sock.settimeout(timeout)
    while True:
        try:
            data = sock.recv(1 << 20)
        except ConnectionResetError:
            return got
        if not data:
            return got
        got += len(data)


def connection_refused_or_unserved(srv, wait=2.0):
    """After the listeners closed: a new client is either refused, or (if
    it was still queued) closed without any response. Returns a description;
    raises if the client got a response."""
    try:
        s = socket.create_connection(srv.addr, timeout=wait)
    except (ConnectionRefusedError, socket.timeout, OSError) as e:
        return f"refused: {type(e).__name__}"
    with s:
        try:
            s.sendall(req("GET", "/after-term"))
        except OSError as e:
            return f"send failed: {type(e).__name__}"
        deadline = time.monotonic() + wait
        got = b""
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not data:
                break
            got += data
        assert got == b"", f"a connection made after TERM was served: {got[:200]!r}"
        return "accepted but not served"
