"""Syslog (--log-syslog*) and StatsD (--statsd-*) output, read from real
sockets that the tests own: UDP, TCP and unix datagram syslog listeners,
and UDP and unix datagram StatsD listeners."""

import os
import re
import selectors
import signal
import socket
import time

import pytest

from config_support import assert_one_line_error, run
from gthread_support import APP

GUNICORN_SYSLOG_TEXT = pytest.mark.gunicorn20_differs(
    "gunicorn's messages say 'gunicorn', qilin's say 'qilin'")


class Datagrams:
    """A bound datagram socket that collects what arrives."""

    def __init__(self, family=socket.AF_INET, path=None):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(path if path else ("127.0.0.1", 0))
        self.got = []

    @property
    def port(self):
        return self.sock.getsockname()[1]

    def collect(self, predicate, timeout=5.0):
        """Reads until predicate(all messages) holds; returns the messages."""
        deadline = time.monotonic() + timeout
        while not predicate(self.got):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; got {self.got[-20:]}")
            self.sock.settimeout(left)
            try:
                self.got.append(self.sock.recv(65536))
            except socket.timeout:
                continue
        return self.got

    def close(self):
        self.sock.close()


def with_text(fragment):
    return lambda got: any(fragment in m for m in got)


@pytest.fixture
def udp():
    d = Datagrams()
    yield d
    d.close()


# ---------------------------------------------------------------- syslog

SYSLOG_RE = re.compile(rb"^<(\d+)>([\w.]+): \[(\d+)\] (.*)\x00$", re.S)


def parse_syslog(message):
    m = SYSLOG_RE.match(message)
    assert m, message
    return int(m.group(1)), m.group(2).decode(), int(m.group(3)), m.group(4).decode()


@GUNICORN_SYSLOG_TEXT
def test_syslog_udp_error_and_access_lines(start_server, udp):
    srv = start_server(APP, ["--log-syslog", "--log-syslog-to", f"udp://127.0.0.1:{udp.port}",
                             "--log-syslog-prefix", "shop", "--log-syslog-facility", "local0"])
    assert srv.get("/hello?x=1").status == 200
    got = udp.collect(with_text(b"/hello?x=1"))
    parsed = [parse_syslog(m) for m in got]
    errors = [p for p in parsed if p[1] == "gunicorn.shop.error"]
    access = [p for p in parsed if p[1] == "gunicorn.shop.access"]
    starting = [p for p in errors if p[3].startswith("Starting qilin")]
    assert starting and starting[0][0] == 16 * 8 + 6      # local0, info
    assert starting[0][2] == srv.master_pid
    assert any(p[3].startswith("Booting worker with pid") for p in errors)
    assert len(access) == 1
    pri, _, pid, line = access[0]
    assert pri == 16 * 8 + 6 and pid in srv.workers()
    assert '"GET /hello?x=1 HTTP/1.1" 200' in line and not line.endswith("\n")
    # the error log still goes to its file (stderr) as well
    assert "Starting qilin" in srv.log()


def test_syslog_program_name_defaults_to_the_process_name(start_server, udp):
    srv = start_server(APP, ["--log-syslog", "--log-syslog-to", f"udp://127.0.0.1:{udp.port}"])
    srv.get("/x")
    got = udp.collect(with_text(b"GET /x "))
    names = {parse_syslog(m)[1] for m in got}
    assert names == {"gunicorn.gthread_app.app.error", "gunicorn.gthread_app.app.access"}
    assert all(parse_syslog(m)[0] >> 3 == 1 for m in got)  # facility user


def test_syslog_severity_follows_the_level_and_access_redirect_can_be_disabled(start_server, udp):
    srv = start_server(APP, ["--log-syslog", "--log-syslog-to", f"udp://127.0.0.1:{udp.port}",
                             "--disable-redirect-access-to-syslog", "--log-level", "debug"])
    assert srv.get("/error").status == 500
    srv.get("/after")
    got = udp.collect(with_text(b"Error handling request /error"))
    parsed = [parse_syslog(m) for m in got]
    exc = [p for p in parsed if "Error handling request /error" in p[3]][0]
    assert exc[0] == 8 + 3                                   # user, error
    assert "Traceback (most recent call last)" in exc[3]      # the traceback in one message
    assert any(p[0] == 8 + 7 for p in parsed)                # debug lines too
    time.sleep(0.3)
    while True:
        udp.sock.settimeout(0.2)
        try:
            udp.got.append(udp.sock.recv(65536))
        except socket.timeout:
            break
    assert not [m for m in udp.got if b".access:" in m]


