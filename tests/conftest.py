"""Black-box harness: start the server binary, talk HTTP to it, read its log.

Everything here is bounded in time: every wait has a deadline, and every
process a fixture starts is killed (its whole process group, by PID) at
teardown. The binary is `$QILIN_BIN`, default `<repo>/build/qilin`. Setting
`QILIN_BIN=/usr/bin/gunicorn` runs the same tests against Debian's gunicorn
20.1 as an oracle; tests where that version is known to differ carry the
`gunicorn20_differs(reason)` marker and become non-strict xfails there.

Fixtures:
  start_server   function-scoped factory: a fresh server per call.
  shared_server  session-scoped factory: one server per distinct
                 (app, args, env, cwd), reused by every test that asks for
                 the same one. Only for tests that leave the server as they
                 found it (no signals, no killed workers).
  run_server     run the binary to completion (for start-up failures).
  worker_kind    "sync" or "gthread": in BOTH_KINDS_MODULES every test runs
                 once per kind, and start_server/shared_server add that
                 kind's arguments (QILIN_TEST_WORKER_KINDS narrows it).

A server that keeps connections alive (gthread) is read response by
response (ResponseStream, read_one_response) instead of until the close; a
response that says Connection: close must still be followed by the close.
"""

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
APPS = TESTS / "apps"
BIN = os.environ.get("QILIN_BIN") or str(REPO / "build" / "qilin")
IS_GUNICORN = os.path.basename(BIN).startswith("gunicorn")
# The name the server uses for itself in "Starting <name> <version>".
SERVER_NAME = "gunicorn" if IS_GUNICORN else "qilin"
DEFAULT_TIMEOUT = 10.0  # seconds for one request / one wait unless told

# gunicorn's error-log line: [2026-11-27 07:11:18 +0000] [1234] [INFO] message
LOG_LINE_RE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})\] \[(\d+)\] "
    r"\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] (.*)$")
LISTEN_RE = re.compile(r"Listening at: (\S+(?:,\S+)*) \((\d+)\)")
BOOT_RE = re.compile(r"Booting worker with pid: (\d+)")

# Environment variables that change server behaviour; never inherited.
_SCRUBBED_ENV = {
    "PORT", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "SCRIPT_NAME",
    "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
    "FORWARDED_ALLOW_IPS", "SENDFILE", "LISTEN_FDS", "LISTEN_PID",
    "GUNICORN_FD", "GUNICORN_PID", "NOTIFY_SOCKET", "DJANGO_SETTINGS_MODULE",
}


def server_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in _SCRUBBED_ENV and not k.startswith("QILIN_TEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


# ---------------------------------------------------------------- markers

def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "gunicorn20_differs(reason): gunicorn 20.1 is known to behave "
        "differently (older than gunicorn 26, or the issue asks for more "
        "than gunicorn); an xfail only when QILIN_BIN is gunicorn")


def pytest_collection_modifyitems(config, items):
    if not IS_GUNICORN:
        return
    for item in items:
        mark = item.get_closest_marker("gunicorn20_differs")
        if mark is not None:
            reason = mark.args[0] if mark.args else mark.kwargs.get("reason", "")
            item.add_marker(pytest.mark.xfail(
                reason="gunicorn 20.1 differs: " + reason, strict=False))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    for when in ("setup", "call"):
        rep = getattr(request.node, "rep_" + when, None)
        if rep is not None and rep.failed:
            return True
    return False


# ---------------------------------------------------------------- HTTP

