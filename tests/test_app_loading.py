"""App loading as gunicorn: module:var, module alone, factories, packages,
--chdir, --pythonpath, --env, virtualenvs, and the clear one-line errors
(exit code 4) when the app cannot be loaded."""

import subprocess
import textwrap

import pytest
import requests

from conftest import APPS


def http_get(srv, path="/"):
    with requests.Session() as s:
        s.trust_env = False  # no proxies from the environment
        return s.get(srv.url(path), timeout=10)


# ---------------------------------------------------------------- success

def test_module_colon_variable(start_server):
    srv = start_server("hello:app")
    r = http_get(srv)
    assert r.status_code == 200
    assert r.text == "Hello, World!\n"


def test_module_alone_means_application(start_server):
    srv = start_server("wsgi_default")
    assert http_get(srv).text == "application\n"


@pytest.mark.parametrize("spec,body", [
    ("pkg.sub.wsgi:app", "pkg.sub.wsgi app\n"),
    ("pkg.sub.wsgi", "pkg.sub.wsgi application\n"),
])
def test_dotted_module_in_package(start_server, spec, body):
    srv = start_server(spec)
    assert http_get(srv).text == body


@pytest.mark.parametrize("spec,body", [
    ('factory:create_app("prod", debug=True)', "factory name='prod' debug=True\n"),
    ("factory:create_app('x')", "factory name='x' debug=False\n"),
    ("factory:create_app(name='kw', debug=None)", "factory name='kw' debug=None\n"),
    ("factory:create_app(['a', 1], debug={'k': (1, 2.5)})",
     "factory name=['a', 1] debug={'k': (1, 2.5)}\n"),
])
def test_factory_with_literal_arguments(start_server, spec, body):
    srv = start_server(spec)
    assert http_get(srv).text == body


def test_current_directory_is_on_sys_path(start_server, tmp_path):
    (tmp_path / "cwd_only_app.py").write_text(textwrap.dedent("""\
        def app(environ, start_response):
            start_response("200 OK", [("Content-Length", "8")])
            return [b"from cwd"]
        """))
    srv = start_server("cwd_only_app:app", cwd=tmp_path)
    assert http_get(srv).text == "from cwd"


def test_chdir(start_server, tmp_path):
    # started elsewhere; the app module only exists in the --chdir directory
    srv = start_server("report:app", ["--chdir", str(APPS)], cwd=tmp_path)
    info = http_get(srv).json()
    assert info["cwd"] == str(APPS)
    assert str(APPS) in info["sys_path"]


def test_pythonpath_comma_list(start_server, tmp_path):
    a, b, elsewhere = tmp_path / "a", tmp_path / "b", tmp_path / "elsewhere"
    for d in (a, b, elsewhere):
        d.mkdir()
    (a / "pp_app.py").write_text(textwrap.dedent("""\
        import pp_helper

        def app(environ, start_response):
            body = pp_helper.TEXT.encode()
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]
        """))
    (b / "pp_helper.py").write_text('TEXT = "helper from b"\n')
    srv = start_server("pp_app:app", ["--pythonpath", f"{a},{b}"], cwd=elsewhere)
    assert http_get(srv).text == "helper from b"


def test_env_is_repeatable(start_server):
    srv = start_server("report:app", [
        "--env", "QILIN_ENV_A=1",
        "-e", "QILIN_ENV_B=two=2",
        "--env", "QILIN_ENV_EMPTY="])
    env = http_get(srv).json()["env"]
    assert env["QILIN_ENV_A"] == "1"
    assert env["QILIN_ENV_B"] == "two=2"
    assert env["QILIN_ENV_EMPTY"] == ""


def test_django_project_with_settings_from_env(start_server, tmp_path):
    srv = start_server("mysite.wsgi", [
        "--env", "DJANGO_SETTINGS_MODULE=mysite.settings",
        "--chdir", str(APPS)], cwd=tmp_path)
    r = http_get(srv, "/?q=42")
    assert r.status_code == 200
    assert r.text == "django:qilin-django-ok:mysite.settings:42"


def make_venv(path):
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(path)],
                   check=True, timeout=60, capture_output=True)
    site = path / "lib" / "python3.11" / "site-packages"
    assert site.is_dir(), list((path / "lib").iterdir())
    return site


@pytest.mark.gunicorn20_differs(
    "gunicorn only sees a virtualenv it is installed in; qilin embeds "
    "Python and must honour VIRTUAL_ENV itself")
