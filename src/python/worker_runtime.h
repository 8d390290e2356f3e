// What a qilin worker process runs, in Python terms: implements
// arbiter::WorkerRuntime. Keeps CPython consistent across fork() (the master
// runs without the GIL and takes it to fork), installs the worker's signal
// handling (worker_interrupts.h), loads the application after fork (or uses
// the one the master preloaded), calls post_worker_init, then runs the
// chosen worker kind with the GIL released outside the application.
#pragma once

#include <string>

#include "arbiter/worker_runtime.h"
#include "log/access_log.h"
#include "python/py_ref.h"
#include "python/python_hooks.h"

namespace qilin::python {

class PythonLogger;

struct RuntimeOptions {
  std::string app_spec;
  bool multiprocess = false;  // more than one worker
  bool sendfile = true;
  const log::AccessLog* access_log = nullptr;  // owned by main; may be disabled
  PythonLogger* python_logger = nullptr;       // owned by main; set: Python logging instead
  bool spew = false;                           // --spew: trace every line the app runs
};

class PythonRuntime : public arbiter::WorkerRuntime {
 public:
  // `hooks` must outlive this object.
  PythonRuntime(RuntimeOptions options, PythonHooks& hooks)
      : options_(std::move(options)), hooks_(hooks) {}
  // With --preload: the master loads the app once, before forking. Every
  // later worker serves it; HUP does not load it again.
  void set_preloaded_app(PyRef app) { preloaded_ = std::move(app); }
  bool has_preloaded_app() const { return bool(preloaded_); }
  // HUP: what the workers forked from now on run with (without --preload,
  // they import the application afresh after fork).
  void set_options(RuntimeOptions options) { options_ = std::move(options); }

  void before_fork() override;
  void after_fork_parent() override;
  void after_fork_child() override;
  int run_worker(const arbiter::WorkerContext& context) override;
  void exit_worker() override;

 private:
  // Builds the worker kind the settings chose around the loaded app and
  // runs it; its exit code.
  int serve(const arbiter::WorkerContext& context, PyRef app, const std::string& broken_file);
  // The preloaded app, or the one loaded now (null when it fails, reported).
  // With --reload, an app with a SyntaxError becomes the fail app that shows
  // it, and `broken_file` names the file to watch for the fix.
  PyRef load_app(const arbiter::WorkerContext& context, std::string* broken_file);

  RuntimeOptions options_;
  PythonHooks& hooks_;
  PyRef preloaded_;
  PyGILState_STATE fork_gil_ = PyGILState_UNLOCKED;  // held from before_fork to after_fork_parent
};

// Loads the app, reporting a failure as gunicorn does: the traceback (when
// the import itself raised) in the error log, and one clear line on stderr.
PyRef load_app_or_report(const std::string& spec, log::ErrorLog& log);

}  // namespace qilin::python
