"""Server hooks: every hook is called at gunicorn's moment, in gunicorn's
process and order, with the objects hooks use; a hook that raises is
handled as gunicorn handles it.

The config file `apps/hooks_conf.py` records each call (hook name, pid, the
arguments and the attributes hooks read) to the server's record file. One
scenario drives a server through everything that fires a hook: start with
two workers, requests, TTIN, TTOU, a worker killed with SIGKILL, a request
that hangs past `-t 2` (worker_abort), INT to a worker (worker_int) and TERM
to the master. The same scenario run under Debian's gunicorn 20.1 is the
oracle: the order of hook names per process role must be the same (pids,
and which worker happened to take which request, are not compared).

gunicorn 20.1 (the oracle here) and 26 (the reference) differ in hook
behaviour, though not in the order this scenario records:
- 20.1 reaps workers, and so calls child_exit, from its SIGCHLD handler,
  wherever the master happens to be; 26 (and qilin) from the main loop and
  from the stop wait.
- 26's HUP waits for the old workers to leave before it returns.
- A sync worker unwound by worker_abort or worker_int in the middle of a
  request: 26 catches the SystemExit, logs "Error handling request" with
  its traceback, sends a 500 and exits 0; 20.1 closes the connection and
  exits 1. qilin sends the 500 and logs like 26 and exits 1 after ABRT.
- req.remote_addr exists from 22 on; 20.1 has req.peer_addr only (qilin
  has both), so the hooks here read peer_addr.

And qilin differs from both in messages only: a hook of the wrong arity, or
named by a dotted string that does not import, is refused in one line
where gunicorn prints a traceback.
"""

import os
import shutil
import signal
import threading
import time

import pytest

from conftest import IS_GUNICORN, Server, wait_until

GUNICORN = "/usr/bin/gunicorn"
HOOKS_CONF = ["-c", "hooks_conf.py"]


def hooks(srv, name=None):
    """The hook records, in order (of one hook when `name` is given)."""
    return [e for e in srv.records()
            if e.get("event") == "hook" and (name is None or e["hook"] == name)]


def wait_hooks(srv, name, count=1, timeout=15):
    """Wait until hook `name` was recorded `count` times; return those records."""
    def seen():
        found = hooks(srv, name)
        if len(found) >= count:
            return found
        if not srv.alive():
            raise AssertionError(f"server exited waiting for {name} x{count}\n{srv.tail()}")
        return None
    try:
        return wait_until(seen, timeout, message=f"{name} x{count}")
    except AssertionError:
        raise AssertionError(f"hook {name} not recorded {count} times in {timeout}s; "
                             f"got {[e['hook'] for e in hooks(srv)]}\nlog:\n{srv.tail()}")


def alive_workers(srv):
    """Worker pids booted and not yet exited, oldest first, per the records."""
    gone = {e["worker_pid"] for e in hooks(srv) if e["hook"] in ("child_exit", "worker_exit")}
    return [e["pid"] for e in hooks(srv, "post_fork") if e["pid"] not in gone]


class InFlight:
    """One request sent from a thread; `raw` is whatever came back."""

    def __init__(self, srv, path):
        self.raw = None
        self.thread = threading.Thread(target=self._run, args=(srv, path), daemon=True)
        self.thread.start()

    def _run(self, srv, path):
        try:
            self.raw = srv.raw(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode(), timeout=30)
        except Exception as e:  # the test only needs the thread to end
            self.raw = repr(e).encode()

    def join(self):
        self.thread.join(30)
        assert not self.thread.is_alive()


