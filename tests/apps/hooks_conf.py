"""A config file whose server hooks record every call.

Each call appends one JSON line ({"event": "hook", "hook": NAME, "pid":
os.getpid(), ...}) to the file named by QILIN_TEST_RECORD, the same file the
test apps record to, so hooks and requests interleave in one order. The
fields are the hook's arguments and the attributes of the objects it got
that hooks commonly read. Knobs, all optional, from the environment:

  QILIN_TEST_HOOK_RAISE     comma-separated hook names that raise after recording
  QILIN_TEST_HOOK_WORKERS   when_ready sets server.num_workers to this
  QILIN_TEST_HOOK_RECYCLE   post_request sets worker.alive = False for this path

and post_request logs a caught exception with worker.log.exception() for
the path /log-exception.

The same file runs unchanged under gunicorn, which is how the tests compare.
"""
import json
import os

workers = 2


def _record(hook, **fields):
    path = os.environ.get("QILIN_TEST_RECORD")
    if path:
        entry = {"event": "hook", "hook": hook, "pid": os.getpid()}
        entry.update(fields)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(entry, default=repr) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    if hook in os.environ.get("QILIN_TEST_HOOK_RAISE", "").split(","):
        raise ValueError("boom in " + hook)


def _server(server):
    return {"server_pid": server.pid, "num_workers": server.num_workers,
            "workers": sorted(server.WORKERS), "cfg_workers": server.cfg.workers,
            "cfg_bind": server.cfg.bind, "timeout": server.timeout,
            "proc_name": server.proc_name, "master_name": server.master_name}


def _worker(worker):
    return {"age": worker.age, "worker_pid": worker.pid, "ppid": worker.ppid,
            "alive": worker.alive, "booted": worker.booted, "aborted": worker.aborted,
            "nr": worker.nr, "cfg_timeout": worker.cfg.timeout,
            "worker_timeout": worker.timeout, "str": str(worker)}


def _req(req):
    return {"method": req.method, "path": req.path, "query": req.query, "uri": req.uri,
            "version": list(req.version), "headers": [list(h) for h in req.headers],
            "peer_addr": list(req.peer_addr) if isinstance(req.peer_addr, tuple)
            else req.peer_addr, "scheme": req.scheme}


def on_starting(server):
    _record("on_starting", **_server(server))


def on_reload(server):
    _record("on_reload", **_server(server))


def when_ready(server):
    _record("when_ready", **_server(server))
    wanted = os.environ.get("QILIN_TEST_HOOK_WORKERS")
    if wanted:
        server.num_workers = int(wanted)


def pre_fork(server, worker):
    _record("pre_fork", **_server(server), **_worker(worker))


def post_fork(server, worker):
    server.log.info("post_fork hook in worker %s", worker.pid)
    _record("post_fork", **_server(server), **_worker(worker))


def post_worker_init(worker):
    worker.log.info("post_worker_init hook: age %s", worker.age)
    _record("post_worker_init", **_worker(worker))


def worker_int(worker):
    _record("worker_int", **_worker(worker))


def worker_abort(worker):
    _record("worker_abort", **_worker(worker))


def pre_request(worker, req):
    _record("pre_request", **_worker(worker), **_req(req))


def post_request(worker, req, environ, resp):
    fields = dict(_worker(worker), **_req(req))
    fields["environ_path"] = environ.get("PATH_INFO") if environ else None
    if resp is not None:
        fields.update(status=resp.status, status_code=getattr(resp, "status_code", None),
                      sent=resp.sent, resp_headers=[list(h) for h in resp.headers],
                      response_length=resp.response_length)
    _record("post_request", **fields)
    if req.path == os.environ.get("QILIN_TEST_HOOK_RECYCLE"):
        worker.alive = False
    if req.path == "/log-exception":
        try:
            1 / 0
        except ZeroDivisionError:
            worker.log.exception("caught in post_request %s", req.path)


def child_exit(server, worker):
    _record("child_exit", **_server(server), **_worker(worker))


def worker_exit(server, worker):
    _record("worker_exit", **_server(server), **_worker(worker))


def nworkers_changed(server, new_value, old_value):
    # gunicorn calls the first one from Arbiter.__init__, before server.pid exists.
    _record("nworkers_changed", new=new_value, old=old_value,
            server_pid=getattr(server, "pid", None), num_workers=server.num_workers)


def on_exit(server):
    _record("on_exit", **_server(server))
