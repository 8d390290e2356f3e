// The seam between the master and whatever a worker process runs (the python
// layer implements it). The master only forks; the runtime decides what the
// child does and keeps the interpreter consistent across fork(). In the
// child the master calls, in order: after_fork_child(), the post_fork hook,
// run_worker(), the worker_exit hook, exit_worker(), then _exit().
#pragma once

#include <sys/types.h>

#include <vector>

#include "log/error_log.h"
#include "sys/heartbeat_table.h"
#include "sys/metrics_table.h"
#include "sys/listener.h"
#include "worker/worker_options.h"

namespace qilin::arbiter {

struct WorkerContext {
  int age = 0;   // spawn sequence number
  int slot = 0;  // heartbeat slot
  const std::vector<sys::Listener>& listeners;
  sys::HeartbeatTable& heartbeat;
  log::ErrorLog& log;
  const worker::WorkerOptions& options;
  sys::WorkerMetrics* metrics = nullptr;  // this worker's counters, with --metrics-bind
};

class WorkerRuntime {
 public:
  virtual ~WorkerRuntime() = default;
  virtual void before_fork() = 0;
  virtual void after_fork_parent() = 0;
  // In the child, first thing after fork.
  virtual void after_fork_child() = 0;
  // In the child. Loads the application (unless it was preloaded) and
  // serves, marking its heartbeat slot ready once it accepts connections
  // (on HUP the master retires old workers only when new ones are ready).
  // Returns the exit code: 0, 1 (aborted), 3 (boot error) or 4
  // (application load error).
  virtual int run_worker(const WorkerContext& context) = 0;
  // In the child, last thing before _exit() (atexit handlers).
  virtual void exit_worker() = 0;
};

}  // namespace qilin::arbiter
