"""The error log (issue 6, item 1): --error-logfile, --log-level, and
--capture-output sending the app's stdout and stderr (Python's and the raw
file descriptors') into the error log file, also after a USR1 reopen."""
import os
import signal
import time

import pytest

from config_support import assert_one_line_error, run
from conftest import free_port, wait_until


def text(path):
    return path.read_text() if path.exists() else ""


def start_logging_to_file(start_server, app, args):
    """The error log goes to a file, so the harness cannot read the port
    from stderr: bind a known free port and wait until it answers."""
    port = free_port()
    srv = start_server(app, args, bind=f"127.0.0.1:{port}", wait=False)
    srv.wait_connectable(("127.0.0.1", port))
    return srv


def test_error_logfile_and_level(start_server, tmp_path):
    log = tmp_path / "error.log"
    srv = start_logging_to_file(start_server, "hello:app",
                                ["--error-logfile", str(log), "--log-level", "debug"])
    assert srv.get("/").status == 200
    wait_until(lambda: "Booting worker with pid" in text(log), 5, message="the boot line in the file")
    assert "[DEBUG]" in text(log)


def test_capture_output_goes_to_the_error_log(start_server, tmp_path):
    log = tmp_path / "error.log"
    srv = start_logging_to_file(start_server, "printer:app",
                                ["--error-logfile", str(log), "--capture-output"])
    assert srv.get("/?one").status == 200
    wait_until(lambda: "raw-fd1 one" in text(log), 5, message="captured output")
    content = text(log)
    assert "print-to-stdout one" in content and "print-to-stderr one" in content
    assert "one" not in srv.stdout_path.read_text()
    # logrotate: rename, USR1, and the captured streams follow the new file.
    os.rename(log, tmp_path / "error.log.1")
    os.kill(srv.master_pid, signal.SIGUSR1)
    wait_until(lambda: log.exists(), 5, message="the reopened error log")
    time.sleep(0.3)
    assert srv.get("/?two").status == 200
    wait_until(lambda: "raw-fd1 two" in text(log), 5, message="captured output after USR1")
    assert "two" not in text(tmp_path / "error.log.1")


def test_without_capture_output_prints_stay_on_the_streams(start_server, tmp_path):
    log = tmp_path / "error.log"
    srv = start_logging_to_file(start_server, "printer:app", ["--error-logfile", str(log)])
    assert srv.get("/?three").status == 200
    wait_until(lambda: "print-to-stdout three" in srv.stdout_path.read_text(), 5,
               message="the print on stdout")
    assert "three" not in text(log)


@pytest.mark.parametrize("flag", ["--error-logfile", "--access-logfile"])
def test_log_file_in_a_missing_directory_is_one_line_exit_1(run_server, tmp_path, flag):
    target = tmp_path / "no" / "such" / "dir" / "x.log"
    r = run(run_server, [flag, str(target)])
    assert r.rc == 1, r
    assert_one_line_error(r, str(target))
    assert "Booting worker" not in r.err