def test_hup_gives_the_master_the_new_syslog_and_statsd(start_server, udp, tmp_path):
    # The reloaded settings reach the master's own error log, not only the
    # new workers': after HUP its next line goes to syslog, and its metrics
    # to the new StatsD server.
    statsd = Datagrams()
    try:
        conf = tmp_path / "conf.py"
        conf.write_text("workers = 1\n")
        srv = start_server(APP, ["-c", str(conf)])
        conf.write_text(f"workers = 1\nsyslog = True\nsyslog_addr = 'udp://127.0.0.1:{udp.port}'\n"
                        f"syslog_prefix = 'hup'\nstatsd_host = '127.0.0.1:{statsd.port}'\n")
        old = set(srv.workers())
        srv.send_signal(signal.SIGHUP)
        srv.wait_workers(lambda w: len(w) == 1 and not set(w) & old, message="a new worker")
        srv.send_signal(signal.SIGTTIN)  # the master logs "Handling signal: ttin"
        got = udp.collect(with_text(b"Handling signal: ttin"))
        line = next(parse_syslog(m) for m in got if b"Handling signal: ttin" in m)
        assert line[1] == "gunicorn.hup.error" and line[2] == srv.master_pid
        # the master's gauge goes through its error log's StatsD client
        statsd.collect(with_text(b"gunicorn.workers:2|g"))
    finally:
        statsd.close()


