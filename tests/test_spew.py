"""--spew: the worker prints every line of Python it runs, with the values
of the names on the line, to its stdout (gunicorn's debugging trace)."""

import pytest


@pytest.mark.parametrize("kind", [[], ["-k", "gthread", "--threads", "2"]], ids=["sync", "gthread"])
def test_spew_traces_the_application(start_server, tmp_path, kind):
    srv = start_server("hello:app", ["--spew"] + kind)
    assert srv.get("/traced").status == 200
    out = srv.stdout_path.read_text(errors="replace")
    # hello.py's own lines, with the values of the names they use
    assert "hello:" in out, out[-2000:]
    lines = [l for l in out.splitlines() if l.startswith("hello:")]
    assert any("start_response(" in l for l in lines), lines[:20]
    assert any(l.startswith("\t") and "start_response=" in l for l in out.splitlines())


def test_without_spew_nothing_is_traced(start_server):
    srv = start_server("hello:app")
    assert srv.get("/").status == 200
    assert "hello:" not in srv.stdout_path.read_text(errors="replace")
