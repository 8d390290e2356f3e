"""--reload: a worker watches the source files of the modules it loaded and
the --reload-extra-file paths, and when one changes it logs "Worker
reloading: FILE modified", calls worker_int and exits; the master forks a
fresh worker, which imports the new code. Both engines (inotify, poll), glob
patterns among the extra files, an app that stops compiling (served as a 500
showing the SyntaxError until it is fixed), the restart counted as a
reload in the metrics, and no reloading without the flag."""

import os
import re
import time

import pytest

from conftest import free_port, wait_until
from test_metrics import metrics

APP = """\
import os
VERSION = {version!r}

def app(environ, start_response):
    body = ("%s %d" % (VERSION, os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def write_app(path, version):
    """Writes a new version and moves its mtime on, so that a change shows
    even where file times are coarse."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(APP.format(version=version))
    touch_later(path, before)


def touch_later(path, before):
    after = max(path.stat().st_mtime_ns, before + 2_000_000_000)
    os.utime(path, ns=(after, after))


def answer(srv):
    """(version, pid) from the app, or None while no worker answers."""
    try:
        r = srv.get("/", timeout=5)
    except (AssertionError, OSError):
        return None
    if r.status != 200:
        return None
    version, pid = r.body.decode().split()
    return version, int(pid)


@pytest.fixture
def code(tmp_path):
    d = tmp_path / "code"
    d.mkdir()
    write_app(d / "versioned_app.py", "v1")
    return d


def start(start_server, code, args):
    return start_server("versioned_app:app", ["--pythonpath", str(code)] + list(args))


def wait_version(srv, version, timeout=10):
    seen = []

    def check():
        a = answer(srv)
        seen[:] = [a]
        return a is not None and a[0] == version
    wait_until(check, timeout, message=f"the app answering {version} (last: {seen})")
    return seen[0][1]


@pytest.mark.parametrize("engine", [
    None, "poll",
    pytest.param("inotify", marks=pytest.mark.gunicorn20_differs(
        "gunicorn's inotify engine needs the inotify package"))])
def test_a_changed_module_is_served_by_a_new_worker(start_server, code, engine):
    args = ["--reload"] + (["--reload-engine", engine] if engine else [])
    srv = start(start_server, code, args)
    version, first_pid = answer(srv)
    assert version == "v1"
    mark = srv.log_mark()
    write_app(code / "versioned_app.py", "v2")
    second_pid = wait_version(srv, "v2")
    assert second_pid != first_pid
    srv.wait_for_log(
        re.escape(f"[{first_pid}] [INFO] Worker reloading: {code / 'versioned_app.py'} modified"),
        since=mark)
    # and again: the new worker watches too
    write_app(code / "versioned_app.py", "v3")
    assert wait_version(srv, "v3") not in (first_pid, second_pid)
    assert srv.alive()


@pytest.mark.gunicorn20_differs("qilin's own debug line")
def test_auto_engine_is_inotify(start_server, code):
    srv = start(start_server, code, ["--reload", "--log-level", "debug"])
    srv.wait_for_log(r"Reloading on code changes, watched by inotify")


def test_a_module_imported_later_is_watched(start_server, code):
    (code / "late.py").write_text("X = 1\n")
    app = code / "versioned_app.py"
    app.write_text(APP.format(version="v1").replace(
        "def app(environ, start_response):\n",
        "def app(environ, start_response):\n    import late\n"))
    srv = start(start_server, code, ["--reload"])
    version, pid = answer(srv)  # imports late.py
    assert version == "v1"
    time.sleep(1.5)  # the next tick takes the new module in
    before = (code / "late.py").stat().st_mtime_ns
    (code / "late.py").write_text("X = 2\n")
    touch_later(code / "late.py", before)
    srv.wait_for_log(re.escape(f"Worker reloading: {code / 'late.py'} modified"))
    wait_until(lambda: (a := answer(srv)) is not None and a[1] != pid, 10,
               message="a new worker")


