#include "python/worker_runtime.h"

#include <unistd.h>

#include "python/app_loader.h"
#include "python/interpreter.h"
#include "python/wsgi_app.h"
#include "worker/gthread_worker.h"
#include "worker/sync_worker.h"
#include "worker/worker_signals.h"

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

void PythonRuntime::before_fork() { PyOS_BeforeFork(); }
void PythonRuntime::after_fork_parent() { PyOS_AfterFork_Parent(); }

int PythonRuntime::run_worker(const arbiter::WorkerContext& context) {
  PyOS_AfterFork_Child();
  if (!worker::WorkerSignals::install()) {
    context.log.error("cannot install the worker's signal handlers");
    return kWorkerBootError;
  }
  PyRef app = preloaded_ ? preloaded_ : load_app_or_report(options_.app_spec, context.log);
  if (!app) return kAppLoadError;

  const bool gthread = context.options.kind == "gthread";
  WsgiApp wsgi(std::move(app), context.log, options_.multiprocess,
               /*multithread=*/gthread && context.options.threads > 1,
               options_.sendfile && context.options.sendfile);
  if (!wsgi.init()) return kWorkerBootError;
  int code;
  {
    GilRelease unlocked;  // the loop runs without the GIL; the app takes it per request
    if (gthread) {
      worker::GthreadWorker worker(context.options, context.listeners, context.heartbeat,
                                   context.slot, context.log, wsgi);
      code = worker.run();
    } else {
      worker::SyncWorker worker(context.options, context.listeners, context.heartbeat,
                                context.slot, context.log, wsgi);
      code = worker.run();
    }
  }
  run_atexit_handlers();
  return code;
}

}  // namespace qilin::python