def drive(srv):
    """The scenario. Each step waits for the hooks it fires, so the order
    of steps is the order of the records. Returns the records."""
    wait_hooks(srv, "post_worker_init", 2)
    for n in range(3):
        r = srv.get(f"/sleep/0?n={n}", headers=[("X-Hook-Test", "yes")])
        assert r.status == 200, r
    wait_hooks(srv, "post_request", 3)

    srv.send_signal(signal.SIGTTIN)
    wait_hooks(srv, "post_worker_init", 3)
    srv.send_signal(signal.SIGTTOU)  # the oldest worker (age 1) goes
    wait_hooks(srv, "child_exit", 1)

    os.kill(alive_workers(srv)[0], signal.SIGKILL)  # age 2
    wait_hooks(srv, "child_exit", 2)
    wait_hooks(srv, "post_worker_init", 4)

    hung = InFlight(srv, "/hang")  # past -t 2: the master aborts the worker
    wait_hooks(srv, "worker_abort", 1, timeout=20)
    wait_hooks(srv, "child_exit", 3)
    wait_hooks(srv, "post_worker_init", 5)
    hung.join()

    os.kill(alive_workers(srv)[0], signal.SIGINT)  # the oldest, idle
    wait_hooks(srv, "worker_int", 1)
    wait_hooks(srv, "child_exit", 4)
    wait_hooks(srv, "post_worker_init", 6)

    srv.send_signal(signal.SIGHUP)  # two new workers, then the two old ones go
    wait_hooks(srv, "on_reload", 1)
    wait_hooks(srv, "post_worker_init", 8)
    wait_hooks(srv, "child_exit", 6)

    assert srv.stop(signal.SIGTERM, timeout=20) == 0, srv.tail()
    return srv.records()


def start_scenario_server(server_class, log_dir):
    srv = server_class("slow:app", HOOKS_CONF + ["-w", "2", "-t", "2"], log_dir=log_dir)
    srv.start()
    srv.wait_ready()
    return srv


def sequences(records, master_pid):
    """(master's hook names, sorted tuple per worker process). A plain
    pre_request/post_request pair is dropped: which worker accepted which
    request is up to the kernel."""
    master, workers = [], {}
    for e in records:
        if e.get("event") != "hook":
            continue
        if e["pid"] == master_pid:
            master.append(e["hook"])
        else:
            workers.setdefault(e["pid"], []).append(e["hook"])

    def squeeze(seq):
        out, i = [], 0
        while i < len(seq):
            if seq[i:i + 2] == ["pre_request", "post_request"]:
                i += 2
                continue
            out.append(seq[i])
            i += 1
        return tuple(out)
    return master, sorted(squeeze(s) for s in workers.values())


EXPECTED_MASTER = [
    "nworkers_changed", "on_starting", "when_ready", "pre_fork", "pre_fork",  # start, -w 2
    "nworkers_changed", "pre_fork",                                           # TTIN
    "nworkers_changed", "child_exit",                                         # TTOU
    "child_exit", "pre_fork",                                                 # SIGKILL
    "child_exit", "pre_fork",                                                 # timeout
    "child_exit", "pre_fork",                                                 # INT to a worker
    "nworkers_changed", "on_reload", "pre_fork", "pre_fork",                  # HUP
    "child_exit", "child_exit",
    "child_exit", "child_exit", "on_exit",                                    # TERM
]
BOOT = ("post_fork", "post_worker_init")
EXPECTED_WORKERS = sorted([
    BOOT,                                   # killed: no hook runs
    BOOT + ("worker_exit",),                # retired by TTOU
    BOOT + ("pre_request", "worker_abort", "post_request", "worker_exit"),
    BOOT + ("worker_int", "worker_exit"),
    BOOT + ("worker_exit",),                # retired by HUP
    BOOT + ("worker_exit",),                # retired by HUP
    BOOT + ("worker_exit",),                # TERM
    BOOT + ("worker_exit",),                # TERM
])


def _run_scenario(server_class, tmp_path_factory, name):
    srv = start_scenario_server(server_class, tmp_path_factory.mktemp(name))
    try:
        return srv, drive(srv)
    except BaseException:
        print(f"\n----- {' '.join(srv.argv)} -----\n{srv.tail(8000)}")
        raise
    finally:
        srv.kill()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """The scenario run once on the binary under test: (server, records)."""
    return _run_scenario(Server, tmp_path_factory, "hooks-scenario")


