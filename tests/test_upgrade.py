"""USR2 binary upgrades and systemd, as gunicorn does them.

USR2: the master forks a child that runs pre_exec and executes the same
command line, handing the listeners over (GUNICORN_FD, GUNICORN_PID). The
new master writes "<pidfile>.2", calls itself "NAME.2" and serves beside
the old one; WINCH (to a daemonized master) drains the old workers, TERM or
QUIT stops the old master, and the new one is promoted: the plain pidfile
and name again. systemd: sockets passed with LISTEN_FDS/LISTEN_PID are used
instead of binding, and NOTIFY_SOCKET hears READY=1, RELOADING=1,
STOPPING=1, WATCHDOG=1 and MAINPID.

The masters a USR2 starts, and daemons, are processes the harness did not
start: each test tracks them through the pidfile and ends them, by PID,
when it is done."""

import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (APPS, BIN, SERVER_NAME, WORKER_KIND_ARGS, Server, _dump_logs, _failed,
                      children_of, free_port, server_env, wait_until)
from wrk_support import WrkRun, failures, require_wrk


# ---------------------------------------------------------------- processes

def read_pid(path):
    try:
        text = Path(path).read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def second_pidfile(pidfile):
    return Path(str(pidfile) + ".2")


def gone(pid):
    """Exited (a zombie counts: a daemon's parent may never reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


def title(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()


class Masters:
    """Master pids a test found (pidfiles, daemons). close() sends each
    TERM, waits, then kills what is left and its workers, all by PID."""

    def __init__(self):
        self.pids = []

    def add(self, pid):
        if pid not in self.pids:
            self.pids.append(pid)
        return pid

    def close(self):
        for pid in self.pids:
            signal_if_alive(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(gone(p) for p in self.pids):
            time.sleep(0.05)
        for pid in self.pids:
            for kid in children_of(pid) + [pid]:
                signal_if_alive(kid, signal.SIGKILL)


def signal_if_alive(pid, sig):
    try:
        if not gone(pid):
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture
def masters():
    found = Masters()
    yield found
    found.close()


def wait_new_master(pidfile, old, timeout=10):
    """The pid in "<pidfile>.2", once a USR2 to `old` wrote it."""
    def new():
        pid = read_pid(second_pidfile(pidfile))
        return pid if pid and pid != old else None
    return wait_until(new, timeout, message=f"{second_pidfile(pidfile)}")


def wait_workers(master, count, timeout=10):
    def ready():
        kids = set(children_of(master))
        return kids if len(kids) == count else None
    return wait_until(ready, timeout, message=f"{count} workers of {master}")


def wait_promoted(pidfile, new, timeout=10):
    wait_until(lambda: read_pid(pidfile) == new and not second_pidfile(pidfile).exists(),
               timeout, message=f"{new} promoted: {pidfile} names it, no .2 file")


# ---------------------------------------------------------------- requests

def get(addr, path="/", timeout=5):
    """(status, X-Worker-Pid, body) of one GET to a (host, port) or a unix path."""
    if isinstance(addr, (str, Path)):
        conn = http.client.HTTPConnection("localhost", timeout=timeout)
        conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.sock.settimeout(timeout)
        conn.sock.connect(str(addr))
    else:
        conn = http.client.HTTPConnection(*addr, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        r = conn.getresponse()
        body = r.read()
        return r.status, int(r.getheader("X-Worker-Pid") or 0), body
    finally:
        conn.close()


def records(path):
    """The JSON lines an app or a hook appended to `path`."""
    try:
        return [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    except FileNotFoundError:
        return []


def wait_serving(record_path, workers, timeout=10):
    """Until each of `workers` has imported slow_boot's application (its
    record says so): from then on it accepts connections. (A request is no
    test: the kernel hands a connection to an idle old worker first.)"""
    def imported():
        return set(workers) <= {e["pid"] for e in records(record_path) if e["event"] == "imported"}
    wait_until(imported, timeout, message=f"workers {sorted(workers)} to import the app")


# ---------------------------------------------------------------- systemd

class NotifySocket:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET;
    remembers every message with the pid that sent it."""

    def __init__(self, name):
        self.name = str(name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind("\0" + self.name[1:] if self.name.startswith("@") else self.name)
        self.messages = []  # (sender pid, text)

    def wait_until(self, predicate, what, timeout=10):
        """Read messages until `predicate()` holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {what} within {timeout}s; heard {self.messages}"
            self.sock.settimeout(remaining)
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            pid = struct.unpack("iII", anc[0][2][:12])[0] if anc else None
            self.messages.append((pid, data.decode()))

    def wait_for(self, line, timeout=10, sender=None):
        """Until a message (from `sender`, when given) has `line` as one of
        its lines."""
        self.wait_until(lambda: any(line in text.split("\n") and sender in (None, pid)
                                    for pid, text in self.messages),
                        repr(line) + (f" from {sender}" if sender else ""), timeout)

    def wait_count(self, line, count, timeout=10):
        self.wait_until(lambda: self.lines().count(line) >= count, f"{count} x {line!r}", timeout)

    def lines(self):
        return [line for _, text in self.messages for line in text.split("\n")]

    def close(self):
        self.sock.close()


# Runs the server as systemd would: the socket at fd 3, LISTEN_PID naming
# the server's own pid (bash's $$, which exec keeps).
ACTIVATE = ('eval "exec 3<&$QILIN_TEST_SOCKET_FD $QILIN_TEST_SOCKET_FD<&-"; '
            'LISTEN_PID=$$ exec "$@"')


class PrefixedServer(Server):
    """A Server whose command line starts with `prefix` instead of the binary."""

    def __init__(self, prefix, *args, **kw):
        super().__init__(*args, **kw)
        self.prefix = list(prefix)

    @property
    def argv(self):
        return self.prefix + self.args + [self.app]


@pytest.fixture
def activated(tmp_path, request):
    """activated(listener, app, args) -> Server: started with `listener`
    as its only socket, by systemd's rules; killed by its PID at teardown."""
    servers = []

    def start(listener, app="hello:app", args=(), *, env=None, workers=None):
        fd = listener.fileno()
        env = {"LISTEN_FDS": "1", "QILIN_TEST_SOCKET_FD": str(fd), **(env or {})}
        srv = PrefixedServer(["/bin/bash", "-c", ACTIVATE, "activate", BIN], app, list(args),
                             log_dir=tmp_path, bind=None, pass_fds=[fd], workers=workers, env=env)
        servers.append(srv)
        srv.start()
        srv.wait_ready()
        return srv

    yield start
    if _failed(request):
        _dump_logs(servers)
    for srv in servers:
        srv.kill()


def listening_socket(kind, where):
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(where))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


