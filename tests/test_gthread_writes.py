"""gthread responses under backpressure: a 50 MB generator to a client that
reads slowly arrives whole; a client that stops reading is cut off after
the --timeout bound while the worker serves others; wsgi.file_wrapper over
a real file, with and without sendfile, with and without Content-Length."""

import hashlib
import os
import socket
import struct
import threading
import time

import pytest

from conftest import Response, response_end, wait_until
from gthread_support import (APP, Client, bytes_until_closed, recv_some, req, small_window,
                             sparse_file)

PIECE = 65536


def piece_bytes(i):
    """Piece i of a /gen body: the same function as in apps/gthread_app.py."""
    return (b"%07d\n" % i) * (PIECE // 8)


def expected_digest(total):
    h = hashlib.sha256()
    sent, i = 0, 0
    while sent < total:
        p = piece_bytes(i)[:total - sent]
        h.update(p)
        sent += len(p)
        i += 1
    return h.hexdigest()


def slow_read_response(sock, deadline, pause_every=4 << 20, pause=0.5):
    """Read one response, pausing `pause` seconds after every
    `pause_every` bytes; returns (Response, number of pauses)."""
    buf = bytearray()
    pauses = 0
    next_pause = pause_every
    while True:
        end = response_end(buf)
        if end is not None and end >= 0:
            return Response(bytes(buf[:end])), pauses
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"response not complete in time ({len(buf)} bytes)"
        sock.settimeout(remaining)
        data = sock.recv(262144)
        if not data:
            return Response(bytes(buf)), pauses
        buf += data
        if len(buf) >= next_pause:
            time.sleep(pause)
            pauses += 1
            next_pause += pause_every


@pytest.fixture
def write_server(shared_server):
    # threads 2: the loop keeps beating, a second thread serves others;
    # -t 2: a write that cannot progress for 2 s is given up
    return shared_server(APP, ["-k", "gthread", "--threads", "2", "-t", "2"])


@pytest.mark.parametrize("path,total", [("/gen", 50 << 20), ("/gen_nocl", 20 << 20)])
def test_large_generator_to_a_slow_reader_arrives_whole(write_server, path, total):
    srv = write_server
    pids = srv.workers()
    mark = srv.log_mark()
    with Client(srv, timeout=60) as c:
        start = time.monotonic()
        c.send(req("GET", f"{path}/{total}"))
        r, pauses = slow_read_response(c.sock, time.monotonic() + 60)
        took = time.monotonic() - start
        assert r.status == 200 and r.complete, r
        assert len(r.body) == total
        assert hashlib.sha256(r.body).hexdigest() == expected_digest(total)
        if path == "/gen_nocl":
            assert r.header("transfer-encoding") == "chunked"
        # longer than the 2 s bound in all, yet never stalled 2 s at once
        assert pauses >= 4 and took > 2.0
        # the connection is still good
        assert c.request("GET", "/after").body == b"ok GET /after\n"
    assert srv.workers() == pids
    assert "WORKER TIMEOUT" not in srv.log_since(mark)


@pytest.mark.gunicorn20_differs(
    "gunicorn writes with a blocking sendall and no bound: a client that stops "
    "reading holds a thread")
def test_client_that_stops_reading_is_cut_off(write_server):
    srv = write_server
    pids = srv.workers()
    mark = srv.log_mark()
    total = 50 << 20
    uri = f"/gen/{total}?stalled"
    stalled = srv.connect(timeout=30)
    small_window(stalled)
    try:
        start = time.monotonic()
        stalled.sendall(req("GET", uri))
        time.sleep(0.5)
        # the worker keeps serving others meanwhile
        for i in range(3):
            with Client(srv) as c:
                t = time.monotonic()
                assert c.request("GET", f"/other/{i}").body == f"ok GET /other/{i}\n".encode()
                assert time.monotonic() - t < 1.0
        # the app's iterable is closed when the server gives up on the client
        deadline = start + 15
        closed = []
        while not closed:
            assert time.monotonic() < deadline, \
                f"the stalled client was not cut off within 15 s (-t 2)\n{srv.tail(2000)}"
            closed = [e for e in srv.records() if e["event"] == "closed" and e["raw_uri"] == uri]
            time.sleep(0.05)
        cut_after = time.monotonic() - start
        assert closed[0]["sent"] < total
        assert cut_after >= 1.5, f"cut off after {cut_after:.1f}s, before the 2 s bound"
        # what reached the client ends early (EOF or reset), not the whole body
        assert bytes_until_closed(stalled) < total
    finally:
        stalled.close()
    assert srv.workers() == pids
    assert "WORKER TIMEOUT" not in srv.log_since(mark)
    with Client(srv) as c:
        assert c.request("GET", "/later").status == 200


# ---------------------------------------------------------------- file_wrapper

@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("gthread-files") / "big.bin"
    path.write_bytes(os.urandom(8 << 20))
    return path


@pytest.mark.parametrize("sendfile", ["sendfile", "no-sendfile"])
@pytest.mark.parametrize("path", ["/file", "/file_nocl"])
def test_file_wrapper_arrives_whole(shared_server, big_file, sendfile, path):
    args = ["-k", "gthread", "--threads", "2"]
    if sendfile == "no-sendfile":
        args.append("--no-sendfile")
    srv = shared_server(APP, args, env={"QILIN_TEST_FILE": str(big_file)})
    want = big_file.read_bytes()
    with Client(srv, timeout=30) as c:
        for _ in range(2):          # twice on one connection: framing is exact
            c.send(req("GET", path))
            r, _ = slow_read_response(c.sock, time.monotonic() + 30,
                                      pause_every=3 << 20, pause=0.3)
            assert r.status == 200 and r.complete
            assert r.body == want
            if path == "/file":
                assert r.header("content-length") == str(len(want))
            else:
                assert r.header("transfer-encoding") == "chunked"
        assert c.request("GET", "/after").body == b"ok GET /after\n"


@pytest.mark.parametrize("threads", ["1", "2"])
def test_client_that_stops_reading_a_file_is_cut_off(shared_server, tmp_path, threads):
    # A file goes out with sendfile(2), from the worker's loop; a client
    # that stops reading is cut off by -t all the same, as with a
    # generator, and the loop beats on meanwhile: the worker stays.
    huge = sparse_file(tmp_path / "huge.bin", 256 << 20)
    srv = shared_server(APP, ["-k", "gthread", "--threads", threads, "-t", "2"],
                        env={"QILIN_TEST_FILE": str(huge)})
    pids = srv.workers()
    stalled = srv.connect(timeout=30)
    small_window(stalled)
    try:
        start = time.monotonic()
        stalled.sendall(req("GET", "/file"))
        time.sleep(6)  # reads nothing for three times the bound
        assert bytes_until_closed(stalled) < (256 << 20)
        assert time.monotonic() - start < 20
    finally:
        stalled.close()
    assert srv.workers() == pids  # the loop sent the file and kept beating
    with Client(srv) as c:
        assert c.request("GET", "/later").status == 200


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.parametrize("threads", ["1", "2"])
def test_stalled_file_downloads_hold_no_thread(shared_server, tmp_path, threads):
    # A file body goes out from the worker's loop, between its other
    # connections: clients that stop reading their files hold neither the
    # loop (one thread) nor a pool thread, so others are answered at once,
    # well within the -t bound that would cut the stalled ones off.
    huge = sparse_file(tmp_path / "huge.bin", 256 << 20)
    srv = shared_server(APP, ["-k", "gthread", "--threads", threads, "-t", "30"],
                        env={"QILIN_TEST_FILE": str(huge)})
    [worker] = srv.workers()
    with Client(srv) as c:  # a first request: the worker's files are open
        assert c.request("GET", "/warm").status == 200
    fds_before = open_fds(worker)
    stalled = []
    try:
        for _ in range(3):
            s = srv.connect(timeout=10)
            small_window(s)
            s.sendall(req("GET", "/file"))
            stalled.append(s)
        for s in stalled:  # each one's response has started
            assert recv_some(s, 4096, time.monotonic() + 10)
        with Client(srv, timeout=5) as c:
            for i in range(3):
                assert c.request("GET", f"/meanwhile{i}").status == 200
    finally:
        for s in stalled:
            s.close()
    # Each stalled response ends when its client goes: the file and the
    # socket are closed, nothing is left behind.
    wait_until(lambda: open_fds(worker) <= fds_before, 10,
               message=f"the worker's open files back to {fds_before}")
    assert srv.workers() == [worker]


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("path", ["/big", "/big_iter"])
def test_stalled_readers_of_large_bodies_hold_no_thread(shared_server, threads, path):
    # What the socket does not take of a body the application returned
    # whole (a list, or an iterator's last item) is sent by the loop: clients
    # that stop reading hold no application thread, and are cut off by -t.
    total = 32 << 20
    srv = shared_server(APP, ["-k", "gthread", "--threads", threads, "-t", "5"])
    [worker] = srv.workers()
    stalled = []
    try:
        start = time.monotonic()
        for _ in range(3):  # more than there are threads
            s = srv.connect(timeout=10)
            small_window(s)
            s.sendall(req("GET", f"{path}/{total}"))
            stalled.append(s)
        time.sleep(0.5)  # their requests come first
        with Client(srv, timeout=2) as c:  # well within the bound
            for i in range(3):
                assert c.request("GET", f"/meanwhile{i}").status == 200
        for s in stalled:
            assert recv_some(s, 4096, time.monotonic() + 2)
        time.sleep(6)  # reads nothing for longer than the bound
        for s in stalled:
            assert bytes_until_closed(s) < total
        assert time.monotonic() - start < 20
    finally:
        for s in stalled:
            s.close()
    assert srv.workers() == [worker]
    with Client(srv) as c:  # and a reader that keeps up gets all of it
        c.send(req("GET", f"{path}/{total}"))
        r, _ = slow_read_response(c.sock, time.monotonic() + 30, pause_every=8 << 20, pause=0.2)
        assert r.status == 200 and r.complete and len(r.body) == total
        assert c.request("GET", "/after").status == 200


@pytest.mark.parametrize("threads", ["1", "2"])
def test_bytes_given_to_write_arrive_intact_to_a_slow_reader(shared_server, threads):
    # start_response's write() must have sent or kept its bytes when it
    # returns (PEP 3333): the application frees them at once, and other
    # requests reuse the memory while this client still reads.
    total = 8 << 20
    srv = shared_server(APP, ["-k", "gthread", "--threads", threads])
    slow = srv.connect(timeout=30)
    small_window(slow)
    got = {}

    def read_slowly():
        time.sleep(0.5)
        got["response"], _ = slow_read_response(slow, time.monotonic() + 30,
                                                pause_every=1 << 20, pause=0.2)

    reader = threading.Thread(target=read_slowly)
    try:
        slow.sendall(req("GET", f"/write/{total}"))
        reader.start()
        time.sleep(0.2)
        for i in range(3):  # large allocations of other bytes meanwhile
            with Client(srv, timeout=30) as c:
                c.send(req("GET", f"/big/{total}"))
                r, _ = slow_read_response(c.sock, time.monotonic() + 30)
                assert r.status == 200 and len(r.body) == total
        reader.join(30)
        r = got["response"]
        assert r.status == 200 and r.complete
        assert hashlib.sha256(r.body).hexdigest() == expected_digest(total)
    finally:
        slow.close()


def test_a_file_response_is_logged_once_sent(shared_server, tmp_path):
    # The access log line of a file sent by the loop comes after its last
    # byte: it counts the bytes sent and the time the client took to read.
    path = sparse_file(tmp_path / "file.bin", 32 << 20)
    log = tmp_path / "access.log"
    srv = shared_server(APP, ["-k", "gthread", "--threads", "1", "--access-logfile", str(log),
                              "--access-logformat", "%(U)s %(s)s %(B)s %(D)s"],
                        env={"QILIN_TEST_FILE": str(path)})
    with Client(srv, timeout=30) as c:
        small_window(c.sock)
        c.send(req("GET", "/file"))
        time.sleep(1.0)
        r, _ = slow_read_response(c.sock, time.monotonic() + 30)
        assert r.status == 200 and r.complete
    def line():
        lines = [l for l in log.read_text().splitlines() if l.startswith("/file ")]
        return lines[0] if lines else None
    wait_until(line, 10, message="the access log line of /file")
    _, status, sent, micros = line().split()
    assert status == "200" and int(sent) == 32 << 20
    assert int(micros) >= 1_000_000


# ---------------------------------------------------------------- clients that go away

def abrupt_close(sock):
    """Close with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def worker_cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_clients_leaving_mid_response_do_not_disturb_the_others(start_server):
    """Regression (97a5586): a connection closed twice after a client left
    mid-response made the worker stop accepting; the bug struck within a few
    dozen rounds, hence a hundred."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "4"])
    for i in range(100):
        how = ("fin", "rst")[i % 2]
        s = srv.connect(timeout=3)
        try:
            s.sendall(req("GET", f"/gen/{50 << 20}?leave{i}"))
            got = 0
            deadline = time.monotonic() + 3
            while got < 200_000:
                data = recv_some(s, 65536, deadline)
                assert data, f"round {i}: the response stopped early"
                got += len(data)
        finally:
            if how == "rst":
                abrupt_close(s)
            else:
                s.close()
        with Client(srv, timeout=3) as c:
            r = c.request("GET", f"/other/{i}")
            assert r.status == 200, f"round {i} ({how})"


def test_reset_while_the_app_runs_does_not_spin_the_loop(start_server):
    """Regression (97a5586): EPOLLHUP/EPOLLERR of a reset socket the app
    owned kept waking the loop, at 100% CPU, until the app returned."""
    srv = start_server(APP, ["-k", "gthread", "--threads", "2"])
    (pid,) = srv.workers()
    s = srv.connect()
    s.sendall(req("GET", "/sleep/2.5"))
    wait_until(lambda: [e for e in srv.records() if e["path"] == "/sleep/2.5"], 5,
               message="the app to start")
    before = worker_cpu_seconds(pid)
    abrupt_close(s)
    time.sleep(1.5)
    used = worker_cpu_seconds(pid) - before
    assert used < 0.5, f"the worker used {used:.2f}s of CPU in 1.5s while its app slept"
    with Client(srv) as c:
        assert c.request("GET", "/after").status == 200