def test_virtualenv_packages_are_importable(start_server, tmp_path):
    venv = tmp_path / "venv"
    site = make_venv(venv)
    (site / "venvonly_marker").mkdir()
    (site / "venvonly_marker" / "__init__.py").write_text('MARKER = "from-the-venv"\n')
    srv = start_server("report:app", env={"VIRTUAL_ENV": str(venv)})
    info = http_get(srv).json()
    assert info["venv_marker"] == "from-the-venv"


@pytest.mark.gunicorn20_differs(
    "gunicorn ignores VIRTUAL_ENV, so a venv of another Python is not detected")
def test_virtualenv_of_another_python_is_a_clear_error(start_server, tmp_path):
    venv = tmp_path / "oldvenv"
    site = venv / "lib" / "python3.9" / "site-packages"
    site.mkdir(parents=True)
    (venv / "bin").mkdir()
    (venv / "pyvenv.cfg").write_text(
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.9.18\n")
    srv = start_server("report:app", env={"VIRTUAL_ENV": str(venv)}, wait=False)
    rc = srv.wait_exit(10)
    log = srv.log()
    assert rc > 0, log
    assert "Traceback" not in log
    assert any("3.9" in line for line in log.splitlines()), log


# ---------------------------------------------------------------- failures

def assert_one_clear_line(log, *tokens):
    """Some single stderr line names every token, and no traceback."""
    assert "Traceback" not in log, log
    lines = [line for line in log.splitlines() if all(t in line for t in tokens)]
    assert lines, f"no stderr line mentions {tokens}:\n{log}"


@pytest.mark.parametrize("spec,tokens", [
    ("hello:nosuchattr", ["nosuchattr"]),
    ("notcallable:app", ["callable"]),
    ("factory:create_app(os.getcwd())", ["create_app(os.getcwd())"]),
    ("factory:create_app(", ["create_app("]),
    ("factory:create_app.attr", ["create_app.attr"]),
    ("factory:returns_none()", ["returns_none()"]),
    ("factory:create_app(1, 2, 3)", ["create_app()", "3"]),
    ("hello:class", ["Failed to parse", "'class'"]),  # a keyword is no attribute name
    ("hello:None", ["Failed to parse", "'None'"]),
])
def test_app_load_error_is_one_line_and_exit_4(run_server, spec, tokens):
    rc, log, _ = run_server(spec)
    assert rc == 4, log
    assert_one_clear_line(log, *tokens)


@pytest.mark.gunicorn20_differs(
    "gunicorn logs the ModuleNotFoundError traceback and exits 3 (worker "
    "boot error); the issue asks for one clear line and exit 4")
def test_missing_module_is_one_line_and_exit_4(run_server):
    rc, log, _ = run_server("nosuchmodule_qilin:app")
    assert rc == 4, log
    assert_one_clear_line(log, "nosuchmodule_qilin")


@pytest.mark.gunicorn20_differs(
    "gunicorn exits 3 (worker boot error) when the import raises; the "
    "issue asks for exit 4 with the traceback")
@pytest.mark.parametrize("spec,last_line", [
    ("broken_import:app", "RuntimeError: qilin-test: broken_import raises at import time"),
    ("imports_missing_dep:app",
     "ModuleNotFoundError: No module named 'qilin_test_no_such_dependency'"),
    ("factory:raises_type_error()", "TypeError: qilin-test: raised inside the factory"),
])
def test_import_that_raises_shows_traceback_and_exit_4(run_server, spec, last_line):
    rc, log, _ = run_server(spec)
    assert rc == 4, log
    assert "Traceback (most recent call last):" in log
    assert last_line in log


# ---------------------------------------------------------------- usage

@pytest.mark.parametrize("args,app,code,tokens", [
    (["-w", "notanumber"], "hello:app", 2, ["notanumber"]),
    (["--no-such-option"], "hello:app", 2, ["--no-such-option"]),
    (["--limit-request-line", "abc"], "hello:app", 2, ["abc"]),
    ([], None, 1, ["No application module specified"]),
])
def test_usage_errors_are_one_line_with_gunicorn_exit_code(run_server, args, app, code, tokens):
    rc, log, _ = run_server(app, args, timeout=10)
    assert rc == code, log
    assert_one_clear_line(log, *tokens)


def test_bad_port_is_one_line(run_server):
    rc, log, _ = run_server("hello:app", bind="127.0.0.1:notaport", timeout=10)
    assert rc == 1, log
    assert_one_clear_line(log, "notaport")
