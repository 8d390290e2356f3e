"""The settings of issue 3 that act on the processes, each shown by its
effect: preload_app, pidfile, umask, raw_env from every source,
worker_tmp_dir, tmp_upload_dir, sendfile and $SENDFILE. (chdir, pythonpath and --env are in
test_app_loading.py, bind and reuse_port in test_bind.py.)"""

import os
import shutil
import stat
import subprocess

import pytest

from config_support import assert_one_line_error, run, write

IMPORT_PID_APP = """\
    import os
    IMPORTED_IN = os.getpid()

    def app(environ, start_response):
        body = ("%d %d" % (IMPORTED_IN, os.getpid())).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    """


def import_and_worker_pids(srv):
    imported, worker = srv.get("/").body.decode().split()
    return int(imported), int(worker)


# ---------------------------------------------------------------- preload_app

def test_without_preload_the_worker_imports_the_app(start_server, tmp_path):
    write(tmp_path / "pidapp.py", IMPORT_PID_APP)
    srv = start_server("pidapp:app", cwd=tmp_path)
    imported, worker = import_and_worker_pids(srv)
    assert imported == worker != srv.master_pid


@pytest.mark.parametrize("how", [["--preload"], ["-c", "preload.conf.py"]])
def test_preload_imports_the_app_in_the_master(start_server, tmp_path, how):
    write(tmp_path / "pidapp.py", IMPORT_PID_APP)
    write(tmp_path / "preload.conf.py", "preload_app = True\n")
    srv = start_server("pidapp:app", how, cwd=tmp_path)
    imported, worker = import_and_worker_pids(srv)
    assert imported == srv.master_pid
    assert worker != srv.master_pid


def test_preload_load_error_stops_before_any_fork(run_server):
    r = run(run_server, ["--preload"], app="broken_import:app", bind="127.0.0.1:0")
    assert r.rc != 0, r
    assert "broken_import raises at import time" in r.err
    assert "Booting worker" not in r.err


# ---------------------------------------------------------------- pidfile

@pytest.mark.parametrize("how", ["cli", "conf"])
def test_pidfile_holds_the_master_pid_and_goes_away(start_server, tmp_path, how):
    pidfile = tmp_path / "run" / "qilin.pid"
    pidfile.parent.mkdir()
    if how == "cli":
        args = ["-p", str(pidfile)]
    else:
        args = ["-c", str(write(tmp_path / "pid.conf.py", f"pidfile = {str(pidfile)!r}\n"))]
    srv = start_server("hello:app", args)
    assert pidfile.read_text().strip() == str(srv.master_pid)
    assert srv.stop() == 0
    assert not pidfile.exists()


# ---------------------------------------------------------------- umask

@pytest.mark.parametrize("mask,mode", [("0o077", 0o700), ("022", 0o755), ("0", 0o777)])
def test_umask_applies_to_the_unix_socket(start_server, tmp_path, mask, mode):
    sock = tmp_path / "s.sock"
    srv = start_server("hello:app", ["-m", mask], bind=f"unix:{sock}")
    assert stat.S_IMODE(os.stat(sock).st_mode) == mode
    assert srv.get("/").status == 200


# ---------------------------------------------------------------- raw_env

@pytest.mark.parametrize("source", ["cli", "conf", "env_args"])
def test_raw_env_reaches_the_application(start_server, tmp_path, source):
    args, env = [], {}
    if source == "cli":
        args = ["-e", "QILIN_ENV_SRC=cli", "--env", "QILIN_ENV_EQ=a=b"]
    elif source == "conf":
        path = write(tmp_path / "env.conf.py",
                     'raw_env = ["QILIN_ENV_SRC=conf", "QILIN_ENV_EQ=a=b"]\n')
        args = ["-c", str(path)]
    else:
        env = {"GUNICORN_CMD_ARGS": "-e QILIN_ENV_SRC=env_args -e QILIN_ENV_EQ=a=b"}
    srv = start_server("report:app", args, env=env)
    seen = srv.get("/").json()["env"]
    assert seen["QILIN_ENV_SRC"] == source
    assert seen["QILIN_ENV_EQ"] == "a=b"


