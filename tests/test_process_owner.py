"""--user/--group/--initgroups (workers switch ids; the master keeps its
own) and -D/--daemon (detach; WINCH then stops the workers), as gunicorn."""
import os
import grp
import pwd
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import APPS, BIN, server_env, wait_until

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


def status_ids(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return int(fields["Uid"][1]), int(fields["Gid"][1]), sorted(int(g) for g in fields["Groups"])


def switched_ids(pid, uid, timeout=5):
    """status_ids(pid) once the worker has switched to `uid` (it logs
    "Booting worker" just before it switches)."""
    return wait_until(lambda: (lambda ids: ids if ids[0] == uid else None)(status_ids(pid)),
                      timeout, message=f"worker {pid} to switch to uid {uid}")


@pytest.fixture
def made_user():
    """A real unprivileged user, with its own group and one supplementary
    group, made for the test and removed after it (request it before
    start_server, so the server is gone when the user is deleted)."""
    if shutil.which("useradd") is None:
        pytest.skip("useradd is not installed")
    tag = uuid.uuid4().hex[:8]
    user, extra = f"qilin-{tag}", f"qilin-{tag}-x"
    subprocess.run(["groupadd", extra], check=True)
    subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", "--groups", extra,
                    "--shell", "/usr/sbin/nologin", user], check=True)
    try:
        yield pwd.getpwnam(user), grp.getgrnam(extra)
    finally:
        subprocess.run(["userdel", user], check=False)
        subprocess.run(["groupdel", extra], check=False)


@ROOT_ONLY
def test_a_user_made_for_the_test_with_initgroups(made_user, start_server):
    user, extra = made_user
    srv = start_server("hello:app", ["--user", user.pw_name, "--group", user.pw_name,
                                     "--initgroups", "-w", "2"])
    assert status_ids(srv.master_pid)[:2] == (0, 0)        # the master keeps root
    for pid in srv.workers():
        uid, gid, groups = switched_ids(pid, user.pw_uid)
        assert (uid, gid) == (user.pw_uid, user.pw_gid)
        assert groups == sorted({user.pw_gid, extra.gr_gid})   # initgroups: its own groups
    assert srv.get("/").status == 200


@ROOT_ONLY
def test_without_initgroups_no_supplementary_groups(made_user, start_server):
    user, extra = made_user
    srv = start_server("hello:app", ["--user", user.pw_name, "--group", user.pw_name])
    (pid,) = srv.workers()
    uid, gid, groups = switched_ids(pid, user.pw_uid)
    assert groups == [user.pw_gid]


@ROOT_ONLY
def test_workers_switch_user_and_group_master_does_not(start_server):
    nobody = pwd.getpwnam("nobody")
    nogroup = grp.getgrnam("nogroup")
    srv = start_server("hello:app", ["--user", "nobody", "--group", "nogroup", "-w", "2"])
    assert status_ids(srv.master_pid)[:2] == (0, 0)
    for pid in srv.workers():
        uid, gid, groups = switched_ids(pid, nobody.pw_uid)
        assert (uid, gid) == (nobody.pw_uid, nogroup.gr_gid)
        assert groups == [nogroup.gr_gid]  # root's supplementary groups are gone
    assert srv.get("/").status == 200


@ROOT_ONLY
def test_numeric_ids_and_initgroups(start_server, tmp_path):
    nobody = pwd.getpwnam("nobody")
    srv = start_server("hello:app", ["-u", str(nobody.pw_uid), "-g", str(nobody.pw_gid),
                                     "--initgroups"])
    (pid,) = srv.workers()
    uid, gid, groups = switched_ids(pid, nobody.pw_uid)
    assert (uid, gid) == (nobody.pw_uid, nobody.pw_gid)
    expected = sorted({nobody.pw_gid} | {g.gr_gid for g in grp.getgrall() if "nobody" in g.gr_mem})
    assert groups == expected
    assert srv.get("/").status == 200


@ROOT_ONLY
def test_unix_socket_belongs_to_the_workers_user(start_server, tmp_path):
    sock = tmp_path / "app.sock"
    os.chmod(tmp_path, 0o755)
    srv = start_server("hello:app", ["--user", "nobody", "--group", "nogroup"], bind=f"unix:{sock}")
    st = sock.stat()
    assert (st.st_uid, st.st_gid) == (pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    assert srv.workers()


def test_unknown_user_is_one_line_and_exit_1(run_server):
    rc, log, _ = run_server("hello:app", ["--user", "no-such-user-qilin"])
    assert rc == 1
    assert "no-such-user-qilin" in log and "Traceback" not in log


def read_pid(path, timeout=10):
    wait_until(lambda: path.exists() and path.read_text().strip().isdigit(), timeout,
               message=f"the pid file {path}")
    return int(path.read_text().strip())


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status


def test_daemon_detaches_serves_and_stops_by_pidfile(tmp_path):
    pidfile = tmp_path / "qilin.pid"
    errlog = tmp_path / "error.log"
    port = free_port()
    started = time.monotonic()
    launcher = subprocess.run(
        [BIN, "-D", "-p", str(pidfile), "--error-logfile", str(errlog), "-b", f"127.0.0.1:{port}",
         "-w", "2", "hello:app"],
        cwd=APPS, env=server_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=20)
    assert launcher.returncode == 0, launcher.stderr
    assert time.monotonic() - started < 10
    master = read_pid(pidfile)
    try:
        # A new session, away from the launching terminal's.
        assert os.getsid(master) != os.getsid(0)
        wait_until(lambda: "Booting worker" in errlog.read_text(), 10, message="workers")
        wait_until(lambda: _ok(port), 10, message="the daemon to serve")
        # WINCH on a daemonized master stops its workers gracefully; the
        # master stays, holding the sockets.
        os.kill(master, signal.SIGWINCH)
        wait_until(lambda: "graceful stop of workers" in errlog.read_text(), 10,
                   message="WINCH handled")
        wait_until(lambda: not _children(master), 15, message="the workers to stop")
        assert alive(master)
    finally:
        if alive(master):
            os.kill(master, signal.SIGTERM)
            wait_until(lambda: not alive(master), 20, message="the daemon to exit")
    assert not pidfile.exists()


def _ok(port):
    try:
        return get(port) == 200
    except OSError:
        return False


def _children(pid):
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += (task / "children").read_text().split()
        except OSError:
            pass
    return out
