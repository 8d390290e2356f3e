"""The command line as gunicorn's argparse parser reads it: every spelling
of an option, prefixes, switches, repeatable options, -h, -v, the usage
errors (exit 2), --print-config and --check-config, and settings that are
refused because qilin does not implement them yet."""

import re

import pytest

from conftest import IS_GUNICORN, SERVER_NAME
from config_support import (parse_print_config, GUNICORN26_SETTINGS, QILIN_SETTINGS, PRINT_LINE_RE, USAGE_LINE, assert_one_line_error,
                            assert_usage_error, run)


# ---------------------------------------------------------------- spellings

@pytest.mark.parametrize("args", [
    ["--workers", "2"], ["--workers=2"], ["-w", "2"], ["-w2"], ["-w=2"],
])
def test_every_argparse_spelling_of_a_value(run_server, args):
    r = run(run_server, args + ["--print-config"])
    assert r.rc == 0, r
    assert r.settings()["workers"] == "2"


@pytest.mark.parametrize("args,name,value", [
    (["--back", "77"], "backlog", "77"),                 # unique prefix of --backlog
    (["--backl=78"], "backlog", "78"),
    (["--max-requests-j", "5"], "max_requests_jitter", "5"),
    (["--graceful", "9"], "graceful_timeout", "9"),
    (["--limit-request-field_s", "100"], "limit_request_field_size", "100"),
    (["--umask", "0o22"], "umask", "18"),                # auto_int: 0o, 0x, and a leading 0
    (["--umask=022"], "umask", "18"),
    (["-m", "0x1f"], "umask", "31"),
    (["--preload"], "preload_app", "True"),              # switches
    (["--no-sendfile"], "sendfile", "False"),
    (["--reuse-port"], "reuse_port", "True"),
    (["--log-level", "DEBUG"], "loglevel", "DEBUG"),   # kept as given
    (["-t", "5"], "timeout", "5"),
])
def test_option_values_and_prefixes(run_server, args, name, value):
    r = run(run_server, args + ["--print-config"])
    assert r.rc == 0, r
    assert r.settings()[name] == value


def test_option_after_app_module(run_server):
    r = run(run_server, ["--print-config", "hello:app", "-w", "3"], app=None)
    assert r.rc == 0, r
    assert r.settings()["workers"] == "3"
    assert r.settings()["default_proc_name"] == "hello:app"


def test_last_value_of_a_plain_option_wins(run_server):
    r = run(run_server, ["-w", "2", "--workers=4", "-w3", "--print-config"])
    assert r.settings()["workers"] == "3"


@pytest.mark.parametrize("args,name,value", [
    (["-b", "127.0.0.1:9001", "--bind", "127.0.0.1:9002", "-b=unix:/tmp/x.sock"],
     "bind", "['127.0.0.1:9001', '127.0.0.1:9002', 'unix:/tmp/x.sock']"),
    (["-e", "A=1", "--env=B=x=y", "-eC=3"], "raw_env", "['A=1', 'B=x=y', 'C=3']"),
])
def test_repeatable_options_append_in_order(run_server, args, name, value):
    r = run(run_server, args + ["--print-config"])
    assert r.rc == 0, r
    assert r.settings()[name] == value


# ---------------------------------------------------------------- usage errors

@pytest.mark.parametrize("args,tokens", [
    (["--work", "2"], ["ambiguous option: --work could match", "--workers", "--worker-class"]),
    (["--worke=2"], ["ambiguous option: --worke=2 could match"]),
    (["--no-such-option"], ["unrecognized arguments: --no-such-option"]),
    (["-x"], ["unrecognized arguments: -x"]),
    (["-w", "abc"], ["argument -w/--workers: invalid int value: 'abc'"]),
    (["--backlog=0x10"], ["argument --backlog: invalid int value: '0x10'"]),
    (["--workers"], ["argument -w/--workers: expected one argument"]),
    (["-b"], ["argument -b/--bind: expected one argument"]),
    (["--preload=1"], ["argument --preload: ignored explicit argument '1'"]),
    (["--umask", "nope"], ["argument -m/--umask: invalid auto_int value: 'nope'"]),
])
def test_usage_error_has_argparse_shape_and_exit_2(run_server, args, tokens):
    r = run(run_server, args, app=None)
    assert_usage_error(r, *tokens)
    assert r.out == ""