class Response:
    """One parsed HTTP response. `headers` keeps order and case; `rest` is
    everything after the header block, undecoded; `body` is the decoded body
    (chunked decoded, or cut at Content-Length); `complete` says whether the
    framing was complete."""

    def __init__(self, raw):
        self.raw = raw
        self.interim = []  # 1xx responses that came before this one
        data = raw
        while True:
            head, sep, rest = data.partition(b"\r\n\r\n")
            if not sep:
                raise AssertionError(f"no complete response head in {raw[:500]!r}")
            lines = head.split(b"\r\n")
            status_line = lines[0].decode("latin-1")
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise AssertionError(f"bad status line {status_line!r}")
            status = int(parts[1])
            if 100 <= status < 200 and rest:
                self.interim.append(status_line)
                data = rest
                continue
            break
        self.status_line = status_line
        self.version = parts[0]
        self.status = status
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            self.headers.append((name, value.strip()))
        self.rest = rest
        self.complete = True
        te = (self.header("transfer-encoding") or "").lower()
        cl = self.header("content-length")
        if "chunked" in te:
            self.body, self.complete, self.trailer_bytes = decode_chunked(rest)
        elif cl is not None:
            n = int(cl)
            self.body = rest[:n]
            self.complete = len(rest) >= n
        else:
            self.body = rest

    def header(self, name):
        """The last value of header `name` (any case), or None."""
        values = self.header_all(name)
        return values[-1] if values else None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<Response {self.status_line!r} {len(self.rest)} bytes>"


def decode_chunked(data):
    """Decode a chunked body: (body, complete, trailer_bytes)."""
    body = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return bytes(body), False, b""
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return bytes(body), False, b""
        pos = eol + 2
        if size == 0:
            end = data.find(b"\r\n\r\n", pos - 2)
            if end < 0:
                return bytes(body), False, b""
            return bytes(body), True, data[pos:end + 2]
        if len(data) < pos + size + 2:
            body += data[pos:pos + size]
            return bytes(body), False, b""
        body += data[pos:pos + size]
        if data[pos + size:pos + size + 2] != b"\r\n":
            return bytes(body), False, b""
        pos += size + 2


def build_request(method="GET", path="/", headers=None, body=b"",
                  version="HTTP/1.1", host=None):
    """Raw request bytes. A Host header is added for HTTP/1.1 unless given;
    Content-Length is added when there is a body and no framing header."""
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if host and "host" not in names:
        headers.insert(0, ("Host", host))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    lines = [f"{method} {path} {version}"] + [f"{k}: {v}" for k, v in headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body


def recv_all(sock, deadline):
    """Read until EOF. A reset after some data counts as EOF; hitting the
    deadline raises (a server that never closes is a failure)."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            got = b"".join(chunks)
            raise AssertionError(
                f"server did not close the connection in time; got {got[:300]!r}")
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def send_all_tolerant(sock, data):
    """sendall, but a server that answered early and closed is not an error
    here: the caller reads whatever response it sent."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


# ---------------------------------------------------------------- keep-alive

def _chunked_end(data, pos):
    """Offset just past a chunked body (and its trailers) that starts at
    `pos`; None while incomplete; -1 when the framing is broken (only the
    server closing can end such a response)."""
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(data[pos:eol]).split(b";", 1)[0].strip(), 16)
        except ValueError:
            return -1
        pos = eol + 2
        if size == 0:
            while True:  # trailer lines, up to an empty one
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return eol + 2
                pos = eol + 2
        if len(data) < pos + size + 2:
            return None
        pos += size + 2


def response_end(data, head_request=False):
    """Where the first complete final response in `data` ends: an offset;
    None while more bytes are needed; -1 when nothing but the server closing
    can end it (no framing, or broken framing). Only 100 Continue counts as
    an interim response (an app cannot send real 1xx responses in WSGI)."""
    pos = 0
    while True:
        head_end = data.find(b"\r\n\r\n", pos)
        if head_end < 0:
            return None
        lines = bytes(data[pos:head_end]).split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            return -1
        status = int(parts[1])
        start = head_end + 4
        if status == 100:
            pos = start
            continue
        if head_request or status in (204, 304) or 100 <= status < 200:
            return start
        te = cl = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"transfer-encoding":
                te = value.strip().lower()
            elif name == b"content-length":
                cl = value.strip()
        if te is not None and b"chunked" in te:
            return _chunked_end(data, start)
        if cl is not None:
            if not cl.isdigit():
                return -1
            end = start + int(cl)
            return end if len(data) >= end else None
        return -1


def says_close(raw):
    """Whether a response's head carries Connection: close."""
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    return any(line.partition(b":")[0].strip() == b"connection"
               and b"close" in line.partition(b":")[2]
               for line in head.split(b"\r\n")[1:])


