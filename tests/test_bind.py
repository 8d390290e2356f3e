"""Listeners: -b/--bind forms, the defaults, --backlog, --reuse-port, unix
sockets removed on shutdown, inherited fds, and a bind that fails."""

import errno
import socket
import subprocess
import time

import pytest

from conftest import free_port


def port_is_free(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_default_bind_is_127_0_0_1_port_8000(start_server):
    if not port_is_free("127.0.0.1", 8000):
        pytest.skip("127.0.0.1:8000 is busy on this machine")
    srv = start_server("hello:app", bind=None)
    assert srv.listeners == ["http://127.0.0.1:8000"]
    assert srv.get("/").status == 200
    assert srv.stop() == 0


def test_port_env_means_all_interfaces(start_server):
    srv = start_server("hello:app", bind=None, env={"PORT": "0"})
    (url,) = srv.listeners
    assert url.startswith("http://0.0.0.0:"), url
    port = int(url.rsplit(":", 1)[1])
    assert port != 0
    r = srv.get("/", addr=("127.0.0.1", port))
    assert r.status == 200


def test_explicit_bind_wins_over_port_env(start_server):
    srv = start_server("hello:app", env={"PORT": "0"})
    (url,) = srv.listeners
    assert url.startswith("http://127.0.0.1:"), url


def test_bind_is_repeatable(start_server):
    srv = start_server("hello:app", ["-b", "127.0.0.1:0"])  # plus the default -b
    addrs = srv.tcp_addrs()
    assert len(addrs) == 2, srv.listeners
    assert addrs[0][1] != addrs[1][1]
    for addr in addrs:
        assert srv.get("/", addr=addr).status == 200


def test_host_without_port_binds_8000(start_server):
    if not port_is_free("127.0.0.1", 8000):
        pytest.skip("127.0.0.1:8000 is busy on this machine")
    srv = start_server("hello:app", bind="127.0.0.1")
    assert srv.listeners == ["http://127.0.0.1:8000"]


def test_ipv6_loopback(start_server):
    if not ipv6_loopback_available():
        pytest.skip("no IPv6 loopback here")
    srv = start_server("echo:app", bind="[::1]:0")
    (url,) = srv.listeners
    assert url.startswith("http://[::1]:"), url
    env = srv.get("/v6").json()
    assert env["REMOTE_ADDR"] == "::1"
    assert env["SERVER_NAME"] == "::1"
    assert env["SERVER_PORT"] == str(srv.port)


def test_unix_socket_serves_and_is_removed_on_shutdown(start_server, tmp_path):
    path = tmp_path / "q.sock"
    srv = start_server("echo:app", bind=f"unix:{path}")
    assert srv.listeners == [f"unix:{path}"]
    assert path.exists()
    r = srv.request("GET", "/u?x=1", headers=[("Host", "example.com:8080")],
                    host=None, addr=str(path))
    assert r.status == 200
    env = r.json()
    # gunicorn: no peer address on a unix socket, SERVER_* from Host
    assert env["REMOTE_ADDR"] == ""
    assert env["SERVER_NAME"] == "example.com"
    assert env["SERVER_PORT"] == "8080"
    assert env["PATH_INFO"] == "/u"
    assert srv.stop() == 0
    assert not path.exists()


def test_unix_socket_host_without_port_gives_port_80(start_server, tmp_path):
    path = tmp_path / "q2.sock"
    srv = start_server("echo:app", bind=f"unix:{path}")
    r = srv.request("GET", "/", headers=[("Host", "example.org")], host=None, addr=str(path))
    env = r.json()
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.org", "80")


def test_unix_and_tcp_together(start_server, tmp_path):
    path = tmp_path / "both.sock"
    srv = start_server("hello:app", ["-b", f"unix:{path}"])
    assert f"unix:{path}" in srv.listeners
    assert srv.get("/").status == 200
    assert srv.get("/", addr=str(path)).status == 200


def test_inherited_fd(start_server):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    fd = lsock.fileno()
    try:
        srv = start_server("hello:app", bind=f"fd://{fd}", pass_fds=[fd])
        assert srv.tcp_addrs() == [("127.0.0.1", port)], srv.listeners
        assert srv.get("/", addr=("127.0.0.1", port)).status == 200
    finally:
        lsock.close()


def listen_backlog(port):
    """Send-Q of the listening socket, which ss reports as its backlog."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True,
                         text=True, timeout=10).stdout
    for line in out.splitlines():
        fields = line.split()
        # State Recv-Q Send-Q Local Peer
        if len(fields) >= 4 and fields[3].endswith(f":{port}"):
            return int(fields[2])
    raise AssertionError(f"no listener on {port} in ss output {out!r}")


def test_backlog(start_server):
    if subprocess.run(["which", "ss"], capture_output=True).returncode != 0:
        pytest.skip("ss (iproute2) not installed")
    with open("/proc/sys/net/core/somaxconn") as f:
        somaxconn = int(f.read())  # the kernel caps every backlog at this
    srv = start_server("hello:app", ["--backlog", "37"])
    assert listen_backlog(srv.port) == min(37, somaxconn)
    default = start_server("hello:app")
    assert listen_backlog(default.port) == min(2048, somaxconn)


def test_reuse_port(start_server):
    port = free_port()
    # gunicorn 26's master binds nothing with --reuse-port (each worker binds),
    # so its "Listening at:" line is empty: wait for the port instead
    srv = start_server("hello:app", ["--reuse-port", "-w", "2"], bind=f"127.0.0.1:{port}",
                       wait=False)
    srv.wait_connectable(("127.0.0.1", port))
    srv.wait_workers(lambda w: len(w) == 2, message="2 workers")
    assert srv.get("/").status == 200
    # another SO_REUSEPORT socket may join the port only if the server's has it
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        other.bind(("127.0.0.1", port))
    finally:
        other.close()


def test_without_reuse_port_the_port_is_exclusive(start_server):
    srv = start_server("hello:app")
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        with pytest.raises(OSError) as e:
            other.bind(("127.0.0.1", srv.port))
        assert e.value.errno == errno.EADDRINUSE
    finally:
        other.close()


def test_port_in_use_is_retried_then_one_clear_error(start_server):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        t0 = time.monotonic()
        srv = start_server("hello:app", bind=f"127.0.0.1:{port}", wait=False)
        rc = srv.wait_exit(20)
        elapsed = time.monotonic() - t0
    finally:
        blocker.close()
    log = srv.log()
    assert rc != 0 and rc > 0, log
    assert "Traceback" not in log
    assert elapsed >= 2.0, f"gave up after {elapsed:.1f}s without retrying"
    errors = [l for l in log.splitlines() if "[ERROR]" in l and str(port) in l]
    assert errors, log
    assert srv.workers() == []
