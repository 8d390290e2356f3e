"""Where settings come from and which one wins: defaults (with PORT,
WEB_CONCURRENCY, FORWARDED_ALLOW_IPS), the config file, GUNICORN_CMD_ARGS
and the command line, lowest to highest, repeatable options included."""

import pytest

from config_support import (assert_one_line_error, assert_usage_error, copy_app, run, write)


def conf(tmp_path, text, name="settings_conf.py"):
    return write(tmp_path / name, text)


# ---------------------------------------------------------------- GUNICORN_CMD_ARGS

def test_cmd_args_from_the_environment(start_server):
    srv = start_server("hello:app", env={"GUNICORN_CMD_ARGS": "--bind=127.0.0.1:0 --workers=2"},
                       bind=None, workers=2)
    assert srv.get("/").status == 200
    assert len(srv.workers()) == 2


@pytest.mark.parametrize("env_args,name,value", [
    ("--workers=3", "workers", "3"),
    ("-w 3", "workers", "3"),
    ("-t7", "timeout", "7"),
    ("--env 'A=with space' -e B=2", "raw_env", "['A=with space', 'B=2']"),
    ("--bind=0.0.0.0 -b '[::1]:8001'", "bind", "['0.0.0.0', '[::1]:8001']"),
    ("--preload --no-sendfile", "preload_app", "True"),
])
def test_cmd_args_spellings(run_server, env_args, name, value):
    r = run(run_server, ["--print-config"], env={"GUNICORN_CMD_ARGS": env_args})
    assert r.rc == 0, r
    assert r.settings()[name] == value


def test_cmd_args_can_name_the_config_file(run_server, tmp_path):
    path = conf(tmp_path, "workers = 4\n")
    r = run(run_server, ["--print-config"], env={"GUNICORN_CMD_ARGS": f"-c {path}"})
    assert r.rc == 0, r
    assert r.settings()["workers"] == "4"
    assert r.settings()["config"] == str(path)


def test_command_line_config_file_wins_over_cmd_args_one(run_server, tmp_path):
    env_conf = conf(tmp_path, "raise SystemExit('must not be read')\n", "env_conf.py")
    cli_conf = conf(tmp_path, "workers = 5\n", "cli_conf.py")
    r = run(run_server, ["-c", str(cli_conf), "--print-config"],
            env={"GUNICORN_CMD_ARGS": f"-c {env_conf}"})
    assert r.rc == 0, r
    assert r.settings()["workers"] == "5"
    assert r.settings()["config"] == str(cli_conf)


def test_cmd_args_unknown_option_is_a_usage_error(run_server):
    r = run(run_server, ["--print-config"], env={"GUNICORN_CMD_ARGS": "--no-such-option"})
    assert_usage_error(r, "unrecognized arguments: --no-such-option")


def test_cmd_args_bad_int_is_a_usage_error(run_server):
    r = run(run_server, ["--print-config"], env={"GUNICORN_CMD_ARGS": "--workers=many"})
    assert_usage_error(r, "argument -w/--workers: invalid int value: 'many'")


def test_cmd_args_unclosed_quote_is_one_line_exit_1(run_server):
    r = run(run_server, ["--check-config"], env={"GUNICORN_CMD_ARGS": "--env 'A=1"})
    assert_one_line_error(r, "No closing quotation")


def test_cmd_args_bad_value_is_one_line_exit_1(run_server):
    r = run(run_server, ["--check-config"], env={"GUNICORN_CMD_ARGS": "--max-requests=-4"})
    assert_one_line_error(r, "-4")


def test_cmd_args_app_module_is_not_an_app_module(run_server):
    # gunicorn takes APP_MODULE from the command line (or wsgi_app) only.
    r = run(run_server, ["--check-config"], app=None, env={"GUNICORN_CMD_ARGS": "hello:app"})
    assert_one_line_error(r, "No application module specified")


@pytest.mark.gunicorn20_differs("gunicorn says only 'No application module specified.'")
def test_cmd_args_app_module_is_named_when_ignored(run_server):
    r = run(run_server, ["--check-config"], app=None,
            env={"GUNICORN_CMD_ARGS": "-w 2 hello:app"})
    assert_one_line_error(r, "No application module specified", "GUNICORN_CMD_ARGS", "hello:app")


def test_cmd_args_app_module_beside_a_real_one_is_ignored(run_server):
    r = run(run_server, ["--print-config"], app="hello:app",
            env={"GUNICORN_CMD_ARGS": "no_such_module_xyz:app"})
    assert r.rc == 0, r
    assert r.settings()["default_proc_name"] == "hello:app"


@pytest.mark.gunicorn20_differs("gunicorn 20.1 has no --dirty-workers")
def test_cmd_args_unsupported_setting_is_refused(run_server):
    r = run(run_server, ["--check-config"], env={"GUNICORN_CMD_ARGS": "--dirty-workers=2"})
    assert_one_line_error(r, "dirty_workers", "not supported")


def test_cmd_args_help_and_version(run_server):
    r = run(run_server, [], env={"GUNICORN_CMD_ARGS": "--version"})
    assert r.rc == 0, r
    assert "(version " in r.out


# ---------------------------------------------------------------- precedence

