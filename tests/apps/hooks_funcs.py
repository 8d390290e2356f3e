"""Hook functions living in a module, for config files that name them by a
dotted string (post_fork = "hooks_funcs.post_fork"), as gunicorn allows."""
import json
import os


def post_fork(server, worker):
    path = os.environ.get("QILIN_TEST_RECORD")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"event": "hook", "hook": "post_fork", "pid": os.getpid(),
                                "worker_pid": worker.pid, "age": worker.age}) + "\n")


def one_argument(server):
    pass


not_callable = 42