class ResponseStream:
    """Responses read one at a time from a connection the server keeps
    alive. read() returns the raw bytes of exactly one response (framing
    aware) and keeps what follows for the next call; a response with no
    framing is read until the server closes. A reset counts as EOF. Every
    read has a deadline."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def fill(self, deadline, what="a complete response"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"timed out waiting for {what}; have {bytes(self.buf[:300])!r}")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            return
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data

    def read(self, deadline, head_request=False):
        """One response's bytes; b"" when the server closed first. A partial
        response is returned as is when the server closes mid-way."""
        while True:
            end = response_end(self.buf, head_request) if self.buf else None
            if end is not None and end >= 0:
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            if self.eof:
                out = bytes(self.buf)
                self.buf.clear()
                return out
            self.fill(deadline)

    def read_to_eof(self, deadline, what="the server to close the connection"):
        while not self.eof:
            self.fill(deadline, what)
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def pending(self):
        """What has already arrived, without waiting."""
        saved = self.sock.gettimeout()
        self.sock.settimeout(0)  # a socket with a timeout would wait in poll first
        try:
            while not self.eof:
                try:
                    data = self.sock.recv(262144)
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionResetError:
                    data = b""
                if not data:
                    self.eof = True
                self.buf += data
        finally:
            self.sock.settimeout(saved)
        out = bytes(self.buf)
        self.buf.clear()
        return out


def read_one_response(sock, deadline, head_request=False):
    """For a connection the server may keep open: one response's bytes.
    When it says Connection: close, the server must then close (read to
    EOF, keeping any extra bytes); otherwise whatever already arrived after
    it is appended too, so stray bytes are not hidden."""
    stream = ResponseStream(sock)
    out = stream.read(deadline, head_request)
    if out and says_close(out):
        return out + stream.read_to_eof(
            deadline, "the server to close after saying Connection: close")
    return out + stream.pending()


# ---------------------------------------------------------------- processes

def children_of(pid):
    """Live (non-zombie) child pids of `pid`, from /proc."""
    kids = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.update(int(x) for x in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    live = []
    for k in kids:
        try:
            with open(f"/proc/{k}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state not in ("Z", "X"):
            live.append(k)
    return sorted(live)


def proc_status_kb(pid, field):
    """A kB value (VmRSS, VmHWM...) from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def wait_until(predicate, timeout, interval=0.05, message="condition"):
    """Poll `predicate` until it returns a truthy value; raise at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (for tests that cannot use port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerExited(AssertionError):
    pass


class Server:
    """One server process. stderr (the error log) and stdout go to files in
    `log_dir`. The app can find two per-server files through the
    environment: QILIN_TEST_RECORD (call records) and QILIN_TEST_CLOSE_LOG
    (close() calls)."""

    _counter = 0

    def __init__(self, app, args=(), *, log_dir, env=None, cwd=None,
                 bind="127.0.0.1:0", pass_fds=(), workers=None, keep_alive=None):
        Server._counter += 1
        tag = f"server-{os.getpid()}-{Server._counter}"
        self.log_dir = Path(log_dir)
        self.stderr_path = self.log_dir / f"{tag}.stderr"
        self.stdout_path = self.log_dir / f"{tag}.stdout"
        self.record_path = self.log_dir / f"{tag}.records"
        self.close_log_path = self.log_dir / f"{tag}.closes"
        self.args = list(args)
        if bind:
            self.args += ["-b", bind]
        self.app = app
        self.cwd = str(cwd or APPS)
        self.env = server_env({"QILIN_TEST_RECORD": str(self.record_path),
                               "QILIN_TEST_CLOSE_LOG": str(self.close_log_path)})
        self.env.update(env or {})
        self.pass_fds = tuple(pass_fds)
        self.expected_workers = workers if workers is not None else self._workers_from_args()
        # Whether responses may leave the connection open (gthread): then
        # raw() reads one framed response instead of waiting for the close.
        self.keeps_alive = keep_alive if keep_alive is not None else self._keeps_alive_from_args()
        self.proc = None
        self.listeners = []
        self.master_pid = None
        self.returncode = None

    def _workers_from_args(self):
        value = self.env.get("WEB_CONCURRENCY", "1")
        for i, a in enumerate(self.args):
            if a in ("-w", "--workers") and i + 1 < len(self.args):
                value = self.args[i + 1]
            elif a.startswith("--workers="):
                value = a.split("=", 1)[1]
        return int(value) if value.isdigit() else 1

    def _keeps_alive_from_args(self):
        kind, threads, keepalive = "sync", 1, 2
        args = list(self.args)
        for i, a in enumerate(args):
            name, eq, value = a.partition("=")
            if not eq:
                value = args[i + 1] if i + 1 < len(args) else ""
            if name in ("-k", "--worker-class"):
                kind = value
            elif name == "--threads" and value.isdigit():
                threads = int(value)
            elif name == "--keep-alive" and value.isdigit():
                keepalive = int(value)
        gthread = "gthread" in kind.lower() or (kind == "sync" and threads > 1)
        return gthread and keepalive > 0

    @property
    def argv(self):
        return [BIN] + self.args + ([self.app] if self.app else [])

    def start(self):
        self.stderr_path.touch()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, start_new_session=True,
                pass_fds=self.pass_fds)
        self.master_pid = self.proc.pid
        return self

    # ---- log
    def log(self):
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_mark(self):
        return len(self.log())

    def log_since(self, mark):
        return self.log()[mark:]

    def log_lines(self):
        return self.log().splitlines()

    def wait_for_log(self, pattern, timeout=DEFAULT_TIMEOUT, since=0, count=1):
        """Wait until `pattern` (a regex) matched `count` times in the log
        after offset `since`; return the last match."""
        rx = re.compile(pattern, re.M)

        def found():
            matches = list(rx.finditer(self.log_since(since)))
            return matches[count - 1] if len(matches) >= count else None
        try:
            return wait_until(found, timeout, message=f"log pattern {pattern!r}")
        except AssertionError:
            raise AssertionError(
                f"log pattern {pattern!r} not seen within {timeout}s; log:\n{self.tail()}")

    def tail(self, n=6000):
        return self.log()[-n:]

    # ---- readiness
    def wait_ready(self, timeout=10.0):
        """Wait for the listener line(s) and the boot lines of the expected
        number of workers."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()
            listens = LISTEN_RE.findall(text)
            boots = BOOT_RE.findall(text)
            if listens and len(boots) >= self.expected_workers:
                break
            if self.proc.poll() is not None:
                raise ServerExited(
                    f"server exited with {self.proc.returncode} before it was ready\n"
                    f"argv: {self.argv}\nlog:\n{self.tail()}")
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"server not ready within {timeout}s\nargv: {self.argv}\nlog:\n{self.tail()}")
            time.sleep(0.02)
        self.listeners = []
        for urls, _pid in listens:
            for url in urls.split(","):
                if url not in self.listeners:
                    self.listeners.append(url)
        return self

    def wait_connectable(self, addr, timeout=10.0):
        """Readiness for a server that logs nothing at INFO: poll connect()."""
        def ok():
            if self.proc.poll() is not None:
                raise ServerExited(f"server exited with {self.proc.returncode}\n{self.tail()}")
            try:
                socket.create_connection(addr, timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(ok, timeout, message=f"connect to {addr}")
        self.listeners = [f"http://{addr[0]}:{addr[1]}"]
        return self

    # ---- addresses
    @staticmethod
    def parse_listener(url):
        """('tcp', (host, port)) or ('unix', path)."""
        if url.startswith("unix:"):
            return "unix", url[len("unix:"):]
        m = re.match(r"^https?://(\[[^\]]+\]|[^:]+):(\d+)$", url)
        if not m:
            raise AssertionError(f"cannot parse listener {url!r}")
        return "tcp", (m.group(1).strip("[]"), int(m.group(2)))

    def tcp_addrs(self):
        return [a for kind, a in map(self.parse_listener, self.listeners) if kind == "tcp"]

    @property
    def addr(self):
        addrs = self.tcp_addrs()
        if not addrs:
            raise AssertionError(f"no TCP listener in {self.listeners}")
        return addrs[0]

    @property
    def port(self):
        return self.addr[1]

    def url(self, path="/"):
        host, port = self.addr
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}{path}"

    def connect(self, addr=None, timeout=DEFAULT_TIMEOUT):
        """A connected socket: to `addr` (tuple = TCP, str = unix path), or
        to the first listener."""
        if addr is None:
            kind, addr = self.parse_listener(self.listeners[0])
        if isinstance(addr, str):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(addr)
            return s
        return socket.create_connection(addr, timeout=timeout)

    # ---- requests
    def raw(self, data, *, half_close=False, timeout=DEFAULT_TIMEOUT, addr=None):
        """Send raw bytes on a new connection and read until the server
        closes. `half_close` shuts our write side after sending."""
        deadline = time.monotonic() + timeout
        with self.connect(addr, timeout) as s:
            sent = send_all_tolerant(s, data)
            if half_close and sent:
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            return self.read_response(s, deadline, head_request=data.startswith(b"HEAD "))

    def read_response(self, sock, deadline, head_request=False):
        """The response on `sock`: until the server closes (sync), or one
        framed response (a server that keeps connections alive)."""
        if self.keeps_alive:
            return read_one_response(sock, deadline, head_request)
        return recv_all(sock, deadline)

    def request(self, method="GET", path="/", headers=None, body=b"",
                version="HTTP/1.1", *, host=True, timeout=DEFAULT_TIMEOUT,
                addr=None, half_close=False):
        if host is True:  # a Host header naming where we connect
            target = addr if addr is not None else self.parse_listener(self.listeners[0])[1]
            if isinstance(target, str):
                host = "localhost"
            else:
                h = f"[{target[0]}]" if ":" in target[0] else target[0]
                host = f"{h}:{target[1]}"
        data = build_request(method, path, headers, body, version, host or None)
        raw = self.raw(data, half_close=half_close, timeout=timeout, addr=addr)
        if not raw:
            raise AssertionError(
                f"empty response to {data[:200]!r}\nlog:\n{self.tail(3000)}")
        return Response(raw)

    def get(self, path="/", **kw):
        return self.request("GET", path, **kw)

    # ---- app-side records
    def records(self):
        """JSON lines the apps appended to QILIN_TEST_RECORD."""
        try:
            text = self.record_path.read_text()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def close_calls(self):
        try:
            return [l for l in self.close_log_path.read_text().splitlines() if l]
        except FileNotFoundError:
            return []

    # ---- processes and signals
    def workers(self):
        return children_of(self.master_pid)

    def wait_workers(self, predicate, timeout=DEFAULT_TIMEOUT, message="workers"):
        last = []

        def check():
            last[:] = self.workers()
            return predicate(last)
        try:
            wait_until(check, timeout, message=message)
        except AssertionError:
            raise AssertionError(
                f"timed out waiting for {message}; workers now {last}\nlog:\n{self.tail()}")
        return list(last)

    def send_signal(self, sig):
        os.kill(self.master_pid, sig)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"server did not exit within {timeout}s\nlog:\n{self.tail()}")
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        """Send `sig` to the master and wait for it to exit; its exit code."""
        if self.alive():
            self.send_signal(sig)
        return self.wait_exit(timeout)

    def kill(self):
        """Kill the whole process group we started (by its PID), then reap."""
        if self.proc is None:
            return
        try:
            os.killpg(self.master_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


# ---------------------------------------------------------------- worker kinds

# The WSGI suites run once per worker kind: sync (one request per
# connection) and gthread (keep-alive, a pool of application threads).
# QILIN_TEST_WORKER_KINDS (comma-separated, default "sync,gthread") narrows
# the run. A test in one of these modules sees its kind through the
# `worker_kind` fixture; elsewhere `worker_kind` is "sync" and adds nothing.
WORKER_KIND_ARGS = {"sync": [], "gthread": ["-k", "gthread", "--threads", "4"]}
WORKER_KINDS = [k.strip() for k in
                os.environ.get("QILIN_TEST_WORKER_KINDS", "sync,gthread").split(",")
                if k.strip()]
BOTH_KINDS_MODULES = {"test_wsgi_environ", "test_wsgi_input", "test_wsgi_response",
                      "test_disconnects", "test_validator", "test_gunicorn_requests",
                      "test_slow_clients", "test_tls"}


def pytest_generate_tests(metafunc):
    if "worker_kind" not in metafunc.fixturenames:
        return
    if Path(metafunc.module.__file__).stem not in BOTH_KINDS_MODULES:
        return
    unknown = set(WORKER_KINDS) - set(WORKER_KIND_ARGS)
    if unknown:
        raise pytest.UsageError(f"QILIN_TEST_WORKER_KINDS: unknown kinds {sorted(unknown)}")
    metafunc.parametrize("worker_kind", WORKER_KINDS, indirect=True)


@pytest.fixture
def worker_kind(request):
    """"sync" or "gthread": the worker kind shared_server and start_server
    add to the arguments (parametrized in BOTH_KINDS_MODULES)."""
    return getattr(request, "param", "sync")


# ---------------------------------------------------------------- fixtures

def _dump_logs(servers):
    for s in servers:
        sys.stdout.write(f"\n----- {' '.join(s.argv)} (cwd {s.cwd}) -----\n{s.tail(8000)}\n")


@pytest.fixture
def start_server(tmp_path, request, worker_kind):
    """start_server(app="hello:app", args=(), *, env=None, cwd=None,
    bind="127.0.0.1:0", pass_fds=(), workers=None, wait=True) -> Server"""
    servers = []

    def start(app="hello:app", args=(), *, wait=True, ready_timeout=10.0, **kw):
        srv = Server(app, WORKER_KIND_ARGS[worker_kind] + list(args), log_dir=tmp_path, **kw)
        servers.append(srv)
        srv.start()
        if wait:
            srv.wait_ready(ready_timeout)
        return srv

    yield start
    if _failed(request):
        _dump_logs(servers)
    for srv in servers:
        srv.kill()


@pytest.fixture
def run_server(tmp_path, request):
    """run_server(app, args=(), timeout=..., **kw) -> (returncode, stderr, Server):
    run the binary until it exits on its own (start-up failures)."""
    servers = []

    def run(app="hello:app", args=(), *, timeout=20.0, **kw):
        kw.setdefault("bind", "127.0.0.1:0")
        srv = Server(app, args, log_dir=tmp_path, **kw)
        servers.append(srv)
        srv.start()
        rc = srv.wait_exit(timeout)
        return rc, srv.log(), srv

    yield run
    if _failed(request):
        _dump_logs(servers)
    for srv in servers:
        srv.kill()


class ServerPool:
    """Servers shared across tests, keyed by their configuration. A server
    that died is started again (the test that killed it has already failed)."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.servers = {}
        self.failures = {}

    def get(self, app="echo:app", args=(), *, env=None, cwd=None, workers=None):
        key = json.dumps([app, list(args), sorted((env or {}).items()), str(cwd)])
        if key in self.failures:
            raise AssertionError(self.failures[key])
        srv = self.servers.get(key)
        if srv is not None and srv.alive():
            return srv
        if srv is not None:
            srv.kill()
        sub = self.log_dir / hashlib.sha1(key.encode()).hexdigest()[:12]
        sub.mkdir(parents=True, exist_ok=True)
        srv = Server(app, args, log_dir=sub, env=env, cwd=cwd, workers=workers)
        try:
            srv.start()
            srv.wait_ready()
        except AssertionError as e:
            srv.kill()
            self.failures[key] = str(e)
            raise
        self.servers[key] = srv
        return srv

    def close(self):
        for srv in self.servers.values():
            srv.kill()


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory):
    pool = ServerPool(tmp_path_factory.mktemp("shared-servers"))
    yield pool
    pool.close()


@pytest.fixture
def shared_server(server_pool, request, worker_kind):
    """shared_server(app="echo:app", args=(), *, env=None, cwd=None) -> Server"""
    used = []

    def get(app="echo:app", args=(), **kw):
        srv = server_pool.get(app, WORKER_KIND_ARGS[worker_kind] + list(args), **kw)
        used.append(srv)
        return srv

    yield get
    if _failed(request):
        _dump_logs(used)