def test_syslog_tcp_messages_end_in_nul(start_server):
    """Over TCP each message ends in NUL. (gunicorn opens one connection per
    log, qilin one per process; the listener takes any number.)"""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        srv = start_server(APP, ["--log-syslog", "--log-syslog-to", f"tcp://127.0.0.1:{port}"])
        srv.get("/over-tcp")
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ)
        data, conns = {}, []
        deadline = time.monotonic() + 5
        while not any(b"/over-tcp" in d for d in data.values()) and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.01, deadline - time.monotonic())):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    conns.append(conn)
                    data[conn] = b""
                    sel.register(conn, selectors.EVENT_READ)
                    continue
                chunk = key.fileobj.recv(65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                data[key.fileobj] += chunk
        sel.close()
        for conn in conns:
            conn.close()
    messages = [m + b"\x00" for d in data.values() for m in d.split(b"\x00") if m]
    assert any(b"/over-tcp" in m for m in messages), messages[-5:]
    for m in messages:
        parse_syslog(m)


def test_syslog_unix_datagram(start_server, tmp_path):
    path = str(tmp_path / "log.sock")
    d = Datagrams(socket.AF_UNIX, path)
    try:
        srv = start_server(APP, ["--log-syslog", "--log-syslog-to", f"unix://{path}#dgram"])
        srv.get("/over-unix")
        got = d.collect(with_text(b"/over-unix"))
        assert all(SYSLOG_RE.match(m) for m in got)
    finally:
        d.close()


def test_syslog_down_does_not_break_requests(start_server, tmp_path):
    srv = start_server(APP, ["--log-syslog", "--log-syslog-to",
                             f"unix://{tmp_path}/nobody-listens.sock"])
    for i in range(20):
        assert srv.get(f"/n/{i}").status == 200


@pytest.mark.parametrize("args,tokens", [
    (["--log-syslog", "--log-syslog-to", "localhost:514"], ["invalid syslog address"]),
    (["--log-syslog", "--log-syslog-to", "udp://localhost:abc"], ["'abc' is not a valid port"]),
    (["--log-syslog", "--log-syslog-facility", "nope"], ["unknown facility name"]),
])
def test_bad_syslog_settings_are_one_line_exit_1(run_server, args, tokens):
    r = run(run_server, args)
    assert r.rc == 1, r
    assert_one_line_error(r, *tokens)


# ---------------------------------------------------------------- statsd

def metrics(got):
    return [m.decode() for m in got]


def test_statsd_request_metrics(start_server, udp):
    srv = start_server(APP, ["--statsd-host", f"127.0.0.1:{udp.port}", "--statsd-prefix", "shop"])
    assert srv.get("/one").status == 200
    assert srv.get("/two").status == 200
    got = metrics(udp.collect(lambda g: sum(b"gunicorn.request.status." in m for m in g) >= 2
                              and with_text(b"gunicorn.workers:1|g")(g)))
    assert "shop.gunicorn.workers:1|g" in got
    assert got.count("shop.gunicorn.requests:1|c|@1.0") == 2
    assert got.count("shop.gunicorn.request.status.200:1|c|@1.0") == 2
    durations = [m for m in got if m.startswith("shop.gunicorn.request.duration:")]
    assert len(durations) == 2
    for m in durations:
        assert re.fullmatch(r"shop\.gunicorn\.request\.duration:\d+\.\d+\|ms", m), m
    # gunicorn's order per request: duration, requests, status
    i = got.index(durations[0])
    assert got[i + 1] == "shop.gunicorn.requests:1|c|@1.0"
    assert got[i + 2] == "shop.gunicorn.request.status.200:1|c|@1.0"


def test_statsd_errors_worker_gauge_and_tags(start_server, udp):
    srv = start_server(APP, ["--statsd-host", f"127.0.0.1:{udp.port}", "-w", "2",
                             "--dogstatsd-tags", "env:test,team:web"])
    assert srv.get("/error").status == 500
    got = metrics(udp.collect(lambda g: with_text(b"gunicorn.request.status.500")(g) and
                              with_text(b"gunicorn.workers:2|g")(g)))
    assert "gunicorn.workers:2|g|#env:test,team:web" in got
    assert "gunicorn.log.exception:1|c|@1.0|#env:test,team:web" in got
    assert "gunicorn.request.status.500:1|c|@1.0|#env:test,team:web" in got
    os.kill(srv.master_pid, signal.SIGTTIN)
    udp.collect(with_text(b"gunicorn.workers:3|g"))


@pytest.mark.gunicorn20_differs("--enable-backlog-metric is newer than gunicorn 20.1")
def test_statsd_backlog_metric(start_server, udp):
    srv = start_server(APP, ["--statsd-host", f"127.0.0.1:{udp.port}", "--enable-backlog-metric"])
    got = metrics(udp.collect(lambda g: sum(m.startswith(b"gunicorn.backlog:") for m in g) >= 2))
    backlog = [m for m in got if m.startswith("gunicorn.backlog:")]
    assert all(re.fullmatch(r"gunicorn\.backlog:\d+\|h", m) for m in backlog), backlog


@pytest.mark.gunicorn20_differs("gunicorn 20.1 cannot parse unix:// statsd addresses")
def test_statsd_unix_socket(start_server, tmp_path):
    path = str(tmp_path / "statsd.sock")
    d = Datagrams(socket.AF_UNIX, path)
    try:
        srv = start_server(APP, ["--statsd-host", f"unix://{path}"])
        srv.get("/x")
        d.collect(with_text(b"gunicorn.requests:1|c|@1.0"))
    finally:
        d.close()


def test_statsd_down_does_not_break_requests(start_server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = start_server(APP, ["--statsd-host", f"127.0.0.1:{port}"])   # nobody listens now
    for i in range(20):
        assert srv.get(f"/n/{i}").status == 200


def test_statsd_custom_metrics_from_hooks(start_server, udp, tmp_path):
    """A hook's log call with extra={"metric", "value", "mtype"} becomes a
    metric, as with gunicorn's Statsd logger; warnings count even when the
    log level hides them."""
    conf = tmp_path / "metrics.conf.py"
    conf.write_text(
        "def post_fork(server, worker):\n"
        "    server.log.info('', extra={'metric': 'app.forks', 'value': 1, 'mtype': 'counter'})\n"
        "    server.log.debug('boot', extra={'metric': 'app.boot_ms', 'value': 12.5, 'mtype': 'timer'})\n"
        "    server.log.warning('hidden warning')\n"
        "def when_ready(server):\n"
        "    server.log.info('ready', extra={'metric': 'app.ready', 'value': 7, 'mtype': 'gauge'})\n")
    # --log-level error hides the "Listening at" line the harness waits for:
    # the datagrams say when the server is up.
    start_server(APP, ["-c", str(conf), "--statsd-host", f"127.0.0.1:{udp.port}",
                       "--log-level", "error"], wait=False)
    got = metrics(udp.collect(lambda g: all(with_text(t)(g) for t in
                                            (b"app.forks", b"app.boot_ms", b"app.ready",
                                             b"gunicorn.log.warning"))))
    assert "app.forks:1|c|@1.0" in got
    assert "app.boot_ms:12.5|ms" in got
    assert "app.ready:7|g" in got
    assert "gunicorn.log.warning:1|c|@1.0" in got