def test_usage_error_stops_before_anything_runs(run_server, tmp_path):
    marker = tmp_path / "config-ran"
    (tmp_path / "gunicorn.conf.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    r = run(run_server, ["--no-such-option"], cwd=tmp_path)
    assert_usage_error(r, "--no-such-option")
    assert not marker.exists()


# ---------------------------------------------------------------- -v and -h

@pytest.mark.parametrize("flag", ["-v", "--version", "--vers"])
def test_version(run_server, flag):
    r = run(run_server, [flag])
    assert r.rc == 0, r
    assert re.match(rf"^{SERVER_NAME} \(version \d+\.\d+\.\d+\)$", r.out.splitlines()[0]), r


def test_version_stops_parsing(run_server):
    r = run(run_server, ["--check-config", "-v", "-w", "abc"])
    assert r.rc == 0, r
    assert "(version " in r.out


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_every_flag(run_server, flag):
    r = run(run_server, [flag])
    assert r.rc == 0, r
    assert r.out.startswith(USAGE_LINE), r
    for option in ["-c CONFIG, --config CONFIG", "-b ADDRESS, --bind ADDRESS",
                   "-w INT, --workers INT", "--limit-request-field_size",
                   "--print-config", "--check-config", "-e ENV, --env ENV",
                   "--no-sendfile", "--paste STRING, --paster STRING",
                   "--error-logfile FILE, --log-file FILE"]:
        assert option in r.out, option


@pytest.mark.gunicorn20_differs("gunicorn -h is one flat list; the issue asks for sections")
def test_help_is_grouped_by_section(run_server):
    r = run(run_server, ["-h"])
    assert r.rc == 0, r
    headings = [l[:-1] for l in r.out.splitlines() if re.match(r"^[A-Z][A-Za-z0-9/ ]+:$", l)]
    for section in ["Config File", "Server Socket", "Worker Processes", "Security",
                    "Debugging", "Server Mechanics", "Logging", "Process Naming", "SSL",
                    "HTTP/2", "Dirty Arbiters", "Control"]:
        assert section in headings, headings
    # each flag sits under its own section
    text = r.out
    assert text.index("Server Socket:") < text.index("-b ADDRESS") < text.index("Worker Processes:")
    assert text.index("Logging:") < text.index("--statsd-host") < text.index("Process Naming:")


@pytest.mark.gunicorn20_differs("gunicorn implements every setting it lists")
def test_help_marks_unsupported_settings(run_server):
    r = run(run_server, ["-h"])
    block = r.out[r.out.index("--http-parser"):]
    block = block[:block.index("\n  -")]
    assert "not supported yet" in block


# ---------------------------------------------------------------- --print-config

@pytest.mark.gunicorn20_differs("gunicorn 20.1 has 86 settings, gunicorn 26 has 119")
def test_print_config_lists_every_setting_sorted(run_server):
    r = run(run_server, ["--print-config"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    names = [PRINT_LINE_RE.match(l).group(1) for l in lines]
    assert names == sorted(GUNICORN26_SETTINGS + QILIN_SETTINGS)
    # `name = value`, the names padded to the longest one
    width = max(len(n) for n in names)
    assert all(l[width:width + 3] == " = " for l in lines), lines


def test_print_config_format(run_server):
    r = run(run_server, ["--print-config", "-b", "127.0.0.1:8123", "-e", "K=v"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert all(PRINT_LINE_RE.match(l) for l in lines), lines
    names = [PRINT_LINE_RE.match(l).group(1) for l in lines]
    assert names == sorted(names)
    s = r.settings()
    assert s["bind"] == "['127.0.0.1:8123']"
    assert s["raw_env"] == "['K=v']"
    assert s["print_config"] == "True"
    assert s["check_config"] == "False"
    assert s["workers"] == "1"
    assert s["worker_class"] == "sync"
    assert s["pidfile"] == "None"
    assert s["default_proc_name"] == "hello:app"
    assert s["on_starting"] == "<OnStarting.on_starting()>"
    assert s["pre_fork"] == "<Prefork.pre_fork()>"
    assert s["nworkers_changed"] == "<NumWorkersChanged.nworkers_changed()>"
    assert s["errorlog"] == "-"
    assert s["access_log_format"] == '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
    assert s["logconfig_dict"] == "{}"


def test_print_config_then_exits_without_serving(run_server):
    r = run(run_server, ["--print-config"])
    assert r.rc == 0, r
    assert "Listening at" not in r.err
    assert "Booting worker" not in r.err


def test_print_config_with_bad_app_prints_then_exits_1(run_server):
    r = run(run_server, ["--print-config"], app="no_such_module_xyz:app")
    assert r.rc == 1, r
    assert r.settings()["default_proc_name"] == "no_such_module_xyz:app"
    assert "no_such_module_xyz" in r.err


def test_print_config_keeps_dict_order(run_server):
    r = run(run_server, ["--print-config"])
    assert r.settings()["secure_scheme_headers"] == (
        "{'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on'}")


# ---------------------------------------------------------------- --check-config

def test_check_config_ok(run_server):
    r = run(run_server, ["--check-config", "-w", "3"])
    assert r.rc == 0, r
    assert r.out == ""
    assert "Listening at" not in r.err


@pytest.mark.parametrize("app,token", [
    ("no_such_module_xyz:app", "no_such_module_xyz"),
    ("hello:no_such_attr", "no_such_attr"),
    ("broken_import:app", "broken_import raises at import time"),
    ("notcallable:app", "callable"),
])
def test_check_config_bad_app_exits_1(run_server, app, token):
    r = run(run_server, ["--check-config"], app=app)
    assert r.rc == 1, r
    assert token in r.err
    assert "Listening at" not in r.err


def test_check_config_bad_config_exits_1(run_server, tmp_path):
    conf = tmp_path / "bad.conf.py"
    conf.write_text("workers = 'many'\n")
    r = run(run_server, ["--check-config", "-c", str(conf)])
    assert_one_line_error(r, "workers", "many")


def test_check_config_bad_value_exits_1(run_server):
    r = run(run_server, ["--check-config", "--chdir", "/no/such/dir/xyz"])
    assert_one_line_error(r, "/no/such/dir/xyz")


def test_check_config_without_app_exits_1(run_server):
    r = run(run_server, ["--check-config"], app=None)
    assert_one_line_error(r, "No application module specified")


# ---------------------------------------------------------------- bad values

@pytest.mark.parametrize("args,tokens", [
    (["--max-requests", "-5"], ["-5"]),
    (["--chdir", "/no/such/dir/xyz"], ["/no/such/dir/xyz"]),
])
def test_value_refused_by_validator_is_one_line_exit_1(run_server, args, tokens):
    r = run(run_server, args + ["--check-config"])
    assert_one_line_error(r, *tokens)


# ---------------------------------------------------------------- not built yet

UNSUPPORTED = [
    (["--http-parser", "python"], "http_parser"),
    (["--protocol", "uwsgi"], "protocol"),
    (["--dirty-workers", "2"], "dirty_workers"),
    (["-k", "tornado"], "tornado"),
    (["--http-protocols", "h2"], "http_protocols"),
]


@pytest.mark.gunicorn20_differs("gunicorn implements these settings")
@pytest.mark.parametrize("args,name", UNSUPPORTED)
def test_unsupported_setting_is_refused_by_name(run_server, args, name):
    r = run(run_server, args, bind="127.0.0.1:0", timeout=5)
    assert_one_line_error(r, name, "not supported")
    assert "Booting worker" not in r.err


@pytest.mark.gunicorn20_differs("gunicorn implements these settings")
@pytest.mark.parametrize("args,name", UNSUPPORTED[:3])
def test_unsupported_setting_is_refused_by_check_config(run_server, args, name):
    r = run(run_server, args + ["--check-config"])
    assert_one_line_error(r, name, "not supported")


@pytest.mark.skipif(IS_GUNICORN, reason="gunicorn 20.1 has no --print-config")
def test_bundled_switches_are_parsed(run_server):
    r = run(run_server, ["-DR", "--print-config"])  # prints, checks, exits: never detaches
    assert r.rc == 0, r.err
    values = parse_print_config(r.out)
    assert values["daemon"] == "True"
    assert values["enable_stdio_inheritance"] == "True"


@pytest.mark.parametrize("args,name,value", [
    (["--statsd-prefix", ""], "statsd_prefix", ""),
    (["--worker-connections", "1000"], "worker_connections", "1000"),
    (["--log-syslog-facility", "user"], "syslog_facility", "user"),
])
def test_unsupported_setting_at_its_default_is_accepted(run_server, args, name, value):
    r = run(run_server, args + ["--print-config"])
    assert r.rc == 0, r
    assert r.settings()[name] == value