# ---------------------------------------------------------------- USR2 under load

@pytest.mark.parametrize("kind", ["sync", pytest.param("gthread", marks=pytest.mark.gunicorn20_differs(
    "gunicorn's gthread workers drop requests on kept-alive connections as they stop (#3394)"))])
def test_usr2_winch_quit_under_wrk_fails_no_request(tmp_path, masters, kind):
    """The whole dance on a daemonized master, as gunicorn documents it."""
    require_wrk()
    port = free_port()
    pidfile = tmp_path / "qilin.pid"
    errlog = tmp_path / "error.log"
    record = tmp_path / "records.jsonl"
    launcher = subprocess.run(
        [BIN, "-D", "-p", str(pidfile), "--error-logfile", str(errlog), "-b", f"127.0.0.1:{port}",
         "-w", "2", *WORKER_KIND_ARGS[kind], "slow_boot:app"],
        cwd=APPS, env=server_env({"QILIN_TEST_RECORD": str(record)}), stdin=subprocess.DEVNULL,
        capture_output=True, timeout=20)
    assert launcher.returncode == 0, launcher.stderr
    old = masters.add(wait_until(lambda: read_pid(pidfile), 10, message="the daemon's pidfile"))
    addr = ("127.0.0.1", port)
    wait_serving(record, wait_workers(old, 2))

    with WrkRun(f"http://127.0.0.1:{port}/", 8, tmp_path) as wrk:
        started = time.monotonic()
        time.sleep(1)
        os.kill(old, signal.SIGUSR2)
        new = masters.add(wait_new_master(pidfile, old))
        assert read_pid(pidfile) == old
        new_workers = wait_workers(new, 2)
        wait_serving(record, new_workers)
        os.kill(old, signal.SIGWINCH)
        wait_until(lambda: children_of(old) == [new], 10, message="the old workers to stop")
        os.kill(old, signal.SIGQUIT)
        wait_until(lambda: gone(old), 10, message="the old master to exit")
        wait_promoted(pidfile, new)
        dance = time.monotonic() - started
        counts = wrk.result()

    log = errlog.read_text()
    assert dance < 7, "the upgrade did not happen while wrk ran"
    assert counts["requests"] > 300, counts
    assert failures(counts) == {}, f"{counts}\n{log[-4000:]}"
    assert "Master has been promoted." in log
    assert set(children_of(new)) == new_workers
    assert get(addr)[0] == 200