class GunicornServer(Server):
    @property
    def argv(self):
        return [GUNICORN] + self.args + [self.app]


@pytest.fixture(scope="module")
def gunicorn_scenario(tmp_path_factory):
    if not shutil.which(GUNICORN):
        pytest.skip(f"{GUNICORN} is not installed (Debian's gunicorn package)")
    return _run_scenario(GunicornServer, tmp_path_factory, "hooks-gunicorn")


# ---------------------------------------------------------------- the scenario

def test_hooks_run_in_gunicorns_order_and_process(scenario):
    srv, records = scenario
    master, workers = sequences(records, srv.master_pid)
    assert master == EXPECTED_MASTER
    assert workers == EXPECTED_WORKERS


def test_hook_order_matches_gunicorn(scenario, gunicorn_scenario):
    srv, records = scenario
    oracle, oracle_records = gunicorn_scenario
    assert sequences(records, srv.master_pid) == sequences(oracle_records, oracle.master_pid)


def test_server_object(scenario):
    srv, records = scenario
    first = [e for e in records if e.get("event") == "hook"][0]
    assert (first["hook"], first["new"], first["old"]) == ("nworkers_changed", 2, None)
    hup = next(i for i, e in enumerate(records) if e.get("hook") == "on_reload")
    gone = {e["worker_pid"] for e in records[:hup] if e.get("hook") == "child_exit"}
    alive_before_hup = sorted(e["pid"] for e in records[:hup]
                              if e.get("hook") == "post_fork" and e["pid"] not in gone)
    assert len(alive_before_hup) == 2
    for name in ("on_starting", "when_ready", "on_reload"):
        (e,) = [r for r in records if r.get("hook") == name]
        assert e["pid"] == e["server_pid"] == srv.master_pid
        assert e["num_workers"] == 2 and e["cfg_workers"] == 2
        assert e["workers"] == ([] if name != "on_reload" else alive_before_hup)
        assert e["master_name"] == "Master" and e["timeout"] == 2
        assert e["proc_name"] == "slow:app" and e["cfg_bind"] == ["127.0.0.1:0"]
    changes = [(e["new"], e["old"], e["num_workers"]) for e in records
               if e.get("hook") == "nworkers_changed"]
    assert changes == [(2, None, 2), (3, 2, 3), (2, 3, 2), (2, 2, 2)]
    (on_exit,) = [e for e in records if e.get("hook") == "on_exit"]
    assert on_exit["pid"] == srv.master_pid and on_exit["workers"] == []


def test_worker_objects_in_the_master(scenario):
    srv, records = scenario
    pre_forks = [e for e in records if e.get("hook") == "pre_fork"]
    assert [e["age"] for e in pre_forks] == [1, 2, 3, 4, 5, 6, 7, 8]
    for e in pre_forks:
        assert e["pid"] == srv.master_pid and e["worker_pid"] == "[booting]"
        assert e["ppid"] == srv.master_pid and e["alive"] is True
        assert e["booted"] is False and e["aborted"] is False and e["nr"] == 0
        assert e["worker_timeout"] == 1.0 and e["cfg_timeout"] == 2
    booted = {e["age"]: e["pid"] for e in records if e.get("hook") == "post_fork"}
    # WORKERS holds the forked ones; a reaped worker has left it for child_exit.
    assert pre_forks[1]["workers"] == [booted[1]]
    exits = [e for e in records if e.get("hook") == "child_exit"]
    assert [e["age"] for e in exits[:2]] == [1, 2]
    for e in exits:
        assert e["pid"] == srv.master_pid and e["worker_pid"] == booted[e["age"]]
        assert e["worker_pid"] not in e["workers"]
    aborted = [e for e in records if e.get("hook") == "worker_abort"][0]["age"]
    assert [e["aborted"] for e in exits if e["age"] == aborted] == [True]