@pytest.mark.parametrize("engine", [
    pytest.param("inotify", marks=pytest.mark.gunicorn20_differs(
        "gunicorn's inotify engine needs the inotify package")),
    "poll"])
def test_an_extra_file_change_reloads(start_server, code, engine):
    extra = code / "settings.txt"
    extra.write_text("one\n")
    srv = start(start_server, code,
                ["--reload", "--reload-engine", engine, "--reload-extra-file", str(extra)])
    _, pid = answer(srv)
    before = extra.stat().st_mtime_ns
    extra.write_text("two\n")
    touch_later(extra, before)
    srv.wait_for_log(re.escape(f"Worker reloading: {extra} modified"))
    wait_until(lambda: (a := answer(srv)) is not None and a[1] != pid, 10,
               message="a new worker")


@pytest.mark.gunicorn20_differs("gunicorn 26.1 expands glob patterns")
def test_an_extra_glob_pattern_reloads(start_server, code):
    templates = code / "templates"
    templates.mkdir()
    page = templates / "page.html"
    page.write_text("<p>one</p>\n")
    srv = start(start_server, code,
                ["--reload", "--reload-extra-file", str(templates / "*.html")])
    _, pid = answer(srv)
    before = page.stat().st_mtime_ns
    page.write_text("<p>two</p>\n")
    touch_later(page, before)
    srv.wait_for_log(re.escape(f"Worker reloading: {page} modified"))
    wait_until(lambda: (a := answer(srv)) is not None and a[1] != pid, 10,
               message="a new worker")


def test_reload_calls_worker_int(start_server, code, tmp_path):
    calls = tmp_path / "calls"
    conf = tmp_path / "conf.py"
    conf.write_text(f"def worker_int(worker):\n"
                    f"    open({str(calls)!r}, 'a').write('worker_int %d\\n' % worker.pid)\n")
    srv = start(start_server, code, ["--reload", "-c", str(conf)])
    _, pid = answer(srv)
    write_app(code / "versioned_app.py", "v2")
    wait_version(srv, "v2")
    assert calls.read_text() == f"worker_int {pid}\n"


@pytest.mark.gunicorn20_differs("gunicorn shows the stack without the error line")
def test_a_syntax_error_is_shown_until_fixed(start_server, code):
    srv = start(start_server, code, ["--reload"])
    _, pid = answer(srv)
    app = code / "versioned_app.py"
    before = app.stat().st_mtime_ns
    app.write_text(APP.format(version="v2") + "def broken(:\n")
    touch_later(app, before)

    def failing():
        try:
            r = srv.get("/", timeout=5)
        except (AssertionError, OSError):
            return None
        return r if r.status == 500 else None
    wait_until(failing, 10, message="the error page")
    r = failing()
    text = r.body.decode()
    assert "SyntaxError" in text and "def broken(:" in text, text
    assert str(app) in text
    assert srv.alive()
    write_app(app, "v3")
    wait_version(srv, "v3")


def test_without_reload_nothing_reloads(start_server, code):
    srv = start(start_server, code, [])
    version, pid = answer(srv)
    write_app(code / "versioned_app.py", "v2")
    time.sleep(2.5)
    assert answer(srv) == ("v1", pid)
    assert "Worker reloading" not in srv.log()


@pytest.mark.gunicorn20_differs("qilin's own --metrics-bind")
def test_a_code_reload_counts_as_a_reload_restart(start_server, code):
    port = free_port()
    srv = start(start_server, code, ["--reload", "--metrics-bind", f"127.0.0.1:{port}"])
    assert answer(srv)[0] == "v1"  # the worker has loaded v1
    write_app(code / "versioned_app.py", "v2")
    wait_version(srv, "v2")
    restarts = 'qilin_worker_restarts_total'
    wait_until(lambda: metrics(port)[(restarts, 'cause="reload"')] == 1, 5,
               message="one reload restart")
    assert metrics(port)[(restarts, 'cause="max_requests"')] == 0
