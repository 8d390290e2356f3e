"""Reports the worker process's view: cwd, sys.path, selected environment
variables (QILIN_ENV_*, the socket hand-over ones and a few others), and
the importable marker module of a virtualenv test if present."""
import os
import sys

from _support import json_response

# How sockets reach a master (systemd, a USR2 parent): the application
# should never see them.
HANDOVER_VARIABLES = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "GUNICORN_FD")


def app(environ, start_response):
    try:
        import venvonly_marker
        marker = venvonly_marker.MARKER
    except ImportError as e:
        marker = "ImportError: %s" % e
    return json_response(start_response, {
        "cwd": os.getcwd(),
        "sys_path": sys.path,
        "env": {k: v for k, v in os.environ.items()
                if k.startswith("QILIN_ENV_") or k in ("SCRIPT_NAME", "VIRTUAL_ENV")
                or k in HANDOVER_VARIABLES},
        "venv_marker": marker,
        "executable": sys.executable,
        "prefix": sys.prefix,
        "pid": os.getpid(),
        "ppid": os.getppid(),
    })
