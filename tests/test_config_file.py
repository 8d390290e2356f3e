"""The config file, as gunicorn reads it: `-c PATH`, `-c file:PATH`,
`-c python:MODULE`, ./gunicorn.conf.py by default, `wsgi_app`, names that
are not settings, hooks and their arity, and every way a config file can be
wrong (bad value, exception inside, missing file, missing module)."""

import subprocess
import textwrap

import pytest

from conftest import APPS, server_env
from config_support import (assert_one_line_error, copy_app, gunicorn_oracle, parse_print_config,
                            run, write)


def conf(tmp_path, text, name="gunicorn.conf.py"):
    return write(tmp_path / name, text)


# ---------------------------------------------------------------- where it comes from

@pytest.mark.parametrize("spelling", ["{path}", "file:{path}"])
def test_dash_c_path(run_server, tmp_path, spelling):
    path = conf(tmp_path, "workers = 3\ntimeout = 17\n", "my_settings.py")
    r = run(run_server, ["-c", spelling.format(path=path), "--print-config"])
    assert r.rc == 0, r
    s = r.settings()
    assert (s["workers"], s["timeout"]) == ("3", "17")
    assert s["config"] == spelling.format(path=path)


def test_dash_c_relative_path_is_from_the_cwd(run_server, tmp_path):
    conf(tmp_path, "workers = 5\n", "rel.py")
    copy_app(tmp_path)
    r = run(run_server, ["--config", "rel.py", "--print-config"], cwd=tmp_path)
    assert r.rc == 0, r
    assert r.settings()["workers"] == "5"


def test_dash_c_python_module(run_server, tmp_path):
    write(tmp_path / "myproj" / "__init__.py", "")
    write(tmp_path / "myproj" / "gunicorn_settings.py", """\
        workers = 4
        keepalive = 9
        """)
    copy_app(tmp_path)
    r = run(run_server, ["-c", "python:myproj.gunicorn_settings", "--print-config"], cwd=tmp_path)
    assert r.rc == 0, r
    assert (r.settings()["workers"], r.settings()["keepalive"]) == ("4", "9")


def test_default_gunicorn_conf_py_in_the_cwd(run_server, tmp_path):
    conf(tmp_path, "workers = 6\n")
    copy_app(tmp_path)
    r = run(run_server, ["--print-config"], cwd=tmp_path)
    assert r.rc == 0, r
    assert r.settings()["workers"] == "6"
    assert r.settings()["config"] == "./gunicorn.conf.py"


def test_dash_c_replaces_the_default_file(run_server, tmp_path):
    conf(tmp_path, "raise SystemExit('the default file must not run')\n")
    conf(tmp_path, "workers = 2\n", "other.py")
    copy_app(tmp_path)
    r = run(run_server, ["-c", "other.py", "--print-config"], cwd=tmp_path)
    assert r.rc == 0, r
    assert r.settings()["workers"] == "2"


def test_no_config_file_is_fine(run_server, tmp_path):
    copy_app(tmp_path)
    r = run(run_server, ["--print-config"], cwd=tmp_path)
    assert r.rc == 0, r
    assert r.settings()["workers"] == "1"


def test_other_extension_is_read_with_a_warning(run_server, tmp_path):
    path = conf(tmp_path, "workers = 3\n", "settings.conf")
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.rc == 0, r
    assert r.settings()["workers"] == "3"
    assert "WARNING: configuration file should have a valid Python extension." in r.err


def test_config_file_runs_as_a_module_named_config(run_server, tmp_path):
    path = conf(tmp_path, """\
        import sys
        assert __name__ == "__config__", __name__
        assert sys.modules["__config__"].__file__ == __file__
        proc_name_seen = __file__
        workers = 2
        """)
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.rc == 0, r
    assert r.settings()["workers"] == "2"


# ---------------------------------------------------------------- what it sets

def test_wsgi_app_makes_app_module_optional(start_server, tmp_path):
    path = conf(tmp_path, 'wsgi_app = "hello:app"\n')
    srv = start_server(None, ["-c", str(path)])
    r = srv.get("/")
    assert r.status == 200 and r.body == b"Hello, World!\n"


def test_app_module_on_the_command_line_wins_over_wsgi_app(run_server, tmp_path):
    path = conf(tmp_path, 'wsgi_app = "no_such_module_xyz:app"\n')
    r = run(run_server, ["-c", str(path), "--check-config"], app="hello:app")
    assert r.rc == 0, r


def test_wsgi_app_is_checked_by_check_config(run_server, tmp_path):
    path = conf(tmp_path, 'wsgi_app = "no_such_module_xyz:app"\n')
    r = run(run_server, ["-c", str(path), "--check-config"], app=None)
    assert r.rc == 1, r
    assert "no_such_module_xyz" in r.err