def test_usr2_then_term_of_the_old_master_fails_no_request(start_server, tmp_path, masters):
    """Without a daemon, TERM to the old master drains its workers; the
    unix socket's file stays for the new master, which removes it at its
    own exit."""
    require_wrk()
    sock = tmp_path / "q.sock"
    pidfile = tmp_path / "q.pid"
    srv = start_server("slow_boot:app", ["-w", "2", "-p", str(pidfile), "-b", f"unix:{sock}"])
    old = srv.master_pid
    with WrkRun(srv.url("/"), 7, tmp_path) as wrk:
        started = time.monotonic()
        time.sleep(1)
        srv.send_signal(signal.SIGUSR2)
        new = masters.add(wait_new_master(pidfile, old))
        wait_serving(srv.record_path, wait_workers(new, 2))
        assert srv.stop(signal.SIGTERM, timeout=15) == 0
        wait_promoted(pidfile, new)
        dance = time.monotonic() - started
        counts = wrk.result()
    assert dance < 6, "the upgrade did not happen while wrk ran"
    assert counts["requests"] > 300, counts
    assert failures(counts) == {}, f"{counts}\n{srv.tail()}"
    assert sock.exists()
    assert get(sock)[0] == 200 and get(srv.addr)[0] == 200
    os.kill(new, signal.SIGTERM)
    wait_until(lambda: gone(new), 15, message="the new master to exit")
    assert not sock.exists() and not pidfile.exists()


# ---------------------------------------------------------------- USR2 details

HOOKS_CONF = """
import json, os

def _record(event, server):
    with open({record!r}, "a") as f:
        f.write(json.dumps({{
            "event": event, "pid": os.getpid(), "ppid": os.getppid(),
            "server_pid": server.pid, "master_name": server.master_name,
            "master_pid": server.master_pid, "reexec_pid": server.reexec_pid,
            "proc_name": server.proc_name}}) + "\\n")

def pre_exec(server):
    _record("pre_exec", server)

def on_starting(server):
    _record("on_starting", server)

def on_exit(server):
    _record("on_exit", server)
"""


