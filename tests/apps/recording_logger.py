"""A logger class with gunicorn's Logger interface that records what the
server hands it, one JSON line per call, to $QILIN_TEST_LOGGER_RECORD."""
import json
import os
import sys


class RecordingLogger:
    def __init__(self, cfg):
        self.cfg = cfg
        self.path = os.environ["QILIN_TEST_LOGGER_RECORD"]
        self._write({"call": "init", "loglevel": cfg.loglevel, "proc_name": cfg.proc_name})

    def _write(self, entry):
        entry["pid"] = os.getpid()
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _line(self, level, msg, *args, **kwargs):
        text = msg % args if args else msg
        self._write({"call": level, "msg": text})
        sys.stderr.write("[%s] %s\n" % (level.upper(), text))  # where the tests read the port
        sys.stderr.flush()

    def critical(self, msg, *args, **kwargs):
        self._line("critical", msg, *args)

    def error(self, msg, *args, **kwargs):
        self._line("error", msg, *args)

    def warning(self, msg, *args, **kwargs):
        self._line("warning", msg, *args)

    def info(self, msg, *args, **kwargs):
        self._line("info", msg, *args)

    def debug(self, msg, *args, **kwargs):
        self._line("debug", msg, *args)

    def exception(self, msg, *args, **kwargs):
        self._line("exception", msg, *args)

    def access(self, resp, req, environ, request_time):
        self._write({"call": "access", "status": resp.status, "sent": resp.sent,
                     "method": req.method, "path": req.path,
                     "headers": [list(h) for h in req.headers],
                     "path_info": environ["PATH_INFO"],
                     "seconds": request_time.total_seconds()})

    def reopen_files(self):
        self._write({"call": "reopen_files"})

    def close_on_exec(self):
        pass
