// The WSGI bridge: implements worker::App by calling a Python WSGI
// application. Takes the GIL for the request (the worker loop runs without
// it), builds environ, calls the app, writes what it returns, always calls
// close(), and turns exceptions into a 500 and a traceback in the error log.
// Around the application it calls the pre_request and post_request hooks
// (post_request also when the application or pre_request raised).
// One per worker process; handle() may run on several threads.
#pragma once

#include "log/access_log.h"
#include "sys/metrics_table.h"
#include "log/error_log.h"
#include "python/environ_builder.h"
#include "python/py_ref.h"
#include "python/python_hooks.h"
#include "worker/app.h"

namespace qilin::python {

class PythonLogger;

class WsgiApp : public worker::App {
 public:
  // `app` is the loaded callable. The calling thread must hold the GIL; the
  // worker later calls handle() from a thread that does not. `keeps_alive`:
  // the worker kind may keep a connection open after a response (what
  // resp.should_close() tells post_request).
  WsgiApp(PyRef app, log::ErrorLog& log, PythonHooks& hooks, bool multiprocess, bool multithread,
          bool sendfile, bool keeps_alive);
  bool init();  // false with the reason logged
  // Writes an access-log line after each request when `log` is enabled.
  void set_access_log(const log::AccessLog* log) { access_log_ = log; }
  // Set: access lines go to this logger's access() instead (Python logging).
  void set_python_logger(PythonLogger* logger) { python_logger_ = logger; }
  // Set: count every request into this worker's metrics (--metrics-bind).
  void set_metrics(sys::WorkerMetrics* metrics) { metrics_ = metrics; }
  // --spew: every application thread traces the lines it runs. With the GIL
  // held, before the worker's threads start.
  void set_spew(bool on);
  bool handle(worker::Exchange& exchange) override;
  void rejected(int status) override;
  // Each application thread keeps one Python thread state for its life, so
  // taking the GIL per request is cheap.
  void thread_started() override;
  void thread_stopping() override;
  void before_wait() override;

 private:
  struct Ending;
  // Builds environ, calls the application and writes its response (a file
  // body may be left pending); whether the connection stays usable. Fills
  // `ending`'s environ and result.
  bool call_app(worker::Exchange& exchange, Ending* ending);
  // The rest of a request once its body went out: close() on the result,
  // the access log, StatsD, post_request, the metrics. Returns `ending`'s
  // usable. With the GIL held.
  bool end_exchange(worker::Exchange& exchange, Ending& ending);
  // Writes the iterable the app returned. False with a Python error set, or
  // with `*broken` set when the client went away. `*held` keeps the item
  // whose bytes are still pending in `response`.
  bool write_result(PyObject* result, worker::ResponseWriter& response, bool* broken, PyRef* held);
  bool write_file_wrapper(PyObject* filelike, worker::ResponseWriter& response, bool* handled,
                          bool* broken);
  // Logs the pending exception; sends a 500 if nothing was sent. Returns
  // whether the connection may still be closed gracefully.
  bool fail(worker::Exchange& exchange, const std::string& what);

  PyRef app_;
  log::ErrorLog& log_;
  PythonHooks& hooks_;
  bool multiprocess_, multithread_, sendfile_, keeps_alive_;
  PyRef errors_;
  EnvironBuilder environ_;
  PyRef close_name_;
  const log::AccessLog* access_log_ = nullptr;
  PythonLogger* python_logger_ = nullptr;
  sys::WorkerMetrics* metrics_ = nullptr;
  bool spew_ = false;
};

}  // namespace qilin::python