def test_pre_exec_runs_in_the_child_that_becomes_the_new_master(start_server, tmp_path, masters):
    record = tmp_path / "hooks.jsonl"
    conf = tmp_path / "conf.py"
    conf.write_text(HOOKS_CONF.format(record=str(record)))
    pidfile = tmp_path / "q.pid"
    srv = start_server("slow_boot:app", ["-c", str(conf), "-p", str(pidfile)])
    old = srv.master_pid
    srv.send_signal(signal.SIGUSR2)
    new = masters.add(wait_new_master(pidfile, old))
    wait_serving(srv.record_path, wait_workers(new, 1))

    pre_exec, = [e for e in records(record) if e["event"] == "pre_exec"]
    # Forked from the old master, and the same process that then became the
    # new master (exec keeps the pid).
    assert pre_exec["pid"] == new and pre_exec["ppid"] == old
    assert pre_exec["server_pid"] == old
    assert (pre_exec["master_name"], pre_exec["master_pid"]) == ("Master", 0)
    starting = [e for e in records(record) if e["event"] == "on_starting"]
    assert [e["pid"] for e in starting] == [old, new]
    assert starting[1]["server_pid"] == new
    assert starting[1]["master_name"] == "Master.2"
    assert starting[1]["master_pid"] == old
    assert starting[1]["proc_name"] == "slow_boot:app.2"
    assert read_pid(pidfile) == old

    # One upgrade at a time: both masters refuse another.
    mark = srv.log_mark()
    srv.send_signal(signal.SIGUSR2)
    srv.wait_for_log(r"USR2 signal ignored\. Child exists\.", since=mark)
    os.kill(new, signal.SIGUSR2)
    srv.wait_for_log(r"USR2 signal ignored\. Parent exists\.", since=mark)

    assert srv.stop(signal.SIGTERM) == 0
    wait_promoted(pidfile, new)
    old_exit, = [e for e in records(record) if e["event"] == "on_exit"]
    assert old_exit["pid"] == old and old_exit["reexec_pid"] == new
    assert get(srv.addr)[0] == 200


def test_term_of_the_new_master_rolls_the_upgrade_back(start_server, tmp_path, masters):
    sock = tmp_path / "q.sock"
    pidfile = tmp_path / "q.pid"
    srv = start_server("slow_boot:app", ["-p", str(pidfile), "-b", f"unix:{sock}"])
    old = srv.master_pid
    old_workers = set(srv.workers())
    srv.send_signal(signal.SIGUSR2)
    new = masters.add(wait_new_master(pidfile, old))
    wait_serving(srv.record_path, wait_workers(new, 1))
    os.kill(new, signal.SIGTERM)
    wait_until(lambda: gone(new), 15, message="the new master to exit")
    # The old master goes on as if nothing happened: its pidfile, its
    # workers, the unix socket's file (the new master did not remove it).
    assert not second_pidfile(pidfile).exists() and read_pid(pidfile) == old
    assert set(children_of(old)) == old_workers
    assert sock.exists() and get(sock)[0] == 200
    # Its new master is reaped, so it can start another.
    wait_until(lambda: not Path(f"/proc/{new}").exists(), 5, message="the new master reaped")
    srv.send_signal(signal.SIGUSR2)
    masters.add(wait_new_master(pidfile, old))


@pytest.mark.gunicorn20_differs(
    "gunicorn sets no process title without python3-setproctitle, which Debian's "
    "gunicorn does not depend on")
def test_new_master_is_named_dot_2_until_promoted(start_server, tmp_path, masters):
    pidfile = tmp_path / "q.pid"
    srv = start_server("hello:app", ["-p", str(pidfile), "-n", "shop"])
    old = srv.master_pid
    srv.send_signal(signal.SIGUSR2)
    new = masters.add(wait_new_master(pidfile, old))
    worker, = wait_workers(new, 1)
    assert title(old) == f"{SERVER_NAME}: master [shop]"
    assert title(new) == f"{SERVER_NAME}: master [shop.2]"
    wait_until(lambda: title(worker) == f"{SERVER_NAME}: worker [shop.2]", 5, message="title")
    srv.stop(signal.SIGTERM)
    wait_promoted(pidfile, new)
    wait_until(lambda: title(new) == f"{SERVER_NAME}: master [shop]", 5,
               message="the promoted master's title")


@pytest.mark.gunicorn20_differs(
    "gunicorn's forked child lets the exception out of its copy of the master loop, which "
    "then stops the old master's workers")
