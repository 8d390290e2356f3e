// What a qilin worker process runs, in Python terms: implements
// arbiter::WorkerRuntime. Keeps CPython consistent across fork(), loads the
// application after fork (or uses the one the master preloaded), then runs
// the sync worker with the GIL released outside the application.
#pragma once

#include <string>

#include "arbiter/worker_runtime.h"
#include "python/py_ref.h"

namespace qilin::python {

struct RuntimeOptions {
  std::string app_spec;
  bool multiprocess = false;  // more than one worker
  bool sendfile = true;
};

class PythonRuntime : public arbiter::WorkerRuntime {
 public:
  explicit PythonRuntime(RuntimeOptions options) : options_(std::move(options)) {}
  // With --preload: the master loads the app once, before forking.
  void set_preloaded_app(PyRef app) { preloaded_ = std::move(app); }

  void before_fork() override;
  void after_fork_parent() override;
  int run_worker(const arbiter::WorkerContext& context) override;

 private:
  RuntimeOptions options_;
  PyRef preloaded_;
};

// Loads the app, reporting a failure as gunicorn does: the traceback (when
// the import itself raised) in the error log, and one clear line on stderr.
PyRef load_app_or_report(const std::string& spec, log::ErrorLog& log);

}  // namespace qilin::python
