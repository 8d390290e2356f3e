"""Process titles (proc_name, default_proc_name): what ps shows for the
master and the workers, as gunicorn shows "gunicorn: master [name]"."""
from pathlib import Path


def cmdline(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()


def test_name_sets_master_and_worker_titles(start_server):
    srv = start_server("hello:app", ["-n", "shop-api", "-w", "2"])
    assert cmdline(srv.master_pid) == "qilin: master [shop-api]"
    workers = srv.workers()
    assert len(workers) == 2
    assert all(cmdline(pid) == "qilin: worker [shop-api]" for pid in workers)
    # The kernel's short name stays, so `pkill qilin` keeps working.
    assert Path(f"/proc/{srv.master_pid}/comm").read_text().strip() == "qilin"


def test_default_name_is_the_app_spec(start_server):
    srv = start_server("hello:app")
    assert cmdline(srv.master_pid) == "qilin: master [hello:app]"
    (worker,) = srv.workers()
    assert cmdline(worker) == "qilin: worker [hello:app]"