def test_pre_exec_that_raises_abandons_the_upgrade(start_server, tmp_path):
    conf = tmp_path / "conf.py"
    conf.write_text("def pre_exec(server):\n    raise RuntimeError('not now')\n")
    pidfile = tmp_path / "q.pid"
    srv = start_server("hello:app", ["-c", str(conf), "-p", str(pidfile), "-w", "2"])
    workers = set(srv.workers())
    mark = srv.log_mark()
    srv.send_signal(signal.SIGUSR2)
    srv.wait_for_log(r"Exception in pre_exec hook", since=mark)
    srv.wait_for_log(r"New master \(pid:\d+\) exited with code 1", since=mark)
    assert "RuntimeError: not now" in srv.log_since(mark)
    assert not second_pidfile(pidfile).exists()
    assert set(srv.workers()) == workers and srv.get("/").status == 200
    # The child is gone, so the next USR2 is not refused.
    mark = srv.log_mark()
    srv.send_signal(signal.SIGUSR2)
    srv.wait_for_log(r"Exception in pre_exec hook", since=mark)
    assert "Child exists" not in srv.log_since(mark)


@pytest.mark.gunicorn20_differs(
    "gunicorn executes the Python interpreter, which then fails on the missing script; the "
    "old master logs nothing about it")
def test_a_binary_that_is_gone_fails_the_upgrade_not_the_server(tmp_path):
    binary = tmp_path / "qilin-copy"
    shutil.copy(BIN, binary)
    srv = PrefixedServer([str(binary)], "hello:app", ["-w", "2"], log_dir=tmp_path)
    try:
        srv.start()
        srv.wait_ready()
        workers = set(srv.workers())
        binary.unlink()
        mark = srv.log_mark()
        srv.send_signal(signal.SIGUSR2)
        srv.wait_for_log(r"USR2: cannot execute .*qilin-copy.*No such file", since=mark)
        srv.wait_for_log(r"New master \(pid:\d+\) exited with code 1", since=mark)
        assert set(srv.workers()) == workers and srv.get("/").status == 200
    finally:
        srv.kill()


# ---------------------------------------------------------------- socket activation

def test_socket_activation_serves_on_the_socket_without_binding(activated):
    listener = listening_socket("tcp", None)
    port = listener.getsockname()[1]
    not_bound = free_port()
    srv = activated(listener, "report:app", ["-b", f"127.0.0.1:{not_bound}"])
    listener.close()  # the server has its own
    assert srv.listeners == [f"http://127.0.0.1:{port}"]
    r = srv.get("/")
    assert r.status == 200
    assert r.json()["env"] == {}  # LISTEN_PID and LISTEN_FDS are the master's alone
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", not_bound), timeout=2).close()


def test_systemd_socket_activate_starts_the_server(tmp_path):
    tool = shutil.which("systemd-socket-activate")
    if not tool:
        pytest.skip("systemd-socket-activate is not installed (Debian's systemd package)")
    port = free_port()
    srv = PrefixedServer([tool, "-l", f"127.0.0.1:{port}", BIN], "hello:app", log_dir=tmp_path,
                         bind=None)
    try:
        srv.start()
        # The tool starts the server on the first connection, which then waits
        # in the socket's queue until a worker takes it.
        wait_until(lambda: "Listening on" in srv.log(), 10, message="the tool to listen")
        assert get(("127.0.0.1", port), timeout=10)[0] == 200
        srv.wait_ready()
        assert srv.listeners == [f"http://127.0.0.1:{port}"]
    finally:
        srv.kill()


def test_socket_activation_ignores_sockets_meant_for_another_process(start_server, tmp_path):
    # LISTEN_PID names another process: the sockets are not this one's, and
    # the server binds as usual.
    srv = start_server("hello:app", env={"LISTEN_FDS": "1", "LISTEN_PID": "1"})
    assert srv.get("/").status == 200


