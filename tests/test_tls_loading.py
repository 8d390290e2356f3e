"""OpenSSL is loaded only when TLS is used. qilin does not link libssl: its
OpenSSL code is libqilin-tls.so, beside the binary, loaded the first time a
TLS context is made (src/tls/library.h). A server without certfile/keyfile
maps neither libssl nor libcrypto, in the master or in a worker (about
1.7 MiB of RSS each); one with them maps both, and serves. A binary whose
library is missing serves plain HTTP, and refuses TLS with one line."""

import shutil
import subprocess

import pytest

from conftest import BIN, IS_GUNICORN, Server
from config_support import Run, assert_one_line_error
from test_tls import Pki, environ_of, hook_conf, https_get

pytestmark = [
    pytest.mark.skipif(IS_GUNICORN, reason="qilin's own library layout"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI"),
]

OPENSSL_LIBRARIES = ("libssl.so", "libcrypto.so", "libqilin-tls.so")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def mapped(pid):
    """Which of OPENSSL_LIBRARIES process `pid` maps."""
    with open(f"/proc/{pid}/maps") as f:
        maps = f.read()
    return {name for name in OPENSSL_LIBRARIES if "/" + name in maps}


@pytest.mark.parametrize("kind", [["-k", "sync"], ["-k", "gthread", "--threads", "2"]],
                         ids=["sync", "gthread"])
def test_plain_http_maps_no_openssl(start_server, kind):
    srv = start_server("hello:app", [*kind, "-w", "2"])
    for _ in range(4):
        assert srv.get("/").status == 200
    workers = srv.workers()
    assert len(workers) == 2, srv.tail()
    for pid in [srv.master_pid, *workers]:
        assert mapped(pid) == set(), f"pid {pid} (master {srv.master_pid})"


def test_tls_maps_openssl_in_every_process(start_server, pki):
    srv = start_server("echo:app", pki.server_args("-w", "2"))
    assert environ_of(https_get(srv, "/", pki.context()))["wsgi.url_scheme"] == "https"
    for pid in [srv.master_pid, *srv.workers()]:
        assert mapped(pid) == set(OPENSSL_LIBRARIES), f"pid {pid} (master {srv.master_pid})"


class LonelyServer(Server):
    """The server from a copy of the binary, in a directory without
    libqilin-tls.so."""

    binary = None

    @property
    def argv(self):
        return [self.binary] + self.args + ([self.app] if self.app else [])


@pytest.fixture
def lonely(tmp_path):
    """Starts LonelyServer(app, args, **kw); run=True waits for its exit."""
    directory = tmp_path / "lonely"
    directory.mkdir()
    LonelyServer.binary = str(directory / "qilin")
    shutil.copy2(BIN, LonelyServer.binary)
    servers = []

    def start(app, args, *, run=False):
        srv = LonelyServer(app, args, log_dir=tmp_path)
        servers.append(srv)
        srv.start()
        if run:
            srv.wait_exit(20)
        else:
            srv.wait_ready()
        return srv

    start.directory = directory
    yield start
    for srv in servers:
        srv.kill()


def test_without_the_library_plain_http_is_served(lonely):
    srv = lonely("hello:app", [])
    assert srv.get("/").status == 200


@pytest.mark.parametrize("hook", [False, True], ids=["files", "ssl_context-hook"])
def test_without_the_library_tls_stops_the_start_up(lonely, pki, tmp_path, hook):
    args = pki.server_args()
    if hook:  # refused before the hook runs
        args += ["-c", str(hook_conf(tmp_path, "raise RuntimeError('qilin-test: must not run')"))]
    srv = lonely("hello:app", args, run=True)
    r = Run(srv.returncode, "", srv.log(), srv)
    assert_one_line_error(r, "TLS: cannot load", str(lonely.directory / "libqilin-tls.so"),
                          "No such file or directory")
    assert len(r.err_lines()) == 1, r