def test_names_that_are_not_settings_are_ignored(run_server, tmp_path):
    path = conf(tmp_path, """\
        import os, multiprocessing
        from os.path import join
        WORKERS = 9          # settings are lower case
        not_a_setting = {"x": 1}
        _private = object()
        def helper(a, b, c):
            return a
        class Thing:
            pass
        workers = 2
        """)
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.rc == 0, r
    s = r.settings()
    assert s["workers"] == "2"
    assert "not_a_setting" not in s and "helper" not in s and "WORKERS" not in s


def test_values_are_validated_and_converted(run_server, tmp_path):
    path = conf(tmp_path, """\
        bind = ["127.0.0.1:9001", "unix:/tmp/qilin-test.sock"]
        workers = "3"                      # a string, as from the command line
        umask = "0o27"
        raw_env = ["A=1", "B=two"]
        forwarded_allow_ips = "10.0.0.1, 10.0.0.2"
        preload_app = True
        chdir = "/tmp"
        pidfile = None
        limit_request_line = 1000
        """)
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.rc == 0, r
    s = r.settings()
    assert s["bind"] == "['127.0.0.1:9001', 'unix:/tmp/qilin-test.sock']"
    assert s["workers"] == "3"
    assert s["umask"] == "23"
    assert s["raw_env"] == "['A=1', 'B=two']"
    assert s["forwarded_allow_ips"] == "['10.0.0.1', '10.0.0.2']"
    assert s["preload_app"] == "True"
    assert s["chdir"] == "/tmp"
    assert s["pidfile"] == "None"
    assert s["limit_request_line"] == "1000"


def test_a_bind_string_is_one_address(run_server, tmp_path):
    path = conf(tmp_path, 'bind = "127.0.0.1:9005"\n')
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.settings()["bind"] == "['127.0.0.1:9005']"


def test_served_with_the_settings_of_the_file(start_server, tmp_path):
    path = conf(tmp_path, """\
        import os
        workers = 2
        raw_env = ["QILIN_ENV_FROM_CONF=yes"]
        wsgi_app = "report:app"
        """)
    srv = start_server(None, ["-c", str(path)], workers=2)
    assert len(srv.workers()) == 2
    assert srv.get("/").json()["env"]["QILIN_ENV_FROM_CONF"] == "yes"


# ---------------------------------------------------------------- hooks

def test_hooks_print_as_their_qualname(run_server, tmp_path):
    path = conf(tmp_path, """\
        def on_starting(server):
            pass

        class Hooks:
            def post_fork(self, server, worker):
                pass
        post_fork = Hooks().post_fork
        worker_exit = lambda server, worker: None
        """)
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.rc == 0, r
    s = r.settings()
    assert s["on_starting"] == "<on_starting()>"
    assert s["post_fork"] == "<Hooks.post_fork()>"
    assert s["worker_exit"] == "<<lambda>()>"
    assert s["when_ready"] == "<WhenReady.when_ready()>"


@pytest.mark.parametrize("text,tokens", [
    ("def post_fork(server):\n    pass\n", ["post_fork"]),
    ("def on_starting(server, extra):\n    pass\n", ["on_starting"]),
    ("on_starting = 42\n", ["on_starting", "42"]),
])
def test_hook_with_wrong_arity_or_not_callable_is_refused(run_server, tmp_path, text, tokens):
    path = conf(tmp_path, text)
    r = run(run_server, ["-c", str(path), "--check-config"])
    assert_one_line_error(r, *tokens)


def test_post_request_accepts_two_three_or_four_arguments(run_server, tmp_path):
    for params in ["worker, req", "worker, req, environ", "worker, req, environ, resp"]:
        path = conf(tmp_path, f"def post_request({params}):\n    pass\n")
        r = run(run_server, ["-c", str(path), "--check-config"])
        assert r.rc == 0, (params, r)


# ---------------------------------------------------------------- when it is wrong

@pytest.mark.parametrize("text,tokens", [
    ("workers = 'abc'\n", ["workers", "abc"]),
    ("timeout = 'soon'\n", ["timeout", "soon"]),
    ("bind = 8000\n", ["bind", "8000"]),
    ("preload_app = 'maybe'\n", ["preload_app", "maybe"]),
    ("raw_env = [1, 2]\n", ["raw_env"]),
    ("chdir = '/no/such/dir/xyz'\n", ["chdir", "/no/such/dir/xyz"]),
    ("max_requests = -3\n", ["max_requests", "-3"]),
])
def test_bad_value_is_one_line_naming_setting_and_value(run_server, tmp_path, text, tokens):
    path = conf(tmp_path, text)
    r = run(run_server, ["-c", str(path)], bind="127.0.0.1:0")
    assert_one_line_error(r, *tokens)


