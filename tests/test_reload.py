"""HUP as a reload: the settings read again (config file, GUNICORN_CMD_ARGS
and the command line, in start-up's precedence), the application imported
afresh unless preloaded, the listeners following a changed bind, and the
workers replaced without one failed request, all at once (gunicorn's way)
or --reload-rolling N at a time. A config file that no longer loads leaves
the server serving with the settings it had."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import children_of, free_port, wait_until
from wrk_support import WRK, WRK_RESULT_RE, WRK_SCRIPT


def write_conf(path, text):
    path.write_text(text)


class ClientLoop:
    """`clients` threads sending GET `url` in a loop until stop(); every
    exception or non-200 is a failure."""

    def __init__(self, url, clients=4):
        self.url = url
        self.ok = 0
        self.failures = []
        self.pids = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(15)
            assert not t.is_alive(), "a client thread is stuck"

    def _run(self):
        with requests.Session() as s:
            s.trust_env = False
            while not self._stop.is_set():
                try:
                    r = s.get(self.url, timeout=10)
                    with self._lock:
                        if r.status_code == 200:
                            self.ok += 1
                            self.pids.add(r.headers.get("X-Worker-Pid"))
                        else:
                            self.failures.append(f"status {r.status_code}")
                except Exception as e:
                    with self._lock:
                        self.failures.append(repr(e))


def imported_pids(srv):
    return {e["pid"] for e in srv.records() if e["event"] == "imported"}


def watch_reload(srv, old, workers, timeout=15):
    """Samples the master's children quickly until `workers` workers, none
    of them in `old`, all with their application imported. Returns the most
    workers seen at once, and the fewest live workers that had the
    application imported (slow_boot's records)."""
    most, fewest_ready = 0, None
    deadline = time.monotonic() + timeout
    while True:
        kids = set(children_of(srv.master_pid))
        ready = kids & imported_pids(srv)
        most = max(most, len(kids))
        fewest_ready = len(ready) if fewest_ready is None else min(fewest_ready, len(ready))
        if len(kids) == workers and not kids & old and kids == ready:
            return most, fewest_ready
        assert time.monotonic() < deadline, \
            f"no complete new generation within {timeout}s: {sorted(kids)}\n{srv.tail()}"
        time.sleep(0.005)


def distinct_ports(n):
    ports = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# ---------------------------------------------------------------- under load

@pytest.mark.parametrize("kind", ["sync", pytest.param("gthread", marks=pytest.mark.gunicorn20_differs(
    "gunicorn's gthread workers drop requests on kept-alive connections during HUP (#3394)"))])
def test_three_hups_under_wrk_fail_no_request(start_server, tmp_path, kind):
    if not os.access(WRK, os.X_OK):
        pytest.skip("wrk is not installed (scripts/install-deps.sh installs it)")
    args = ["-w", "2"] + (["-k", "gthread", "--threads", "4"] if kind == "gthread" else [])
    srv = start_server("hello:app", args)
    script = tmp_path / "count.lua"
    script.write_text(WRK_SCRIPT)
    generations = [set(srv.workers())]
    assert len(generations[0]) == 2
    started = time.monotonic()
    wrk = subprocess.Popen(
        [WRK, "-t", "2", "-c", "16", "-d", "6s", "--timeout", "3s", "-s", str(script),
         srv.url("/")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(3):
            time.sleep(1.2)
            before = generations[-1]
            srv.send_signal(signal.SIGHUP)
            new = srv.wait_workers(lambda w: len(w) == 2 and not set(w) & before, timeout=8,
                                   message="two new workers after HUP")
            generations.append(set(new))
        last_hup_done = time.monotonic() - started
        out, err = wrk.communicate(timeout=20)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    m = WRK_RESULT_RE.search(out)
    assert m, f"no RESULT line from wrk:\n{out}\n{err}"
    counts = {k: int(v) for k, v in m.groupdict().items()}
    assert last_hup_done < 6, "the reloads did not all happen while wrk ran"
    assert counts["requests"] > 500, counts
    errors = {k: v for k, v in counts.items() if k != "requests" and v}
    assert errors == {}, f"{counts}\n{srv.tail()}"
    for i, a in enumerate(generations):
        for b in generations[i + 1:]:
            assert not a & b, generations
    assert srv.log().count("Hang up: Master") == 3
    assert srv.alive()


# ---------------------------------------------------------------- settings

@pytest.mark.gunicorn20_differs(
    "gunicorn 20.1 keeps its logger on HUP (26.1 sets it up again from the new settings)")
def test_hup_rereads_the_config_file(start_server, tmp_path):
    conf = tmp_path / "conf.py"
    access = tmp_path / "access.log"
    forked = tmp_path / "forked"
    reloaded = tmp_path / "reloaded"
    write_conf(conf, f"workers = 2\naccesslog = {str(access)!r}\n"
                     "access_log_format = 'first %(s)s %(U)s'\n")
    srv = start_server("hello:app", ["-c", str(conf)], workers=2)
    old = set(srv.workers())
    assert len(old) == 2
    assert srv.get("/before").status == 200
    write_conf(conf, f"""\
workers = 3
accesslog = {str(access)!r}
access_log_format = 'second %(s)s %(U)s'

def post_fork(server, worker):
    with open({str(forked)!r}, "a") as f:
        f.write(f"{{worker.pid}}\\n")

def on_reload(server):
    with open({str(reloaded)!r}, "a") as f:
        f.write(f"{{server.cfg.workers}} {{server.num_workers}}\\n")
""")
    srv.send_signal(signal.SIGHUP)
    new = set(srv.wait_workers(lambda w: len(w) == 3 and not set(w) & old,
                               message="three new workers"))
    for i in range(6):
        assert srv.get(f"/after/{i}").status == 200
    wait_until(lambda: access.read_text().count("/after/") == 6, 5,
               message="six access log lines")
    lines = access.read_text().splitlines()
    assert "first 200 /before" in lines
    assert sorted(l for l in lines if "/after/" in l) == \
        sorted(f"second 200 /after/{i}" for i in range(6))
    # the hooks the reloaded file added: on_reload saw the new settings, and
    # post_fork ran in every new worker, in no old one
    assert reloaded.read_text() == "3 3\n"
    assert {int(p) for p in forked.read_text().split()} == new


def test_hup_keeps_the_precedence_of_start_up(start_server, tmp_path):
    """GUNICORN_CMD_ARGS and the command line still win over the config file."""
    conf = tmp_path / "conf.py"
    write_conf(conf, "workers = 1\n")
    srv = start_server("hello:app", ["-c", str(conf)],
                       env={"GUNICORN_CMD_ARGS": "--workers 2"}, workers=2)
    old = set(srv.workers())
    assert len(old) == 2
    write_conf(conf, "workers = 3\n")
    srv.send_signal(signal.SIGHUP)
    new = srv.wait_workers(lambda w: len(w) == 2 and not set(w) & old,
                           message="two new workers")
    time.sleep(1.0)
    assert set(srv.workers()) == set(new)


@pytest.mark.gunicorn20_differs(
    "gunicorn's master exits when the config file no longer loads on HUP")
def test_hup_with_a_broken_config_file_keeps_serving(start_server, tmp_path):
    conf = tmp_path / "conf.py"
    write_conf(conf, "workers = 2\n")
    srv = start_server("hello:app", ["-c", str(conf)], workers=2)
    old = set(srv.workers())
    for broken, why in [("workers = (\n", "SyntaxError"),
                        ("workers = 'many'\n", "Invalid value for workers"),
                        ("dirty_workers = 2\n", "not supported yet")]:
        write_conf(conf, broken)
        mark = srv.log_mark()
        srv.send_signal(signal.SIGHUP)
        srv.wait_for_log(r"\[ERROR\] Reload failed, still serving with the previous settings",
                         since=mark)
        srv.wait_for_log(re.escape(why), since=mark)
        time.sleep(0.5)
        assert set(srv.workers()) == old, "workers were replaced after a failed reload"
        r = srv.get("/")
        assert r.status == 200 and int(r.header("X-Worker-Pid")) in old
    # fixed again, the next HUP reloads
    write_conf(conf, "workers = 3\n")
    srv.send_signal(signal.SIGHUP)
    srv.wait_workers(lambda w: len(w) == 3 and not set(w) & old, message="three new workers")
    assert srv.alive()


def test_hup_rewrites_the_pidfile_and_reopens_the_logs(start_server, tmp_path):
    conf = tmp_path / "conf.py"
    first, second = tmp_path / "first.pid", tmp_path / "second.pid"
    errors = tmp_path / "error.log"
    write_conf(conf, f"pidfile = {str(first)!r}\nerrorlog = {str(errors)!r}\n")
    srv = start_server("hello:app", ["-c", str(conf)], wait=False)
    wait_until(lambda: errors.exists() and "Booting worker" in errors.read_text(), 10,
               message="the first worker in the error log file")
    assert first.read_text().strip() == str(srv.master_pid)
    errors.rename(tmp_path / "error.log.1")  # as logrotate does
    write_conf(conf, f"pidfile = {str(second)!r}\nerrorlog = {str(errors)!r}\n")
    srv.send_signal(signal.SIGHUP)
    wait_until(lambda: errors.exists() and "Booting worker" in errors.read_text(), 10,
               message="a new error log file after HUP")
    assert second.read_text().strip() == str(srv.master_pid)
    assert not first.exists()
    assert "Hang up: Master" in (tmp_path / "error.log.1").read_text()


# ---------------------------------------------------------------- application

@pytest.mark.parametrize("preload", [False, True], ids=["imported-again", "preloaded"])
def test_hup_imports_the_app_again_unless_preloaded(start_server, tmp_path, preload):
    app = tmp_path / "versioned.py"

    def write_app(version):
        app.write_text(
            "import os\n"
            "def app(environ, start_response):\n"
            f"    body = b'{version}'\n"
            "    start_response('200 OK', [('Content-Length', str(len(body))),\n"
            "                              ('X-Worker-Pid', str(os.getpid()))])\n"
            "    return [body]\n")
    write_app("one")
    srv = start_server("versioned:app", ["-w", "2"] + (["--preload"] if preload else []),
                       cwd=tmp_path)
    assert srv.get("/").body == b"one"
    for version in ("two", "three"):
        write_app(version)
        old = set(srv.workers())
        srv.send_signal(signal.SIGHUP)
        srv.wait_workers(lambda w: len(w) == 2 and not set(w) & old, message="two new workers")
        bodies = {srv.get("/").body for _ in range(6)}
        assert bodies == ({b"one"} if preload else {version.encode()})


# ---------------------------------------------------------------- bind

@pytest.mark.gunicorn20_differs(
    "gunicorn closes every listener and binds anew, while the old workers still hold them")
def test_hup_follows_a_changed_bind(start_server, tmp_path):
    a, b, c = distinct_ports(3)
    conf = tmp_path / "conf.py"
    write_conf(conf, f"workers = 2\nbind = ['127.0.0.1:{a}', '127.0.0.1:{b}']\n")
    srv = start_server("hello:app", ["-c", str(conf)], bind=None, workers=2)
    assert srv.listeners == [f"http://127.0.0.1:{a}", f"http://127.0.0.1:{b}"]
    old = set(srv.workers())
    with ClientLoop(f"http://127.0.0.1:{b}/", clients=3) as kept:
        time.sleep(0.3)
        write_conf(conf, f"workers = 2\nbind = ['127.0.0.1:{b}', '127.0.0.1:{c}']\n")
        mark = srv.log_mark()
        srv.send_signal(signal.SIGHUP)
        srv.wait_for_log(rf"Listening at: http://127.0.0.1:{b},http://127.0.0.1:{c} ", since=mark)
        srv.wait_workers(lambda w: len(w) == 2 and not set(w) & old, message="two new workers")
        time.sleep(0.3)
    # the address that stayed kept its socket: not one connection refused
    assert kept.failures == []
    assert kept.ok > 10
    assert srv.get("/", addr=("127.0.0.1", c)).status == 200
    # the dropped one closed with the last worker that used it
    assert refused(a)


# ---------------------------------------------------------------- worker replacement

@pytest.mark.gunicorn20_differs(
    "gunicorn stops the old workers before the new ones have loaded the application")
def test_hup_retires_old_workers_once_the_new_ones_are_ready(start_server):
    srv = start_server("slow_boot:app", ["-w", "2"], env={"QILIN_TEST_BOOT_DELAY": "0.8"})
    wait_until(lambda: len(imported_pids(srv)) == 2, 10, message="the first two imports")
    old = set(srv.workers())
    with ClientLoop(srv.url("/"), clients=2) as load:
        srv.send_signal(signal.SIGHUP)
        most, fewest_ready = watch_reload(srv, old, 2)
    assert load.failures == []
    assert most == 4  # gunicorn's order: both new ones first
    assert fewest_ready >= 2, "an old worker left before its replacement was ready"


@pytest.mark.gunicorn20_differs("--reload-rolling is qilin's own setting")
def test_reload_rolling_replaces_one_worker_at_a_time(start_server):
    srv = start_server("slow_boot:app", ["-w", "3", "--reload-rolling", "1"],
                       env={"QILIN_TEST_BOOT_DELAY": "0.4"})
    wait_until(lambda: len(imported_pids(srv)) == 3, 10, message="the first three imports")
    old = set(srv.workers())
    with ClientLoop(srv.url("/"), clients=3) as load:
        srv.send_signal(signal.SIGHUP)
        most, fewest_ready = watch_reload(srv, old, 3)
    assert most == 4, f"{most} workers at once with -w 3 --reload-rolling 1"
    assert fewest_ready >= 3, "an old worker left before its replacement was ready"
    assert load.failures == []
    assert load.ok > 10
    exits = re.findall(r"Worker exiting \(pid: (\d+)\)", srv.log())
    assert {int(p) for p in exits} == old
