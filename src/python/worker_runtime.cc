#include "python/worker_runtime.h"

#include <unistd.h>

#include "python/app_loader.h"
#include "python/code_reload.h"
#include "python/interpreter.h"
#include "python/worker_interrupts.h"
#include "python/wsgi_app.h"
#include "worker/loop_worker.h"

namespace qilin::python {

namespace {
constexpr int kWorkerBootError = 3;
constexpr int kAppLoadError = 4;
}  // namespace

namespace {
void report_load_failure(const AppLoadFailure& failure, log::ErrorLog& log) {
  if (!failure.traceback.empty()) {
    log.error("Exception while loading the application\n" + failure.traceback);
  } else {
    std::string line = failure.message + "\n";
    (void)!::write(2, line.data(), line.size());
  }
}
}  // namespace

PyRef load_app_or_report(const std::string& spec, log::ErrorLog& log) {
  AppLoadFailure failure;
  PyRef app = load_wsgi_app(spec, &failure);
  if (!app) report_load_failure(failure, log);
  return app;
}

PyRef PythonRuntime::load_app(const arbiter::WorkerContext& context, std::string* broken_file) {
  if (preloaded_) return preloaded_;
  AppLoadFailure failure;
  PyRef app = load_wsgi_app(options_.app_spec, &failure);
  if (app) return app;
  report_load_failure(failure, context.log);
  // gunicorn's reload mode: an app that does not compile is shown to the
  // clients instead of ending the server, and its file is watched too.
  if (!context.options.reload || !failure.syntax_error || interrupt_exit_code()) return PyRef();
  *broken_file = failure.syntax_error_file;
  app = make_fail_app(failure.traceback);
  if (!app) context.log.error("cannot make the error app: " + take_exception_line());
  return app;
}

void PythonRuntime::before_fork() {
  fork_gil_ = PyGILState_Ensure();
  PyOS_BeforeFork();
}

void PythonRuntime::after_fork_parent() {
  PyOS_AfterFork_Parent();
  PyGILState_Release(fork_gil_);
}

// The child keeps the GIL it forked with.
void PythonRuntime::after_fork_child() { PyOS_AfterFork_Child(); }

int PythonRuntime::run_worker(const arbiter::WorkerContext& context) {
  if (!install_worker_interrupts(hooks_)) return kWorkerBootError;
  std::string broken_file;  // --reload: the file whose SyntaxError is served
  PyRef app = load_app(context, &broken_file);
  // An INT/QUIT/ABRT during the import ends the worker as it asked.
  if (!app) return interrupt_exit_code().value_or(kAppLoadError);
  if (Status s = hooks_.post_worker_init(app.get()); !s) {
    if (auto code = interrupt_exit_code()) return *code;
    context.log.error("Exception in worker process\n" + s.message());
    return kWorkerBootError;
  }
  return finish_worker_interrupts(serve(context, std::move(app), broken_file));
}

void PythonRuntime::exit_worker() {
  GilAcquire gil;
  run_atexit_handlers();
}

// ---- The worker kind. The one place that chooses and builds the serve loop.
int PythonRuntime::serve(const arbiter::WorkerContext& context, PyRef app,
                         const std::string& broken_file) {
  const bool gthread = context.options.kind == "gthread";
  WsgiApp wsgi(std::move(app), context.log, hooks_, options_.multiprocess,
               /*multithread=*/gthread && context.options.threads > 1,
               options_.sendfile && context.options.sendfile, /*keeps_alive=*/gthread);
  if (!wsgi.init()) return kWorkerBootError;
  wsgi.set_access_log(options_.access_log);
  wsgi.set_python_logger(options_.python_logger);
  wsgi.set_metrics(context.metrics);
  wsgi.set_spew(options_.spew);
  std::unique_ptr<worker::CodeReloader> reloader;
  if (context.options.reload) {
    // Started once the app is loaded, as gunicorn's, so its modules are in.
    auto made = worker::CodeReloader::create(context.options.reload_engine,
                                             context.options.reload_extra_files,
                                             loaded_module_files);
    if (!made) {
      context.log.error(made.message());
      return kWorkerBootError;
    }
    reloader = std::move(*made);
    if (!broken_file.empty()) reloader->add_file(broken_file);
    context.log.debug(std::string("Reloading on code changes, watched by ") +
                      reloader->engine_name());
  }
  GilRelease unlocked;  // the loop runs without the GIL; the app takes it per request
  worker::LoopWorker worker(context.options, context.listeners, context.heartbeat, context.slot,
                            context.log, wsgi);
  if (reloader) {
    worker.set_code_reloader(reloader.get(), [this, &context] {
      GilAcquire gil;
      if (Status s = hooks_.worker_int(); !s) {
        context.log.error("Exception in worker_int hook\n" + s.message());
      }
    });
  }
  return worker.run();
}

}  // namespace qilin::python
