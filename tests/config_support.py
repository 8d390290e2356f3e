"""Helpers shared by the settings tests (test_cli.py, test_config_file.py,
test_settings.py): run the binary to completion and read what it printed,
parse `--print-config` output, and write small config files and apps.

Nothing here imports qilin's code; it only runs the binary under test."""

import os
import re
import textwrap
from pathlib import Path

from conftest import APPS, SERVER_NAME

# Every setting of gunicorn 26, as `--print-config` lists them (119).
GUNICORN26_SETTINGS = sorted("""
access_log_format accesslog asgi_disconnect_grace_period asgi_lifespan asgi_loop
backlog bind ca_certs capture_output casefold_http_method cert_reqs certfile chdir
check_config child_exit ciphers config control_socket control_socket_disable
control_socket_mode daemon default_proc_name dirty_apps dirty_graceful_timeout
dirty_post_fork dirty_threads dirty_timeout dirty_worker_exit dirty_worker_init
dirty_workers disable_redirect_access_to_syslog do_handshake_on_connect
dogstatsd_tags enable_backlog_metric enable_stdio_inheritance errorlog
forwarded_allow_ips forwarder_headers graceful_timeout group header_map
http2_cleartext http2_initial_window_size http2_max_concurrent_streams
http2_max_frame_size http2_max_header_list_size http_parser http_protocols initgroups
keepalive keyfile limit_request_field_size limit_request_fields limit_request_line
logconfig logconfig_dict logconfig_json logger_class loglevel max_requests
max_requests_jitter nworkers_changed on_dirty_starting on_exit on_reload on_starting
paste permit_obsolete_folding permit_unconventional_http_method
permit_unconventional_http_version pidfile post_fork post_request post_worker_init
pre_exec pre_fork pre_request preload_app print_config proc_name protocol
proxy_allow_ips proxy_protocol pythonpath raw_env raw_paste_global_conf reload
reload_engine reload_extra_files reuse_port root_path secure_scheme_headers sendfile
spew ssl_context ssl_version statsd_host statsd_prefix strip_header_spaces
suppress_ragged_eofs syslog syslog_addr syslog_facility syslog_prefix threads timeout
tmp_upload_dir umask user uwsgi_allow_ips when_ready worker_abort worker_class
worker_connections worker_exit worker_int worker_tmp_dir workers wsgi_app
""".split())

# qilin's own settings, which gunicorn does not have.
QILIN_SETTINGS = ["header_timeout", "metrics_bind", "reload_rolling"]

PRINT_LINE_RE = re.compile(r"^([a-z0-9_]+) +=(?: (.*))?$")

# argparse's error shape: the usage line, then "<prog>: error: ..."
USAGE_LINE = f"usage: {SERVER_NAME} [OPTIONS] [APP_MODULE]"
ERROR_PREFIX = f"{SERVER_NAME}: error: "


class Run:
    """The outcome of one run of the binary: exit code, stdout, stderr."""

    def __init__(self, rc, out, err, server):
        self.rc = rc
        self.out = out
        self.err = err
        self.server = server

    def settings(self):
        """`--print-config` output as {name: value text}."""
        return parse_print_config(self.out)

    def err_lines(self):
        return [line for line in self.err.splitlines() if line.strip()]

    def __repr__(self):
        return f"<Run rc={self.rc}\nstdout:\n{self.out[-3000:]}\nstderr:\n{self.err[-3000:]}>"


def run(run_server, args=(), app="hello:app", *, cwd=None, env=None, bind=None, timeout=20):
    """Runs the binary to its exit (for --print-config, --check-config, -h,
    -v and start-up errors). No `-b` is added unless `bind` is given."""
    rc, err, srv = run_server(app, list(args), cwd=cwd, env=env, bind=bind, timeout=timeout)
    out = srv.stdout_path.read_text(errors="replace") if srv.stdout_path.exists() else ""
    return Run(rc, out, err, srv)


def parse_print_config(text):
    values = {}
    for line in text.splitlines():
        m = PRINT_LINE_RE.match(line)
        if m:
            values[m.group(1)] = m.group(2) or ""
    return values


def write(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def copy_app(directory, name="hello"):
    """Copies tests/apps/<name>.py into `directory`, so a test can run with
    its own cwd and still have an app to load."""
    target = Path(directory) / f"{name}.py"
    target.write_text((APPS / f"{name}.py").read_text())
    return target


def assert_usage_error(result, *tokens):
    """argparse's shape: exit 2, the usage line, then one error line naming
    every token."""
    assert result.rc == 2, result
    lines = result.err_lines()
    assert USAGE_LINE in lines, result
    errors = [l for l in lines if l.startswith(ERROR_PREFIX)]
    assert len(errors) == 1, result
    for t in tokens:
        assert t in errors[0], result
    assert "Traceback" not in result.err, result


def assert_one_line_error(result, *tokens, rc=1):
    """Exit `rc`, one stderr line naming every token, no traceback, and no
    server started."""
    assert result.rc == rc, result
    assert "Traceback" not in result.err, result
    assert not any(l.startswith("usage:") for l in result.err_lines()), result
    matching = [l for l in result.err_lines() if all(t in l for t in tokens)]
    assert matching, f"no stderr line names {tokens}: {result}"
    assert "Listening at" not in result.err, result


def gunicorn_oracle():
    """Debian's gunicorn 20.1, when installed."""
    path = "/usr/bin/gunicorn"
    return path if os.access(path, os.X_OK) else None
