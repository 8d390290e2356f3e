"""--paste / --paster FILE[#SECTION] and --paste-global: the app comes from
a PasteDeploy ini file (Debian's python3-pastedeploy), the file names the
process, and its [loggers] section becomes the logging configuration,
below the config file and the command line in precedence."""

import textwrap

import pytest

from config_support import assert_one_line_error, run

pytest.importorskip("paste.deploy", reason="python3-pastedeploy is not installed")

APPS_INI = """\
    [app:main]
    use = call:paste_app:make_app
    greeting = hi

    [app:other]
    use = call:paste_app:make_app
    greeting = other
    """

LOGGERS_INI = """\
    [loggers]
    keys = root, gunicorn.error

    [handlers]
    keys = console

    [formatters]
    keys = plain

    [logger_root]
    level = INFO
    handlers = console

    [logger_gunicorn.error]
    level = INFO
    handlers = console
    propagate = 0
    qualname = gunicorn.error

    [handler_console]
    class = StreamHandler
    args = (sys.stderr,)
    formatter = plain

    [formatter_plain]
    format = PASTE-LOG %(levelname)s %(message)s
    """


def ini(tmp_path, *parts, name="app.ini"):
    path = tmp_path / name
    path.write_text("\n".join(textwrap.dedent(p) for p in parts))
    return path


def test_paste_serves_the_main_app_with_globals(start_server, tmp_path):
    path = ini(tmp_path, APPS_INI)
    srv = start_server(None, ["--paste", str(path), "--paste-global", "who=me"])
    r = srv.get("/")
    assert r.status == 200 and r.body == b"hi me\n"


def test_paster_spelling_and_section(start_server, tmp_path):
    path = ini(tmp_path, APPS_INI)
    srv = start_server(None, ["--paster", f"{path}#other"])
    assert srv.get("/").body == b"other -\n"


def test_paste_global_escaped_equals(start_server, tmp_path):
    path = ini(tmp_path, APPS_INI)
    srv = start_server(None, ["--paste", str(path), "--paste-global", r"who=a\=b"])
    assert srv.get("/").body == b"hi a=b\n"


def test_paste_loggers_section_is_the_logging_config(start_server, tmp_path):
    path = ini(tmp_path, APPS_INI, LOGGERS_INI)
    srv = start_server(None, ["--paste", str(path)])
    assert srv.get("/").status == 200
    assert "PASTE-LOG INFO Listening at: http://127.0.0.1:" in srv.log()


def test_config_file_wins_over_the_paste_loggers(start_server, tmp_path):
    path = ini(tmp_path, APPS_INI, LOGGERS_INI)
    other = ini(tmp_path, LOGGERS_INI.replace("PASTE-LOG", "CONF-LOG"), name="other.ini")
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(f"logconfig = {str(other)!r}\n")
    srv = start_server(None, ["-c", str(conf), "--paste", str(path)])
    assert "CONF-LOG INFO Listening at" in srv.log()
    assert "PASTE-LOG" not in srv.log()


def test_paste_names_the_process_and_sets_logconfig(run_server, tmp_path):
    path = ini(tmp_path, APPS_INI, LOGGERS_INI)
    r = run(run_server, ["--paste", str(path), "--print-config"], app=None)
    assert r.rc == 0, r
    settings = r.settings()
    assert settings["default_proc_name"] == str(path)
    assert settings["logconfig"] == str(path)
    assert settings["paste"] == str(path)


def test_missing_paste_file_is_one_line_exit_1(run_server, tmp_path):
    r = run(run_server, ["--paste", str(tmp_path / "nope.ini")], app=None)
    assert r.rc == 1, r
    assert_one_line_error(r, "nope.ini", "not found")


def test_paste_app_that_fails_to_load(run_server, tmp_path):
    path = ini(tmp_path, "[app:main]\nuse = call:no_such_module_q:make\n")
    r = run(run_server, ["--paste", str(path)], app=None)
    assert r.rc != 0, r
    assert "no_such_module_q" in r.err