@pytest.mark.gunicorn20_differs("gunicorn prints 'Invalid value for X: V', a blank line and "
                                "'Error: ...' (three lines); the issue asks for one")
def test_bad_value_is_exactly_one_line(run_server, tmp_path):
    path = conf(tmp_path, "workers = 'abc'\n")
    r = run(run_server, ["-c", str(path)], bind="127.0.0.1:0")
    assert r.rc == 1, r
    assert len(r.err_lines()) == 1, r
    assert r.err_lines()[0].startswith("Error: ")


def test_exception_in_config_file_shows_traceback_exit_1(run_server, tmp_path):
    path = conf(tmp_path, """\
        workers = 2

        def compute():
            raise ValueError("qilin-test: boom in the config file")

        timeout = compute()
        """)
    r = run(run_server, ["-c", str(path)], bind="127.0.0.1:0")
    assert r.rc == 1, r
    assert f"Failed to read config file: {path}" in r.err
    assert "Traceback (most recent call last):" in r.err
    assert f'File "{path}", line 6, in <module>' in r.err
    assert f'File "{path}", line 4, in compute' in r.err
    assert r.err_lines()[-1] == "ValueError: qilin-test: boom in the config file"
    assert "Listening at" not in r.err


def test_syntax_error_in_config_file_shows_traceback_exit_1(run_server, tmp_path):
    path = conf(tmp_path, "workers = = 2\n")
    r = run(run_server, ["-c", str(path)], bind="127.0.0.1:0")
    assert r.rc == 1, r
    assert "Traceback (most recent call last):" in r.err
    assert "SyntaxError" in r.err_lines()[-1]
    assert "workers = = 2" in r.err


def test_default_file_that_raises_is_reported_too(run_server, tmp_path):
    conf(tmp_path, "raise RuntimeError('qilin-test: default file raises')\n")
    copy_app(tmp_path)
    r = run(run_server, ["--check-config"], cwd=tmp_path)
    assert r.rc == 1, r
    assert "RuntimeError: qilin-test: default file raises" in r.err


@pytest.mark.parametrize("spelling", ["{path}", "file:{path}"])
def test_missing_config_file_is_one_line_exit_1(run_server, tmp_path, spelling):
    path = tmp_path / "no_such_config.py"
    r = run(run_server, ["-c", spelling.format(path=path)], bind="127.0.0.1:0")
    assert_one_line_error(r, f"'{path}' doesn't exist")
    assert len(r.err_lines()) == 1, r


def test_missing_config_module_is_one_line_exit_1(run_server):
    r = run(run_server, ["-c", "python:qilin_no_such_settings_module"], bind="127.0.0.1:0")
    assert_one_line_error(r, "No module named 'qilin_no_such_settings_module'")
    assert len(r.err_lines()) == 1, r


@pytest.mark.gunicorn20_differs("gunicorn prints only 'Error: <message>' for a python: module "
                                "that raises; the issue asks for the traceback")
def test_config_module_that_raises_shows_traceback_exit_1(run_server, tmp_path):
    write(tmp_path / "raising_settings.py", """\
        workers = 2
        raise RuntimeError("qilin-test: boom in the settings module")
        """)
    copy_app(tmp_path)
    r = run(run_server, ["-c", "python:raising_settings"], cwd=tmp_path, bind="127.0.0.1:0")
    assert r.rc == 1, r
    assert "Traceback (most recent call last):" in r.err
    assert 'raising_settings.py", line 2, in <module>' in r.err
    assert r.err_lines()[-1] == "RuntimeError: qilin-test: boom in the settings module"


@pytest.mark.gunicorn20_differs("gunicorn implements these settings")
@pytest.mark.parametrize("text,name", [
    ("http_parser = 'python'\n", "http_parser"),
    ("http_parser = 'python'\n", "http_parser"),
    ("worker_class = 'tornado'\n", "tornado"),
    ("dirty_workers = 2\n", "dirty_workers"),
])
def test_unsupported_setting_in_config_file_is_refused(run_server, tmp_path, text, name):
    path = conf(tmp_path, text)
    r = run(run_server, ["-c", str(path)], bind="127.0.0.1:0")
    assert_one_line_error(r, name, "not supported")
    assert r.err_lines()[0].startswith("Error: "), r


def test_unsupported_setting_left_at_its_default_is_fine(run_server, tmp_path):
    path = conf(tmp_path, """\
        spew = False
        http_parser = 'auto'
        worker_connections = 1000
        accesslog = None
        """)
    r = run(run_server, ["-c", str(path), "--check-config"])
    assert r.rc == 0, r


# ---------------------------------------------------------------- gunicorn's own docs

