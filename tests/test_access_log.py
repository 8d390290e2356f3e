"""The access log (issue 6, items 2 and 3): gunicorn's default format and
atoms, where lines go, when they are written, and USR1 reopening the file
after a logrotate-style rename without losing a line."""
import base64
import os
import re
import signal
import threading
import time
import urllib.request

import pytest

from conftest import wait_until

DEFAULT_LINE = re.compile(
    r'^127\.0\.0\.1 - (?P<user>\S+) \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\S+) "(?P<referer>[^"]*)" '
    r'"(?P<agent>(?:[^"\\]|\\.)*)"$')


def lines_of(path):
    try:
        return [l for l in open(path, encoding="utf-8").read().splitlines() if l]
    except FileNotFoundError:
        return []


def get(srv, path, headers=None):
    req = urllib.request.Request(srv.url(path), headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.mark.parametrize("kind", [[], ["-k", "gthread", "--threads", "2"]], ids=["sync", "gthread"])
def test_default_format_to_a_file(start_server, tmp_path, kind):
    log = tmp_path / "access.log"
    srv = start_server("hello:app", kind + ["--access-logfile", str(log)])
    auth = "Basic " + base64.b64encode(b"alice:secret").decode()
    status, body = get(srv, "/some/path?x=1", {"Referer": "http://ref.example/",
                                              "User-Agent": 'agent "quoted"',
                                              "Authorization": auth})
    assert status == 200
    wait_until(lambda: lines_of(log), 5, message="an access log line")
    (line,) = lines_of(log)
    m = DEFAULT_LINE.match(line)
    assert m, line
    assert m["user"] == "alice"
    assert m["request"] == "GET /some/path?x=1 HTTP/1.1"
    assert m["status"] == "200"
    assert m["bytes"] == str(len(body))
    assert m["referer"] == "http://ref.example/"
    assert m["agent"] == 'agent \\"quoted\\"'  # '"' escaped as gunicorn does


def test_every_atom(start_server, tmp_path):
    log = tmp_path / "access.log"
    fmt = ("%(h)s|%(l)s|%(u)s|%(r)s|%(s)s|%(m)s|%(U)s|%(q)s|%(H)s|%(B)s|%(b)s|%(f)s|%(a)s|"
           "%(T)s|%(M)s|%(D)s|%(L)s|%(p)s|%({x-trace}i)s|%({content-type}o)s|"
           "%({server_protocol}e)s|%(nosuch)s|100%%")
    srv = start_server("hello:app", ["--access-logfile", str(log), "--access-logformat", fmt])
    status, body = get(srv, "/a%20b?q=1", {"X-Trace": "t-1"})
    assert status == 200
    wait_until(lambda: lines_of(log), 5, message="an access log line")
    parts = lines_of(log)[0].split("|")
    (h, l, u, r, s, m, U, q, H, B, b, f, a, T, M, D, L, p, xi, co, pe, unknown, pct) = parts
    assert (h, l, u, r, s, m) == ("127.0.0.1", "-", "-", "GET /a%20b?q=1 HTTP/1.1", "200", "GET")
    assert (U, q, H, B, b, f, a) == ("/a b", "q=1", "HTTP/1.1", str(len(body)), str(len(body)), "-",
                                     "Python-urllib/3.11")
    assert int(T) == 0 and int(M) >= 0 and int(D) > 0 and re.fullmatch(r"\d+\.\d{6}", L)
    assert int(D) // 1000 == int(M)
    worker_pids = srv.workers()
    assert p in [f"<{pid}>" for pid in worker_pids]
    assert (xi, co, pe, unknown, pct) == ("t-1", "text/plain", "HTTP/1.1", "-", "100%")


def test_stdout_and_no_access_log_by_default(start_server):
    srv = start_server("hello:app", ["--access-logfile", "-"])
    assert get(srv, "/to-stdout")[0] == 200
    wait_until(lambda: "GET /to-stdout" in srv.stdout_path.read_text(), 5,
               message="the line on stdout")
    quiet = start_server("hello:app")
    assert get(quiet, "/not-logged")[0] == 200
    time.sleep(0.3)
    assert "not-logged" not in quiet.stdout_path.read_text()
    assert "not-logged" not in quiet.log()


def test_app_error_is_logged_as_500(start_server, tmp_path):
    log = tmp_path / "access.log"
    srv = start_server("errors:app", ["--access-logfile", str(log)])
    assert get(srv, "/before")[0] == 500
    wait_until(lambda: lines_of(log), 5, message="an access log line")
    assert '"GET /before HTTP/1.1" 500 ' in lines_of(log)[0]


def test_bad_format_is_refused(run_server):
    rc, log, _ = run_server("hello:app", ["--access-logfile", "-", "--access-logformat", "%(h"])
    assert rc == 1
    assert "access log format" in log.lower()


@pytest.mark.parametrize("kind", [["-w", "2"], ["-w", "2", "-k", "gthread", "--threads", "2"]],
                         ids=["sync", "gthread"])
def test_usr1_reopens_after_rename_without_losing_a_line(start_server, tmp_path, kind):
    """logrotate's dance: rename the file, USR1, keep serving; every request
    lands in exactly one of the two files."""
    log = tmp_path / "access.log"
    srv = start_server("hello:app", kind + ["--access-logfile", str(log)])
    sent = []
    stop = threading.Event()

    def load():
        i = 0
        while not stop.is_set():
            path = f"/n{i}"
            if get(srv, path)[0] == 200:
                sent.append(path)
            i += 1

    t = threading.Thread(target=load)
    t.start()
    try:
        wait_until(lambda: len(sent) > 50, 10, message="load before the rotation")
        os.rename(log, tmp_path / "access.log.1")
        os.kill(srv.master_pid, signal.SIGUSR1)
        wait_until(lambda: log.exists() and len(lines_of(log)) > 20, 10,
                   message="lines in the reopened file")
    finally:
        stop.set()
        t.join(15)
    time.sleep(0.3)
    logged = lines_of(tmp_path / "access.log.1") + lines_of(log)
    paths = [re.search(r'"GET (\S+) ', l).group(1) for l in logged]
    assert sorted(paths) == sorted(sent)