@pytest.mark.gunicorn20_differs(
    "gunicorn passes LISTEN_FDS on without its sockets at fd 3 (it moved them at start-up), "
    "so the new master fails to start")
def test_activated_unix_socket_goes_on_through_usr2_and_is_never_removed(
        activated, tmp_path, masters):
    path = tmp_path / "activated.sock"
    pidfile = tmp_path / "q.pid"
    listener = listening_socket("unix", path)
    srv = activated(listener, "slow_boot:app", ["-p", str(pidfile)])
    listener.close()
    assert srv.listeners == [f"unix:{path}"]
    old = srv.master_pid
    assert get(path)[0] == 200
    srv.send_signal(signal.SIGUSR2)  # the sockets go on as LISTEN_FDS
    new = masters.add(wait_new_master(pidfile, old))
    wait_serving(srv.record_path, wait_workers(new, 1))
    assert srv.stop(signal.SIGTERM) == 0
    wait_promoted(pidfile, new)
    assert path.exists() and get(path)[0] == 200
    os.kill(new, signal.SIGTERM)
    wait_until(lambda: gone(new), 15, message="the new master to exit")
    assert path.exists()  # systemd's file, not the server's


# ---------------------------------------------------------------- notification

@pytest.mark.parametrize("where", ["path", "abstract"])
def test_notify_socket_hears_ready(start_server, tmp_path, where):
    name = str(tmp_path / "notify") if where == "path" else f"@qilin-test-{os.getpid()}-{time.time()}"
    notify = NotifySocket(name)
    try:
        srv = start_server("hello:app", env={"NOTIFY_SOCKET": name})
        notify.wait_for("READY=1", sender=srv.master_pid)
        assert srv.get("/").status == 200
    finally:
        notify.close()


@pytest.mark.gunicorn20_differs("gunicorn sends READY=1 and nothing else")
def test_notify_socket_hears_reloading_watchdog_and_stopping(start_server, tmp_path):
    name = str(tmp_path / "notify")
    notify = NotifySocket(name)
    try:
        srv = start_server("hello:app", env={"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "400000"})
        master = srv.master_pid
        notify.wait_for("READY=1", sender=master)
        srv.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1", sender=master)
        reloading = [t for _, t in notify.messages if "RELOADING=1" in t.split("\n")][0]
        assert any(line.startswith("MONOTONIC_USEC=") for line in reloading.split("\n"))
        notify.wait_count("READY=1", notify.lines().count("READY=1") + 1)  # reloaded
        # WATCHDOG=1 twice a WATCHDOG_USEC.
        start = time.monotonic()
        notify.wait_count("WATCHDOG=1", notify.lines().count("WATCHDOG=1") + 4)
        assert time.monotonic() - start < 1.5
        srv.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1", sender=master)
        assert srv.wait_exit() == 0
    finally:
        notify.close()


@pytest.mark.gunicorn20_differs("gunicorn does not tell systemd about the new master")
def test_usr2_hands_the_service_over_to_the_new_master(start_server, tmp_path, masters):
    name = str(tmp_path / "notify")
    notify = NotifySocket(name)
    pidfile = tmp_path / "q.pid"
    try:
        srv = start_server("slow_boot:app", ["-p", str(pidfile)], env={"NOTIFY_SOCKET": name})
        old = srv.master_pid
        notify.wait_for("READY=1", sender=old)
        srv.send_signal(signal.SIGUSR2)
        new = masters.add(wait_new_master(pidfile, old))
        wait_serving(srv.record_path, wait_workers(new, 1))
        assert srv.stop(signal.SIGTERM) == 0
        # The old master names the new one as it leaves, instead of STOPPING=1...
        notify.wait_for(f"MAINPID={new}", sender=old)
        assert not [t for pid, t in notify.messages if pid == old and "STOPPING=1" in t]
        # ...and the new one, promoted, says it is ready.
        notify.wait_for("READY=1", sender=new)
        wait_promoted(pidfile, new)
    finally:
        notify.close()