# The sample file from gunicorn's examples/example_config.py, less its
# comments, with its accesslog line left to each test.
EXAMPLE_CONFIG = """\
    bind = '127.0.0.1:8000'
    backlog = 2048

    workers = 1
    worker_class = 'sync'
    worker_connections = 1000
    timeout = 30
    keepalive = 2

    spew = False

    daemon = False
    raw_env = [
        'DJANGO_SECRET_KEY=something',
        'SPAM=eggs',
    ]
    pidfile = None
    umask = 0
    user = None
    group = None
    tmp_upload_dir = None

    errorlog = '-'
    loglevel = 'info'
    {accesslog}
    access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

    proc_name = None

    def post_fork(server, worker):
        server.log.info("Worker spawned (pid: %s)", worker.pid)

    def pre_fork(server, worker):
        pass

    def pre_exec(server):
        server.log.info("Forked child, re-executing.")

    def when_ready(server):
        server.log.info("Server is ready. Spawning workers")

    def worker_int(worker):
        worker.log.info("worker received INT or QUIT signal")

    def worker_abort(worker):
        worker.log.info("worker received SIGABRT signal")
    """


def test_gunicorn_example_config_loads(run_server, tmp_path):
    path = conf(tmp_path, EXAMPLE_CONFIG.format(accesslog=""))
    r = run(run_server, ["-c", str(path), "--print-config"])
    assert r.rc == 0, r
    s = r.settings()
    assert s["bind"] == "['127.0.0.1:8000']"
    assert s["raw_env"] == "['DJANGO_SECRET_KEY=something', 'SPAM=eggs']"
    assert s["post_fork"] == "<post_fork()>"
    assert s["worker_int"] == "<worker_int()>"


def test_gunicorn_docs_config_serves(start_server, tmp_path):
    # docs/content/configure.md: a config file is plain Python.
    path = conf(tmp_path, """\
        import multiprocessing

        bind = "127.0.0.1:0"
        workers = min(2, multiprocessing.cpu_count() * 2 + 1)
        """)
    srv = start_server("hello:app", ["-c", str(path)], bind=None, workers=2)
    assert srv.get("/").status == 200
    assert len(srv.workers()) == 2


def test_gunicorn_example_config_with_accesslog_loads(run_server, tmp_path):
    path = conf(tmp_path, EXAMPLE_CONFIG.format(accesslog="accesslog = '-'"))
    r = run(run_server, ["-c", str(path), "--check-config"])
    assert r.rc == 0, r.err


# The oracle: the same config file, read by gunicorn 20.1 and by the binary
# under test, gives the same values for every setting both know and the file sets.
ORACLE_CONFIG = """\
    import os
    bind = ["127.0.0.1:9001", "127.0.0.1:9002"]
    backlog = 64
    workers = int("3")
    worker_class = "sync"
    threads = 1
    max_requests = 1000
    max_requests_jitter = 50
    timeout = 45
    graceful_timeout = 12
    keepalive = 7
    limit_request_line = 2048
    limit_request_fields = 50
    limit_request_field_size = 4096
    preload_app = True
    sendfile = False
    reuse_port = True
    chdir = "@APPS@"
    raw_env = ["A=1", "B=x=y"]
    pidfile = "/tmp/qilin-oracle.pid"
    umask = 0o22
    forwarded_allow_ips = "10.0.0.1,10.0.0.2"
    errorlog = "-"
    loglevel = "warning"
    pythonpath = "/tmp,/usr"
    strip_header_spaces = False
    wsgi_app = "hello:app"
    secure_scheme_headers = {"X-SCHEME": "https"}
    spew = False
    daemon = False

    def on_starting(server):
        pass

    def post_fork(server, worker):
        pass

    def post_request(worker, req, environ, resp):
        pass

    unrelated_name = 1
    """


def _oracle_names(text):
    names = []
    for line in text.splitlines():
        head = line.split("=")[0].strip()
        if line and not line.startswith(" ") and "=" in line and head.isidentifier():
            names.append(head)
        if line.startswith("def "):
            names.append(line[4:line.index("(")])
    return [n for n in names if n not in ("unrelated_name",)]


def test_same_config_file_gives_gunicorns_values(run_server, tmp_path):
    oracle = gunicorn_oracle()
    if oracle is None:
        pytest.skip("Debian's gunicorn is not installed")
    text = textwrap.dedent(ORACLE_CONFIG).replace("@APPS@", str(APPS))
    path = conf(tmp_path, text)
    ours = run(run_server, ["-c", str(path), "--print-config"], app=None)
    assert ours.rc == 0, ours
    theirs = subprocess.run([oracle, "-c", str(path), "--print-config"], cwd=APPS,
                            env=server_env(), capture_output=True, text=True, timeout=30)
    assert theirs.returncode == 0, theirs.stderr
    expected = parse_print_config(theirs.stdout)
    got = ours.settings()
    names = _oracle_names(text)
    assert len(names) > 25
    for name in names:
        assert got[name] == expected[name], name