def test_worker_objects_in_the_worker(scenario):
    srv, records = scenario
    for e in (r for r in records if r.get("hook") == "post_fork"):
        assert e["worker_pid"] == e["pid"] != srv.master_pid
        assert e["ppid"] == e["server_pid"] == srv.master_pid
        assert e["str"] == f"<Worker {e['pid']}>"
    for e in (r for r in records if r.get("hook") == "post_worker_init"):
        assert e["worker_pid"] == e["pid"] and e["alive"] is True and e["booted"] is False
    for name in ("worker_abort", "worker_int"):
        (e,) = [r for r in records if r.get("hook") == name]
        assert e["worker_pid"] == e["pid"] and e["alive"] is False and e["booted"] is True
    in_worker = [e for e in records if e.get("hook") == "worker_exit"]
    assert len(in_worker) == 7
    for e in in_worker:
        assert e["worker_pid"] == e["pid"] != srv.master_pid and e["alive"] is False


def test_request_hooks_see_req_environ_and_resp(scenario):
    srv, records = scenario
    pres = [e for e in records if e.get("hook") == "pre_request" and e["path"] == "/sleep/0"]
    posts = [e for e in records if e.get("hook") == "post_request" and e["path"] == "/sleep/0"]
    assert sorted(e["query"] for e in pres) == ["n=0", "n=1", "n=2"]
    for e in pres:
        assert e["method"] == "GET" and e["version"] == [1, 1] and e["scheme"] == "http"
        assert e["uri"] == "/sleep/0?" + e["query"]
        assert ["X-HOOK-TEST", "yes"] in e["headers"]
        assert e["peer_addr"][0] == "127.0.0.1" and e["peer_addr"][1] > 0
        assert e["booted"] is True and e["worker_pid"] == e["pid"]
    for pre, post in zip(pres, posts):
        assert post["pid"] == pre["pid"] and post["nr"] == pre["nr"] + 1
    for e in posts:
        assert e["environ_path"] == "/sleep/0"
        assert e["status"] == "200 OK" and e["status_code"] == 200
        assert e["sent"] == e["response_length"] > 0
        assert ["X-Worker-Pid", str(e["pid"])] in e["resp_headers"]


def test_aborted_request_still_gets_post_request(scenario):
    srv, records = scenario
    worker = [e for e in records if e.get("hook") == "worker_abort"][0]["pid"]
    mine = [e for e in records if e["pid"] == worker]
    names = [e.get("hook", e["event"]) for e in mine]
    assert names[-5:] == ["pre_request", "start", "worker_abort", "post_request", "worker_exit"]
    post = [e for e in mine if e.get("hook") == "post_request"][-1]
    assert post["path"] == "/hang" and post["status"] is None and post["alive"] is False


# ---------------------------------------------------------------- hooks that change things

def test_num_workers_set_by_a_hook_changes_the_count(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "2"],
                       env={"QILIN_TEST_HOOK_WORKERS": "3"}, workers=3)
    srv.wait_workers(lambda w: len(w) == 3, message="3 workers")
    names = [e["hook"] for e in hooks(srv) if e["pid"] == srv.master_pid]
    assert names[:6] == ["nworkers_changed", "on_starting", "when_ready", "nworkers_changed",
                         "pre_fork", "pre_fork"]
    changes = [(e["new"], e["old"]) for e in hooks(srv, "nworkers_changed")]
    assert changes == [(2, None), (3, 2)]
    time.sleep(1.2)  # the master keeps three
    assert len(srv.workers()) == 3 and len(hooks(srv, "pre_fork")) == 3