PRECEDENCE_CONF = """\
    workers = 2
    timeout = 20
    keepalive = 3
    backlog = 100
    """


@pytest.mark.parametrize("env_args,cli,expected", [
    (None, [], {"workers": "2", "timeout": "20", "keepalive": "3", "backlog": "100",
                "graceful_timeout": "30"}),
    ("-w 3 --timeout=21", [], {"workers": "3", "timeout": "21", "keepalive": "3",
                               "backlog": "100"}),
    ("-w 3 --timeout=21", ["-w", "4"], {"workers": "4", "timeout": "21", "keepalive": "3"}),
    (None, ["--keep-alive", "9", "--graceful-timeout", "8"],
     {"workers": "2", "keepalive": "9", "graceful_timeout": "8"}),
    ("--backlog 64", ["--backlog=65"], {"backlog": "65", "workers": "2"}),
])
def test_defaults_then_file_then_env_args_then_command_line(run_server, tmp_path, env_args, cli,
                                                            expected):
    path = conf(tmp_path, PRECEDENCE_CONF)
    env = {"GUNICORN_CMD_ARGS": env_args} if env_args else None
    r = run(run_server, ["-c", str(path), "--print-config"] + cli, env=env)
    assert r.rc == 0, r
    s = r.settings()
    assert {k: s[k] for k in expected} == expected


@pytest.mark.parametrize("env_args,cli,expected", [
    (None, [], "['127.0.0.1:9001', '127.0.0.1:9002']"),
    (None, ["-b", "127.0.0.1:9003"], "['127.0.0.1:9003']"),
    (None, ["-b", "127.0.0.1:9003", "-b", "127.0.0.1:9004"],
     "['127.0.0.1:9003', '127.0.0.1:9004']"),
    ("-b 127.0.0.1:9005", [], "['127.0.0.1:9005']"),
    ("-b 127.0.0.1:9005", ["--bind", "127.0.0.1:9006"], "['127.0.0.1:9006']"),
])
def test_repeatable_option_replaces_a_lower_source(run_server, tmp_path, env_args, cli, expected):
    path = conf(tmp_path, 'bind = ["127.0.0.1:9001", "127.0.0.1:9002"]\n')
    env = {"GUNICORN_CMD_ARGS": env_args} if env_args else None
    r = run(run_server, ["-c", str(path), "--print-config"] + cli, env=env)
    assert r.rc == 0, r
    assert r.settings()["bind"] == expected


def test_raw_env_from_the_command_line_replaces_the_files(run_server, tmp_path):
    path = conf(tmp_path, 'raw_env = ["A=1", "B=2"]\n')
    r = run(run_server, ["-c", str(path), "-e", "C=3", "--print-config"])
    assert r.settings()["raw_env"] == "['C=3']"


def test_command_line_bind_wins_when_serving(start_server, tmp_path):
    # the file's address is taken by another socket: only the command line's is used
    import socket
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    taken = blocker.getsockname()[1]
    try:
        path = conf(tmp_path, f'bind = "127.0.0.1:{taken}"\n')
        srv = start_server("hello:app", ["-c", str(path)])  # adds -b 127.0.0.1:0
        assert srv.port != taken
        assert srv.get("/").status == 200
    finally:
        blocker.close()


def test_file_values_beat_environment_defaults(run_server, tmp_path):
    path = conf(tmp_path, "workers = 2\n")
    r = run(run_server, ["-c", str(path), "--print-config"], env={"WEB_CONCURRENCY": "5"})
    assert r.settings()["workers"] == "2"


def test_default_config_file_is_looked_up_after_cmd_args(run_server, tmp_path):
    write(tmp_path / "gunicorn.conf.py", "workers = 2\ntimeout = 11\n")
    copy_app(tmp_path)
    r = run(run_server, ["--print-config"], cwd=tmp_path, env={"GUNICORN_CMD_ARGS": "-w 3"})
    assert r.rc == 0, r
    assert (r.settings()["workers"], r.settings()["timeout"]) == ("3", "11")


# ---------------------------------------------------------------- environment defaults

def test_port_changes_the_bind_default(run_server):
    r = run(run_server, ["--print-config"], env={"PORT": "8123"})
    assert r.settings()["bind"] == "['0.0.0.0:8123']"


def test_web_concurrency_changes_the_workers_default(run_server):
    r = run(run_server, ["--print-config"], env={"WEB_CONCURRENCY": "3"})
    assert r.settings()["workers"] == "3"
    r = run(run_server, ["--print-config", "-w", "2"], env={"WEB_CONCURRENCY": "3"})
    assert r.settings()["workers"] == "2"


def test_forwarded_allow_ips_changes_its_default(run_server):
    r = run(run_server, ["--print-config"], env={"FORWARDED_ALLOW_IPS": "10.1.1.1,10.2.2.2"})
    assert r.settings()["forwarded_allow_ips"] == "['10.1.1.1', '10.2.2.2']"


@pytest.mark.gunicorn20_differs("gunicorn 20.1 reads WEB_CONCURRENCY with int() and "
                                "fails with a traceback")
def test_bad_web_concurrency_is_one_line(run_server):
    r = run(run_server, ["--check-config"], env={"WEB_CONCURRENCY": "lots"})
    assert_one_line_error(r, "WEB_CONCURRENCY", "lots")
