"""The master: worker count, replacement of dead and silent workers,
recycling, signals (TERM, INT, QUIT, TTIN, TTOU, HUP), and the error log
lines in gunicorn's format."""

import glob
import os
import re
import signal
import threading
import time

import pytest
import requests

from conftest import LOG_LINE_RE, SERVER_NAME, Response, free_port


def session():
    s = requests.Session()
    s.trust_env = False
    return s


class RequestInFlight:
    """One request sent from a thread; `result` is the raw response (maybe
    empty or cut short) or the exception."""

    def __init__(self, srv, path, timeout=30):
        self.raw = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(srv, path, timeout), daemon=True)
        self.thread.start()

    def _run(self, srv, path, timeout):
        try:
            self.raw = srv.raw(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode(),
                               timeout=timeout)
        except Exception as e:
            self.error = e

    def join(self, timeout=30):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "request thread still running"
        return self


def wait_for_app_start(srv, path, timeout=10):
    def started():
        return any(e["event"] == "start" and e["path"] == path for e in srv.records())
    deadline = time.monotonic() + timeout
    while not started():
        assert time.monotonic() < deadline, f"app never started {path}\n{srv.tail()}"
        time.sleep(0.02)


def zombie_children(pid):
    out = []
    for tid_children in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            kids = open(tid_children).read().split()
        except OSError:
            continue
        for k in kids:
            try:
                state = open(f"/proc/{k}/stat").read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state == "Z":
                out.append(int(k))
    return out


# ---------------------------------------------------------------- log

def parsed_log(srv):
    lines = [l for l in srv.log_lines() if l.strip()]
    parsed = []
    for line in lines:
        m = LOG_LINE_RE.match(line)
        assert m, f"not in gunicorn's log format: {line!r}"
        parsed.append((int(m.group(3)), m.group(4), m.group(5)))
    return parsed


def find(parsed, pattern):
    rx = re.compile(pattern)
    hits = [(i, pid, level, msg) for i, (pid, level, msg) in enumerate(parsed) if rx.search(msg)]
    assert hits, f"no log line matches {pattern!r}: {parsed}"
    return hits


def test_log_lines_and_format(start_server):
    srv = start_server("hello:app", ["-w", "2"])
    master = srv.master_pid
    workers = srv.workers()
    assert len(workers) == 2
    assert srv.get("/").status == 200
    assert srv.stop(signal.SIGTERM) == 0
    log = parsed_log(srv)

    (i_start, pid, level, msg), = find(log, rf"^Starting {SERVER_NAME} \d+\.\d+")
    assert (pid, level) == (master, "INFO")
    (i_listen, pid, level, msg), = find(log, r"^Listening at: ")
    assert msg == f"Listening at: http://127.0.0.1:{srv.port} ({master})"
    assert (pid, level) == (master, "INFO")
    (i_using, pid, level, msg), = find(log, r"^Using worker: ")
    assert msg == "Using worker: sync" and pid == master
    boots = find(log, r"^Booting worker with pid: \d+$")
    booted = sorted(int(msg.rsplit(" ", 1)[1]) for _, _, _, msg in boots)
    assert booted == workers
    for _, pid, level, msg in boots:
        assert level == "INFO" and pid in (int(msg.rsplit(" ", 1)[1]), master)
    assert i_start < i_listen < i_using < min(i for i, *_ in boots)
    (i_sig, pid, level, _), = find(log, r"^Handling signal: term$")
    assert pid == master
    (i_down, pid, level, _), = find(log, r"^Shutting down: Master$")
    assert (pid, level) == (master, "INFO")
    assert i_sig < i_down


def test_log_level_warning_hides_info(start_server):
    port = free_port()
    srv = start_server("errors:app", ["--log-level", "warning"],
                       bind=f"127.0.0.1:{port}", wait=False)
    srv.wait_connectable(("127.0.0.1", port))
    assert srv.get("/ok").status == 200
    assert srv.get("/before").status == 500          # logs an ERROR
    srv.wait_for_log(r"\[ERROR\]", timeout=5)
    assert srv.stop() == 0
    parsed_levels = {level for _, level, _ in parsed_log_lenient(srv)}
    assert "INFO" not in parsed_levels and "DEBUG" not in parsed_levels, srv.log()
    assert "ERROR" in parsed_levels


def parsed_log_lenient(srv):
    """Log lines in the format (traceback lines skipped)."""
    out = []
    for line in srv.log_lines():
        m = LOG_LINE_RE.match(line)
        if m:
            out.append((int(m.group(3)), m.group(4), m.group(5)))
    return out


# ---------------------------------------------------------------- workers

def test_workers_flag(start_server):
    srv = start_server("hello:app", ["-w", "3"])
    assert len(srv.workers()) == 3
    assert len(re.findall(r"Booting worker with pid", srv.log())) == 3


