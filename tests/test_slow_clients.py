"""Slow and silent clients, for every worker kind: the --header-timeout
bound (408 for a head that started, a silent close otherwise, the worker
lives on), idle connections that would pin gunicorn's sync workers, and a
thousand trickling connections against one worker. Runs once per worker
kind (sync, gthread)."""

import resource
import time

import pytest

from conftest import Response
from gthread_support import APP, Client

GUNICORN_SYNC_STARVES = pytest.mark.gunicorn20_differs(
    "gunicorn has no --header-timeout; an idle or trickling client holds a sync worker")


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def timed_get(srv, path):
    start = time.monotonic()
    with Client(srv) as c:
        r = c.request("GET", path)
    assert r.status == 200 and r.body == f"ok GET {path}\n".encode(), r.raw[:300]
    return time.monotonic() - start


@GUNICORN_SYNC_STARVES
def test_idle_connections_do_not_starve_the_workers(start_server):
    """2 workers, 20 silent and 20 trickling connections: a normal client
    is still answered at once, well within the head bound."""
    srv = start_server(APP, ["-w", "2", "--header-timeout", "10"])
    pids = srv.workers()
    held = []
    try:
        for i in range(20):
            held.append(srv.connect())                        # says nothing
        for i in range(20):
            s = srv.connect()
            s.sendall(b"GET /trickle/%d HTTP/1.1\r\nHost: x\r\n" % i)
            held.append(s)
        time.sleep(0.3)
        for i in range(6):
            took = timed_get(srv, f"/normal/{i}")
            assert took < 2.0, f"a normal request took {took:.2f}s behind 40 idle clients"
            for s in held[20:]:
                s.sendall(b"X")
        assert not [e for e in srv.records() if e["path"].startswith("/trickle")]
        assert srv.workers() == pids
    finally:
        for s in held:
            s.close()


@GUNICORN_SYNC_STARVES
def test_header_timeout_answers_408_or_closes(start_server):
    srv = start_server(APP, ["--header-timeout", "2"])
    pids = srv.workers()
    t0 = time.monotonic()
    half = Client(srv)
    half.send(b"GET /half HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    silent = Client(srv)
    try:
        assert timed_get(srv, "/meanwhile") < 1.5
        r = half.read(timeout=8)
        waited = time.monotonic() - t0
        assert r.status == 408, r.raw[:300]
        assert r.header("connection") == "close"
        assert 1.5 <= waited <= 6, f"408 after {waited:.1f}s with --header-timeout 2"
        assert half.eof_within(3)
        assert silent.eof_within(4), "a silent connection outlived the head bound"
        assert not [e for e in srv.records() if e["path"] == "/half"]
        assert timed_get(srv, "/after") < 1.5
        assert srv.workers() == pids, "the worker was replaced"
    finally:
        half.close()
        silent.close()


@GUNICORN_SYNC_STARVES
def test_header_timeout_zero_removes_the_bound(start_server):
    srv = start_server(APP, ["--header-timeout", "0", "--timeout", "1"])
    with Client(srv) as c:
        c.send(b"GET /patient HTTP/1.1\r\n")
        time.sleep(3)                     # past the 1 s --timeout, too
        c.send(b"Host: x\r\n\r\n")
        r = c.read(timeout=5)
    assert r.status == 200 and r.body == b"ok GET /patient\n"


@GUNICORN_SYNC_STARVES
def test_a_thousand_trickling_connections(start_server):
    """Slow loris, bounded: 1,000 connections each trickling a header byte
    a second while a normal client keeps getting answers from ONE worker.
    The connection cap is raised above the loris count, since at the cap
    new clients wait in the backlog by design."""
    count = 1000
    if raise_fd_limit(2 * count + 200) < 2 * count + 200:
        pytest.skip("RLIMIT_NOFILE too low for 1,000 client and 1,000 server sockets")
    srv = start_server(APP, ["--worker-connections", "1200", "--header-timeout", "30"])
    pids = srv.workers()
    loris = []
    try:
        for i in range(count):
            s = srv.connect()
            s.sendall(b"GET /loris/%d HTTP/1.1\r\nHost: x\r\nX-Loris: " % i)
            loris.append(s)
        worst, served = 0.0, 0
        end = time.monotonic() + 4
        next_byte = 0.0
        while time.monotonic() < end:
            if time.monotonic() >= next_byte:          # a byte a second each
                for s in loris:
                    s.sendall(b"X")
                next_byte = time.monotonic() + 1.0
            worst = max(worst, timed_get(srv, f"/n/{served}"))
            served += 1
            time.sleep(0.05)
        assert served >= 10
        assert worst < 1.5, f"a normal request took {worst:.2f}s among {count} slow clients"
        assert not [e for e in srv.records() if e["path"].startswith("/loris")]
        assert srv.workers() == pids
    finally:
        for s in loris:
            s.close()
