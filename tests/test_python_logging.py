"""Python's logging instead of the native logs: logconfig_dict (config
file), --log-config-json, --log-config (INI), --logger-class, USR1 reopening
Python's file handlers, and a logging configuration that fails at start-up.
The lines are read from the files the configured handlers write."""

import json
import os
import signal
import textwrap
import time

import pytest

from config_support import assert_one_line_error, run
from conftest import wait_until

LINE_FORMAT = "%(name)s|%(levelname)s|%(message)s"


def dict_config(path):
    """JSON lines to `path`; the error log also to stderr, where the test
    harness reads the listening address."""
    return {
        "version": 1,
        "root": {"level": "WARNING", "handlers": ["file"]},
        "formatters": {"lines": {"format": LINE_FORMAT},
                       "plain": {"format": "[%(levelname)s] %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "formatter": "lines",
                              "filename": str(path)},
                     "stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"level": "DEBUG", "handlers": ["file", "stderr"],
                               "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["file"], "propagate": False},
        },
    }


def read_lines(path):
    """The LINE_FORMAT records of `path` as dicts (the recording logger
    writes JSON lines instead)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
        elif line.count("|") >= 2:
            name, level, msg = line.split("|", 2)
            out.append({"logger": name, "level": level, "msg": msg})
    return out


def wait_for(path, predicate, timeout=5, message="log lines"):
    return wait_until(lambda: predicate(read_lines(path)) and read_lines(path), timeout,
                      message=message)


def test_logconfig_dict_routes_error_and_access_lines(start_server, tmp_path):
    log = tmp_path / "app.log"
    conf = tmp_path / "conf.py"
    conf.write_text(f"logconfig_dict = {dict_config(log)!r}\n")
    srv = start_server("hello:app", ["-c", str(conf), "--access-logformat", "%(m)s %(U)s %(s)s %({x-tag}i)s"])
    assert srv.request("GET", "/path?q=1", headers=[("X-Tag", "t1")]).status == 200
    lines = wait_for(log, lambda ls: any(l["logger"] == "gunicorn.access" for l in ls))
    errors = [l for l in lines if l["logger"] == "gunicorn.error"]
    assert any(l["msg"].startswith("Listening at: http://127.0.0.1:") for l in errors)
    assert any(l["level"] == "DEBUG" for l in errors), "the dict's DEBUG level wins over --log-level"
    access = [l for l in lines if l["logger"] == "gunicorn.access"]
    assert [l["msg"] for l in access] == ["GET /path 200 t1"]
    # stderr got the dict's format, not the native one
    assert "[INFO] Listening at: http://127.0.0.1:" in srv.log()
    assert " [INFO] Listening at" not in srv.log()


def test_log_config_json(start_server, tmp_path):
    log = tmp_path / "json.log"
    cfg = tmp_path / "logging.json"
    cfg.write_text(json.dumps(dict_config(log)))
    srv = start_server("hello:app", ["--log-config-json", str(cfg)])
    srv.get("/j")
    wait_for(log, lambda ls: any(l["logger"] == "gunicorn.access" and "GET /j " in l["msg"]
                                 for l in ls))


def test_log_config_ini(start_server, tmp_path):
    log = tmp_path / "ini.log"
    ini = tmp_path / "logging.ini"
    ini.write_text(textwrap.dedent(f"""\
        [loggers]
        keys=root, gunicorn.error, gunicorn.access

        [handlers]
        keys=file, stderr

        [formatters]
        keys=lines

        [logger_root]
        level=WARNING
        handlers=file

        [logger_gunicorn.error]
        level=INFO
        handlers=file, stderr
        propagate=0
        qualname=gunicorn.error

        [logger_gunicorn.access]
        level=INFO
        handlers=file
        propagate=0
        qualname=gunicorn.access

        [handler_file]
        class=logging.FileHandler
        formatter=lines
        args=('{log}',)

        [handler_stderr]
        class=StreamHandler
        args=(sys.stderr,)

        [formatter_lines]
        format={LINE_FORMAT}
        """))
    srv = start_server("hello:app", ["--log-config", str(ini)])
    srv.get("/ini")
    lines = wait_for(log, lambda ls: any("GET /ini " in l["msg"] for l in ls))
    assert any(l["logger"] == "gunicorn.error" and l["msg"].startswith("Booting worker")
               for l in lines)


def test_usr1_reopens_python_file_handlers(start_server, tmp_path):
    log = tmp_path / "rotate.log"
    conf = tmp_path / "conf.py"
    conf.write_text(f"logconfig_dict = {dict_config(log)!r}\n")
    srv = start_server("hello:app", ["-c", str(conf)])
    srv.get("/before")
    wait_for(log, lambda ls: any("/before" in l["msg"] for l in ls))
    os.rename(log, tmp_path / "rotate.log.1")
    os.kill(srv.master_pid, signal.SIGUSR1)
    for pid in srv.workers():
        os.kill(pid, signal.SIGUSR1)
    time.sleep(0.5)
    srv.get("/after")
    lines = wait_for(log, lambda ls: any("/after" in l["msg"] for l in ls))
    assert not any("/before" in l["msg"] for l in lines)


@pytest.mark.parametrize("text,fragment", [
    ("logconfig_dict = {'version': 1, 'handlers': {'h': {'class': 'no.such.Handler'}}}\n",
     "Error: "),
    ("logconfig_dict = {'version': 1, 'root': {'handlers': ['missing']}}\n",
     "Unable to configure root logger"),
])
def test_failing_logconfig_is_one_line_exit_1(run_server, tmp_path, text, fragment):
    conf = tmp_path / "conf.py"
    conf.write_text(text)
    r = run(run_server, ["-c", str(conf)])
    assert r.rc == 1, r
    assert_one_line_error(r, fragment)
    assert "Booting worker" not in r.err


def test_missing_log_config_file(run_server, tmp_path):
    r = run(run_server, ["--log-config", str(tmp_path / "nope.ini")])
    assert r.rc == 1, r
    assert_one_line_error(r, "log config", "not found")


def test_logger_class_gets_lines_and_access_calls(start_server, tmp_path):
    record = tmp_path / "logger.jsonl"
    srv = start_server("hello:app", ["--logger-class", "recording_logger.RecordingLogger"],
                       env={"QILIN_TEST_LOGGER_RECORD": str(record)})
    assert srv.request("POST", "/logged", headers=[("X-One", "1")], body=b"abc").status == 200
    calls = wait_for(record, lambda ls: any(l["call"] == "access" for l in ls))
    assert calls[0]["call"] == "init" and calls[0]["loglevel"] == "info"
    assert calls[0]["proc_name"] == "hello:app"
    assert any(l["call"] == "info" and l["msg"].startswith("Listening at") for l in calls)
    access = [l for l in calls if l["call"] == "access"][0]
    assert access["status"] == "200 OK" and access["method"] == "POST"
    assert access["path"] == "/logged" and access["path_info"] == "/logged"
    assert ["X-ONE", "1"] in access["headers"]
    assert access["sent"] == len(b"Hello, World!\n")
    assert 0 <= access["seconds"] < 5
    os.kill(srv.master_pid, signal.SIGUSR1)
    wait_for(record, lambda ls: any(l["call"] == "reopen_files" for l in ls))


def test_logger_class_subclassing_gunicorns_logger(start_server, tmp_path):
    """An existing gunicorn Logger subclass runs unchanged."""
    pytest.importorskip("gunicorn.glogging")
    module = tmp_path / "my_glogger.py"
    out = tmp_path / "access.log"
    module.write_text(textwrap.dedent("""\
        from gunicorn.glogging import Logger

        class TaggingLogger(Logger):
            def atoms(self, resp, req, environ, request_time):
                atoms = super().atoms(resp, req, environ, request_time)
                atoms["tag"] = "custom"
                return atoms
        """))
    srv = start_server("hello:app", ["--logger-class", "my_glogger.TaggingLogger",
                                     "--pythonpath", str(tmp_path), "--access-logfile", str(out),
                                     "--access-logformat", "%(tag)s %(r)s %(s)s"])
    srv.get("/sub")
    wait_until(lambda: out.exists() and "custom GET /sub HTTP/1.1 200" in out.read_text(), 5,
               message="the subclass's access line")