def test_web_concurrency_sets_the_default(start_server):
    srv = start_server("hello:app", env={"WEB_CONCURRENCY": "2"})
    assert len(srv.wait_workers(lambda w: len(w) == 2, message="2 workers")) == 2


def test_workers_flag_wins_over_web_concurrency(start_server):
    srv = start_server("hello:app", ["--workers", "1"], env={"WEB_CONCURRENCY": "3"})
    time.sleep(0.5)
    assert len(srv.workers()) == 1


def test_killed_worker_is_replaced_and_reaped(start_server):
    srv = start_server("hello:app", ["-w", "2"])
    old = srv.workers()
    victim = old[0]
    os.kill(victim, signal.SIGKILL)
    new = srv.wait_workers(lambda w: len(w) == 2 and victim not in w,
                           message="a replacement worker")
    assert old[1] in new
    assert srv.get("/").status == 200
    time.sleep(0.3)
    assert zombie_children(srv.master_pid) == []
    assert srv.alive()


def test_silent_worker_is_aborted_and_replaced(start_server):
    srv = start_server("slow:app", ["-t", "2"])
    (old,) = srv.workers()
    hung = RequestInFlight(srv, "/hang")
    srv.wait_for_log(rf"WORKER TIMEOUT \(pid:{old}\)", timeout=15)
    new = srv.wait_workers(lambda w: len(w) == 1 and old not in w, timeout=15,
                           message="a replacement for the silent worker")
    hung.join(15)
    assert not (hung.raw or b"").startswith(b"HTTP/1.1 200"), hung.raw
    r = srv.get("/sleep/0")
    assert r.status == 200 and r.json()["pid"] == new[0]


def test_max_requests_recycles_without_failures(start_server):
    srv = start_server("hello:app", ["-w", "2", "--max-requests", "5",
                                     "--max-requests-jitter", "3"])
    served = {}
    failures = []
    with session() as s:
        for i in range(50):
            try:
                r = s.get(srv.url(f"/{i}"), timeout=10)
                assert r.status_code == 200
                pid = int(r.headers["X-Worker-Pid"])
                served[pid] = served.get(pid, 0) + 1
            except Exception as e:
                failures.append(repr(e))
    assert failures == []
    assert all(n <= 8 for n in served.values()), served
    time.sleep(0.5)
    alive = set(srv.workers())
    retired = {pid: n for pid, n in served.items() if pid not in alive}
    assert len(retired) >= 4, served
    assert all(5 <= n <= 8 for n in retired.values()), retired


# ---------------------------------------------------------------- signals

def test_term_is_graceful(start_server):
    srv = start_server("slow:app", ["--graceful-timeout", "20"])
    inflight = RequestInFlight(srv, "/sleep/2")
    wait_for_app_start(srv, "/sleep/2")
    t0 = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait_exit(20)
    inflight.join()
    assert rc == 0
    r = Response(inflight.raw)
    assert r.status == 200 and r.json()["slept"] == 2.0
    assert time.monotonic() - t0 < 15
    log = srv.log()
    assert "Handling signal: term" in log and "Shutting down: Master" in log


def test_graceful_timeout_bounds_the_wait(start_server):
    srv = start_server("slow:app", ["--graceful-timeout", "1"])
    inflight = RequestInFlight(srv, "/sleep/20")
    wait_for_app_start(srv, "/sleep/20")
    t0 = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    srv.wait_exit(15)
    elapsed = time.monotonic() - t0
    inflight.join()
    assert elapsed < 8, f"took {elapsed:.1f}s with --graceful-timeout 1"
    assert not (inflight.raw or b"").startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("sig,name", [(signal.SIGINT, "int"), (signal.SIGQUIT, "quit")])
def test_int_and_quit_are_quick(start_server, sig, name):
    srv = start_server("slow:app", ["-w", "2"])
    inflight = RequestInFlight(srv, "/sleep/20")
    wait_for_app_start(srv, "/sleep/20")
    t0 = time.monotonic()
    srv.send_signal(sig)
    rc = srv.wait_exit(15)
    elapsed = time.monotonic() - t0
    inflight.join()
    assert rc == 0
    assert elapsed < 5, f"{name} took {elapsed:.1f}s"
    assert not (inflight.raw or b"").startswith(b"HTTP/1.1 200")
    assert f"Handling signal: {name}" in srv.log()


