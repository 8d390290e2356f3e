#include "python/worker_runtime.h"

#include <unistd.h>

#include "python/app_loader.h"
#include "python/interpreter.h"
#include "python/worker_interrupts.h"
#include "python/wsgi_app.h"
#include "worker/loop_worker.h"

namespace qilin::python {

namespace {
constexpr int kWorkerBootError = 3;
constexpr int kAppLoadError = 4;
}  // namespace

PyRef load_app_or_report(const std::string& spec, log::ErrorLog& log) {
  AppLoadFailure failure;
  PyRef app = load_wsgi_app(spec, &failure);
  if (app) return app;
  if (!failure.traceback.empty()) {
    log.error("Exception while loading the application\n" + failure.traceback);
  } else {
    std::string line = failure.message + "\n";
    (void)!::write(2, line.data(), line.size());
  }
  return PyRef();
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
  PyRef app = preloaded_ ? preloaded_ : load_app_or_report(options_.app_spec, context.log);
  // An INT/QUIT/ABRT during the import ends the worker as it asked.
  if (!app) return interrupt_exit_code().value_or(kAppLoadError);
  if (Status s = hooks_.post_worker_init(app.get()); !s) {
    if (auto code = interrupt_exit_code()) return *code;
    context.log.error("Exception in worker process\n" + s.message());
    return kWorkerBootError;
  }
  return finish_worker_interrupts(serve(context, std::move(app)));
}

void PythonRuntime::exit_worker() {
  GilAcquire gil;
  run_atexit_handlers();
}

// ---- The worker kind. The one place that chooses and builds the serve loop.
int PythonRuntime::serve(const arbiter::WorkerContext& context, PyRef app) {
  const bool gthread = context.options.kind == "gthread";
  WsgiApp wsgi(std::move(app), context.log, hooks_, options_.multiprocess,
               /*multithread=*/gthread && context.options.threads > 1,
               options_.sendfile && context.options.sendfile, /*keeps_alive=*/gthread);
  if (!wsgi.init()) return kWorkerBootError;
  wsgi.set_access_log(options_.access_log);
  wsgi.set_python_logger(options_.python_logger);
  wsgi.set_metrics(context.metrics);
  GilRelease unlocked;  // the loop runs without the GIL; the app takes it per request
  worker::LoopWorker worker(context.options, context.listeners, context.heartbeat, context.slot,
                            context.log, wsgi);
  return worker.run();
}

}  // namespace qilin::python
