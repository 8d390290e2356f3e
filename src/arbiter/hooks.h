// The seam between the master and the server hooks (gunicorn's
// cfg.<hook>(server, ...)): the arbiter says *when* (gunicorn's moments, in
// gunicorn's order), the python layer implements *what* (the user's
// callables and the `server` and `worker` objects they receive). No Python
// type crosses this header.
//
// Workers are named by their age (spawn sequence number), which is known
// before the fork and never reused. Every method returns ok, or, when the
// hook raised, an error whose message is the formatted traceback; the
// arbiter decides what a failure means (gunicorn: a hook raising in the
// master's loop stops the server). Called from the master's single thread,
// or from the worker process between fork and exit.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "arbiter/worker_runtime.h"
#include "core/result.h"

namespace qilin::arbiter {

// What hooks may read and change in the master; the `server` object is a
// view of it. Implemented by the Arbiter.
class MasterView {
 public:
  virtual ~MasterView() = default;
  virtual pid_t pid() const = 0;
  // USR2 state, as gunicorn's arbiter shows it: "Master", or "Master.2" for
  // a master executed by USR2 until the old one exits; the old master's pid
  // meanwhile (else 0); the new master's pid in the old one (else 0);
  // whether the sockets came from systemd; the process name ("NAME.2"
  // while not promoted).
  virtual std::string master_name() const = 0;
  virtual pid_t master_pid() const = 0;
  virtual pid_t reexec_pid() const = 0;
  virtual bool systemd() const = 0;
  virtual std::string proc_name() const = 0;
  virtual int num_workers() const = 0;
  // Changes the count the master keeps (it acts on its next pass). Does not
  // fire nworkers_changed: whoever changes the count fires it.
  virtual void set_num_workers(int count) = 0;
};

class Hooks {
 public:
  virtual ~Hooks() = default;

  // Once, before any hook: the master the `server` object shows.
  virtual void attach(MasterView& master) = 0;

  // ---- in the master
  // Every change of the worker count; `old_value` is empty the first time.
  virtual Status nworkers_changed(int new_value, std::optional<int> old_value) = 0;
  virtual Status on_starting() = 0;
  virtual Status when_ready() = 0;
  virtual Status on_reload() = 0;
  // Just before fork(); the worker object is made here, its pid "[booting]".
  virtual Status pre_fork(const WorkerContext& worker) = 0;
  // In the master right after fork(): the worker now has a pid (server.WORKERS).
  virtual void forked(int age, pid_t pid) = 0;
  // The master sent SIGABRT for a missed heartbeat (worker.aborted).
  virtual void aborted(int age) = 0;
  // After the worker was reaped (it leaves server.WORKERS first).
  virtual Status child_exit(int age) = 0;
  virtual Status on_exit() = 0;

  // ---- in the master's forked child, just before it executes the new
  // master (USR2). A failure abandons the upgrade.
  virtual Status pre_exec() = 0;

  // ---- in the worker process
  // Right after fork, before the worker loads the application. A failure
  // means the worker failed to boot.
  virtual Status post_fork(const WorkerContext& worker) = 0;
  // As the worker process exits; also in the master for a worker whose pid
  // had already vanished when it was signalled.
  virtual Status worker_exit(int age) = 0;
};

// No hooks at all (a master without Python).
class NoHooks final : public Hooks {
 public:
  void attach(MasterView&) override {}
  Status nworkers_changed(int, std::optional<int>) override { return Status::ok(); }
  Status on_starting() override { return Status::ok(); }
  Status when_ready() override { return Status::ok(); }
  Status on_reload() override { return Status::ok(); }
  Status pre_fork(const WorkerContext&) override { return Status::ok(); }
  void forked(int, pid_t) override {}
  void aborted(int) override {}
  Status child_exit(int) override { return Status::ok(); }
  Status on_exit() override { return Status::ok(); }
  Status pre_exec() override { return Status::ok(); }
  Status post_fork(const WorkerContext&) override { return Status::ok(); }
  Status worker_exit(int) override { return Status::ok(); }
};

}  // namespace qilin::arbiter