def test_ttin_and_ttou_change_the_worker_count(start_server):
    srv = start_server("hello:app", ["-w", "2"])
    first = srv.workers()
    srv.send_signal(signal.SIGTTIN)
    three = srv.wait_workers(lambda w: len(w) == 3, message="3 workers after TTIN")
    srv.send_signal(signal.SIGTTOU)
    two = srv.wait_workers(lambda w: len(w) == 2, message="2 workers after TTOU")
    assert set(two) < set(three)
    # The oldest is the first forked: the lowest pid of the first two (the
    # children's own "Booting worker" lines may be logged in either order).
    oldest = min(first)
    assert oldest not in two, "TTOU must stop the oldest worker"
    srv.send_signal(signal.SIGTTOU)
    srv.wait_workers(lambda w: len(w) == 1, message="1 worker after TTOU")
    srv.send_signal(signal.SIGTTOU)  # never below one
    srv.wait_for_log(r"Handling signal: ttou", count=3)
    time.sleep(1.5)
    assert len(srv.workers()) == 1
    assert srv.get("/").status == 200
    assert "Handling signal: ttin" in srv.log()


def test_hup_starts_new_workers_before_old_ones_go(start_server):
    srv = start_server("slow:app", ["--graceful-timeout", "20"])
    (old,) = srv.workers()
    inflight = RequestInFlight(srv, "/sleep/2")
    wait_for_app_start(srv, "/sleep/2")
    srv.send_signal(signal.SIGHUP)
    # while the old worker still finishes its request, a new one is up
    both = srv.wait_workers(lambda w: old in w and len(w) >= 2, timeout=1.8,
                           message="a new worker while the old one is busy")
    inflight.join()
    r = Response(inflight.raw)
    assert r.status == 200 and r.json()["pid"] == old
    new = srv.wait_workers(lambda w: len(w) == 1 and old not in w, timeout=15,
                           message="the old worker to leave")
    assert new[0] in both
    assert srv.get("/sleep/0").json()["pid"] == new[0]


def test_app_load_failure_halts_master_with_reason(run_server):
    rc, log, srv = run_server("hello:nosuchattr", ["-w", "2"])
    assert rc == 4, log
    assert "Traceback" not in log
    assert "Shutting down: Master" in log
    assert "Reason: App failed to load." in log
    assert srv.workers() == []


def test_hup_replaces_all_workers_without_failed_requests(start_server):
    srv = start_server("hello:app", ["-w", "2"])
    old = set(srv.workers())
    stop = threading.Event()
    results = {"ok": 0, "failed": [], "pids": set()}

    def load():
        with session() as s:
            while not stop.is_set():
                try:
                    r = s.get(srv.url("/"), timeout=10)
                    assert r.status_code == 200, r.status_code
                    results["ok"] += 1
                    results["pids"].add(int(r.headers["X-Worker-Pid"]))
                except Exception as e:
                    results["failed"].append(repr(e))
    t = threading.Thread(target=load, daemon=True)
    t.start()
    try:
        time.sleep(0.3)
        srv.send_signal(signal.SIGHUP)
        new = srv.wait_workers(lambda w: len(w) == 2 and not (set(w) & old), timeout=15,
                               message="two new workers after HUP")
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(15)
    assert results["failed"] == []
    assert results["ok"] > 10
    with session() as s:
        after = {int(s.get(srv.url("/"), timeout=10).headers["X-Worker-Pid"]) for _ in range(10)}
    assert after <= set(new), (after, new)
    log = srv.log()
    assert "Handling signal: hup" in log
    assert "Hang up: Master" in log
    assert srv.alive()


@pytest.mark.parametrize("kind", [["-k", "sync", "-w", "4"], ["-k", "gthread", "--threads", "4", "-w", "2"]],
                         ids=["sync", "gthread"])
def test_term_under_load_finishes_every_request_in_flight(start_server, kind):
    """gunicorn's issue 2529: on TERM the listeners close first, then every
    request in flight finishes (none is reset), then the master exits."""
    srv = start_server("slow:app", kind + ["--graceful-timeout", "20"])
    paths = [f"/sleep/{1 + i / 100}" for i in range(4)]   # distinct paths, about 1 s each
    inflight = [RequestInFlight(srv, path) for path in paths]
    for path in paths:
        wait_for_app_start(srv, path)
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait_exit(20)
    for r in inflight:
        r.join()
    assert rc == 0
    for r in inflight:
        assert r.error is None, r.error
        assert Response(r.raw).status == 200, r.raw[:200]


def test_pidfile_naming_a_live_process_refuses_to_start(run_server, tmp_path):
    pidfile = tmp_path / "app.pid"
    pidfile.write_text(f"{os.getpid()}\n")           # this test's own process: alive
    rc, err, _ = run_server("hello:app", ["-p", str(pidfile)], timeout=10)
    assert rc == 1
    assert f"Already running on PID {os.getpid()}" in err
    assert pidfile.read_text().strip() == str(os.getpid())   # left as it was
    assert "Booting worker" not in err
