"""Clients that go away: mid-request-body, mid-response, or before sending
anything. The worker lives on, the iterable's close() is still called, and
the next request is served."""

import socket
import struct
import time
import uuid

import pytest

from conftest import wait_until


def abrupt_close(sock):
    """Close with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


CLOSERS = {"fin": socket.socket.close, "rst": abrupt_close}


def wait_close_call(srv, tag, timeout=15):
    def called():
        return [line for line in srv.close_calls() if line.startswith(tag + " ")]
    try:
        return wait_until(called, timeout, message=f"close() for {tag}")
    except AssertionError:
        raise AssertionError(f"close() was not called for {tag}; calls: "
                             f"{srv.close_calls()}\nlog:\n{srv.tail()}")


def assert_still_serving(srv, pids):
    r = srv.get("/ok?after")
    assert r.status == 200 and r.body == b"helloworld"
    assert srv.workers() == pids


# (Content-Length, bytes sent before the disconnect). Every worker kind reads
# the first MiB of a body before the app runs, so the app can only be reached
# mid-body with a larger one.
MID_BODY = (3_000_000, (1 << 20) + 1000)


@pytest.mark.parametrize("how", sorted(CLOSERS))
def test_disconnect_mid_request_body(shared_server, how, worker_kind):
    srv = shared_server("closetrack:app")
    pids = srv.workers()
    tag = "body-" + uuid.uuid4().hex[:8]
    length, sent = MID_BODY
    s = srv.connect()
    s.sendall(b"POST /read_body?%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
              % (tag.encode(), length) + b"a" * sent)
    wait_until(lambda: any(e.get("tag") == tag for e in srv.records()), 5,
               message="the app to be called")
    CLOSERS[how](s)
    body_events = wait_until(
        lambda: [e for e in srv.records() if e.get("tag") == tag and e["event"] == "body"],
        15, message="the app to finish reading")
    assert body_events[0]["outcome"] != "complete"
    assert body_events[0]["total"] < length
    wait_close_call(srv, tag)
    assert_still_serving(srv, pids)


@pytest.mark.parametrize("how", sorted(CLOSERS))
def test_disconnect_mid_response(shared_server, how):
    srv = shared_server("closetrack:app")
    pids = srv.workers()
    tag = "resp-" + uuid.uuid4().hex[:8]
    s = srv.connect()
    s.sendall(b"GET /big?%s HTTP/1.1\r\nHost: x\r\n\r\n" % tag.encode())
    got = 0
    deadline = time.monotonic() + 10
    while got < 200_000:
        assert time.monotonic() < deadline, "response did not start"
        data = s.recv(65536)
        assert data, "server closed early"
        got += len(data)
    CLOSERS[how](s)
    (line,) = wait_close_call(srv, tag)
    sent = int(line.split("closed-after-", 1)[1].split()[0])
    assert sent < 1024, "the whole response went out: the disconnect was not noticed"
    assert_still_serving(srv, pids)


def test_close_is_called_after_normal_response(shared_server):
    srv = shared_server("closetrack:app")
    tag = "ok-" + uuid.uuid4().hex[:8]
    r = srv.get(f"/ok?{tag}")
    assert r.body == b"helloworld"
    (line,) = wait_close_call(srv, tag)
    assert "closed-after-2" in line


@pytest.mark.parametrize("path,status", [("/raise_first", 500), ("/raise_later", 200)])
def test_close_is_called_after_an_error_in_the_iterable(shared_server, path, status):
    srv = shared_server("closetrack:app")
    pids = srv.workers()
    tag = "err-" + uuid.uuid4().hex[:8]
    r = srv.get(f"{path}?{tag}")
    assert r.status == status
    wait_close_call(srv, tag)
    assert_still_serving(srv, pids)


@pytest.mark.parametrize("how", sorted(CLOSERS))
def test_connect_and_leave(shared_server, how):
    srv = shared_server("closetrack:app")
    pids = srv.workers()
    mark = srv.log_mark()
    s = srv.connect()
    CLOSERS[how](s)
    s = srv.connect()
    s.sendall(b"GET /ok HTTP/1.1\r\nHo")
    CLOSERS[how](s)
    time.sleep(0.3)
    assert_still_serving(srv, pids)
    new = srv.log_since(mark)
    assert "Traceback" not in new and "[ERROR]" not in new, new