def test_alive_false_in_post_request_recycles_the_worker(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RECYCLE": "/recycle"})
    (old,) = srv.workers()
    assert srv.get("/recycle").status == 200
    (exit_,) = wait_hooks(srv, "worker_exit")
    assert exit_["pid"] == old
    wait_hooks(srv, "child_exit")
    new = srv.wait_workers(lambda w: len(w) == 1 and old not in w, message="a new worker")
    r = srv.get("/")
    assert r.status == 200 and int(r.header("X-Worker-Pid")) == new[0]


def test_default_pre_request_logs_method_and_path_at_debug(start_server):
    srv = start_server("hello:app", ["--log-level", "debug"])
    assert srv.get("/some/path?q=1").status == 200
    srv.wait_for_log(r"\[DEBUG\] GET /some/path$")


def test_hook_logger_formats_and_logs_tracebacks(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"])
    (worker,) = srv.workers()
    srv.wait_for_log(rf"\[{worker}\] \[INFO\] post_fork hook in worker {worker}$")
    srv.wait_for_log(rf"\[{worker}\] \[INFO\] post_worker_init hook: age 1$")
    assert srv.get("/log-exception").status == 200
    srv.wait_for_log(rf"\[{worker}\] \[ERROR\] caught in post_request /log-exception\n"
                     r"Traceback \(most recent call last\):\n(.*\n)*?ZeroDivisionError: division by zero$")


# ---------------------------------------------------------------- hooks that raise

def test_post_request_that_raises_is_logged_and_ignored(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RAISE": "post_request"})
    for _ in range(2):
        assert srv.get("/").status == 200
    srv.wait_for_log(r"Exception in post_request hook\nTraceback \(most recent call last\):"
                     r"(\n.*)*?\nValueError: boom in post_request", count=2)
    assert srv.alive()


def test_pre_request_that_raises_fails_the_request(start_server):
    srv = start_server("slow:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RAISE": "pre_request"})
    r = srv.get("/sleep/0")
    assert r.status == 500
    srv.wait_for_log(r"Error handling request /sleep/0\nTraceback.*(\n.*)*?\n"
                     r"ValueError: boom in pre_request")
    (post,) = wait_hooks(srv, "post_request")
    assert post["environ_path"] is None and "status" not in post  # environ {} and resp None
    assert not [e for e in srv.records() if e["event"] == "start"], "the app must not run"
    assert srv.get("/sleep/0").status == 500 and srv.alive()


@pytest.mark.parametrize("hook", ["post_fork", "post_worker_init"])
def test_worker_init_hook_that_raises_fails_the_boot(run_server, hook):
    rc, log, srv = run_server("hello:app", HOOKS_CONF + ["-w", "1"],
                              env={"QILIN_TEST_HOOK_RAISE": hook})
    assert rc == 3, log
    assert "Exception in worker process" in log and f"ValueError: boom in {hook}" in log
    assert "Reason: Worker failed to boot." in log


@pytest.mark.parametrize("hook", ["nworkers_changed", "on_starting", "when_ready"])
def test_start_hook_that_raises_stops_the_start(run_server, hook):
    rc, log, srv = run_server("hello:app", HOOKS_CONF + ["-w", "1"],
                              env={"QILIN_TEST_HOOK_RAISE": hook})
    assert rc == 1, log
    assert f"ValueError: boom in {hook}" in log and "Traceback" in log
    assert hooks(srv, "pre_fork") == []


def test_pre_fork_that_raises_ends_the_main_loop(run_server):
    rc, log, srv = run_server("hello:app", HOOKS_CONF + ["-w", "1"],
                              env={"QILIN_TEST_HOOK_RAISE": "pre_fork"})
    assert rc == 255, log
    assert "Unhandled exception in main loop" in log and "ValueError: boom in pre_fork" in log
    assert hooks(srv, "post_fork") == [] and hooks(srv, "on_exit") == []


def test_child_exit_that_raises_ends_the_main_loop(start_server):
    # One worker: with more, gunicorn's quick stop reaps the others, calls
    # child_exit again, and that second exception escapes (exit 1); qilin
    # logs it and keeps gunicorn's 255.
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RAISE": "child_exit"})
    (victim,) = srv.workers()
    os.kill(victim, signal.SIGKILL)
    assert srv.wait_exit(15) == 255
    log = srv.log()
    assert "Unhandled exception in main loop" in log and "ValueError: boom in child_exit" in log
    assert hooks(srv, "on_exit") == []


def test_worker_exit_that_raises_is_logged(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RAISE": "worker_exit"})
    assert srv.stop(signal.SIGTERM, timeout=15) == 0
    log = srv.log()
    assert "[WARNING] Exception during worker exit:\nTraceback" in log
    assert "ValueError: boom in worker_exit" in log
    assert [e["hook"] for e in hooks(srv)][-2:] == ["child_exit", "on_exit"]


def test_worker_int_that_raises_is_logged_and_the_worker_replaced(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RAISE": "worker_int"})
    (old,) = srv.workers()
    # The worker's signal handling is in place once it has booted.
    wait_until(lambda: [e for e in hooks(srv, "post_worker_init") if e["pid"] == old], 15,
               message="the worker to boot")
    os.kill(old, signal.SIGINT)
    wait_hooks(srv, "child_exit")
    srv.wait_workers(lambda w: len(w) == 1 and old not in w, message="a replacement")
    wait_until(lambda: "ValueError: boom in worker_int" in srv.log(), 10,
               message="the worker_int traceback")
    log = srv.log()
    assert "Traceback" in log and "ValueError: boom in worker_int" in log
    assert [e["hook"] for e in hooks(srv) if e["pid"] == old][-2:] == ["worker_int", "worker_exit"]
    assert srv.get("/").status == 200


def test_on_exit_that_raises_exits_1(start_server):
    srv = start_server("hello:app", HOOKS_CONF + ["-w", "1"],
                       env={"QILIN_TEST_HOOK_RAISE": "on_exit"})
    assert srv.stop(signal.SIGTERM, timeout=15) == 1
    assert "ValueError: boom in on_exit" in srv.log()


# ---------------------------------------------------------------- the config file

@pytest.mark.gunicorn20_differs("gunicorn prints the TypeError's traceback")
def test_hook_with_the_wrong_arity_is_refused_in_one_line(run_server):
    rc, log, srv = run_server("hello:app", ["-c", "hooks_bad_arity.py"])
    assert rc == 1
    lines = [l for l in log.splitlines() if l.strip()]
    assert len(lines) == 1, log
    assert "post_fork" in lines[0] and "arity of: 2" in lines[0]


def test_hook_named_by_a_dotted_string(start_server):
    srv = start_server("hello:app", ["-c", "hooks_dotted.py"])
    (worker,) = srv.workers()
    (e,) = wait_hooks(srv, "post_fork")
    assert e["pid"] == e["worker_pid"] == worker and e["age"] == 1


@pytest.mark.gunicorn20_differs("gunicorn prints the TypeError's traceback")
@pytest.mark.parametrize("name,why", [
    ("hooks_funcs.nope", "Can not load 'nope' from 'hooks_funcs'"),
    ("nodots", "is not import string"),
    ("no_such_module.f", "No module named 'no_such_module'"),
    ("hooks_funcs.not_callable", "callable"),
    ("hooks_funcs.one_argument", "arity of: 2"),
])
def test_hook_named_by_a_bad_dotted_string_is_refused(run_server, name, why):
    rc, log, srv = run_server("hello:app", ["-c", "hooks_dotted.py"],
                              env={"QILIN_TEST_HOOK_NAME": name})
    assert rc == 1
    lines = [l for l in log.splitlines() if l.strip()]
    assert len(lines) == 1 and "post_fork" in lines[0] and why in lines[0], log


def test_print_config_shows_hooks(run_server):
    rc, log, srv = run_server("hello:app", HOOKS_CONF + ["--print-config"])
    assert rc == 0, log
    out = srv.stdout_path.read_text()
    settings = dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line)
    settings = {k.strip(): v for k, v in settings.items()}
    assert settings["post_fork"] == "<post_fork()>"
    assert settings["nworkers_changed"] == "<nworkers_changed()>"
    assert settings["pre_exec"] == "<PreExec.pre_exec()>"  # left at its default