def test_raw_env_without_equals_is_one_line(run_server):
    r = run(run_server, ["-e", "QILIN_ENV_NOEQ"], bind="127.0.0.1:0")
    assert_one_line_error(r, "QILIN_ENV_NOEQ")


# ---------------------------------------------------------------- tmp dirs

@pytest.mark.parametrize("flag", ["--worker-tmp-dir", "--worker-tmp-dir="])
def test_worker_tmp_dir_is_accepted(start_server, tmp_path, flag):
    args = [flag + str(tmp_path)] if flag.endswith("=") else [flag, str(tmp_path)]
    srv = start_server("hello:app", args)
    assert srv.get("/").status == 200


@pytest.mark.gunicorn20_differs("gunicorn's workers fail to boot instead (exit 3)")
def test_worker_tmp_dir_that_does_not_exist_is_one_line(run_server, tmp_path):
    missing = tmp_path / "no-such-dir"
    r = run(run_server, ["--worker-tmp-dir", str(missing)], bind="127.0.0.1:0")
    assert_one_line_error(r, "worker_tmp_dir", str(missing))


def test_tmp_upload_dir_is_accepted_from_the_config_file(start_server, tmp_path):
    path = write(tmp_path / "tmp.conf.py", f"tmp_upload_dir = {str(tmp_path)!r}\n")
    srv = start_server("hello:app", ["-c", str(path)])
    assert srv.get("/").status == 200


# ---------------------------------------------------------------- sendfile

FILE_APP = """\
    import os
    PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "big.bin")

    def app(environ, start_response):
        f = open(PATH, "rb")
        start_response("200 OK", [("Content-Length", str(os.path.getsize(PATH)))])
        return environ["wsgi.file_wrapper"](f, 8192)
    """


def syscalls_while_serving(srv, names):
    """The system calls among `names` one worker makes while serving one
    request, as strace sees them."""
    [worker] = srv.workers()
    out = srv.log_dir / f"strace-{worker}.txt"
    tracer = subprocess.Popen(["strace", "-e", "trace=" + ",".join(names), "-p", str(worker),
                               "-o", str(out)], stderr=subprocess.PIPE, text=True)
    try:
        line = tracer.stderr.readline()  # "strace: Process N attached"
        if "attached" not in line:
            pytest.skip(f"strace cannot attach here: {line.strip()}")
        r = srv.get("/")
        assert r.status == 200 and r.complete and len(r.body) == 1_000_000
    finally:
        tracer.terminate()
        tracer.wait(10)
    return out.read_text()


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.parametrize("args,env,conf,uses_sendfile", [
    ([], {}, None, True),
    (["--no-sendfile"], {}, None, False),
    ([], {"SENDFILE": "0"}, None, False),
    ([], {"SENDFILE": "no"}, None, False),
    ([], {"SENDFILE": "Yes"}, None, True),
    (["--no-sendfile"], {"SENDFILE": "1"}, None, False),   # the setting wins over $SENDFILE
    ([], {}, "sendfile = False\n", False),
    pytest.param([], {"SENDFILE": "1"}, "sendfile = True\n", True, marks=pytest.mark.gunicorn20_differs(
        "gunicorn turns sendfile off whenever the setting has any value, True included")),
])
def test_sendfile_setting_and_environment(start_server, tmp_path, args, env, conf, uses_sendfile):
    write(tmp_path / "fileapp.py", FILE_APP)
    (tmp_path / "big.bin").write_bytes(os.urandom(1_000_000))
    if conf:
        args = args + ["-c", str(write(tmp_path / "sf.conf.py", conf))]
    srv = start_server("fileapp:app", args, env=env, cwd=tmp_path)
    trace = syscalls_while_serving(srv, ["sendfile", "sendfile64"])
    assert ("sendfile" in trace) == uses_sendfile, trace
