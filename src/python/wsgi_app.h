// The WSGI bridge: implements worker::App by calling a Python WSGI
// application. Takes the GIL for the request (the worker loop runs without
// it), builds environ, calls the app, writes what it returns, always calls
// close(), and turns exceptions into a 500 and a traceback in the error log.
// One per worker thread.
#pragma once

#include "log/error_log.h"
#include "python/environ_builder.h"
#include "python/py_ref.h"
#include "worker/app.h"

namespace qilin::python {

class WsgiApp : public worker::App {
 public:
  // `app` is the loaded callable. The calling thread must hold the GIL; the
  // worker later calls handle() from a thread that does not.
  WsgiApp(PyRef app, log::ErrorLog& log, bool multiprocess, bool multithread, bool sendfile);
  bool init();  // false with the reason logged
  bool handle(worker::Exchange& exchange) override;
  // Each application thread keeps one Python thread state for its life, so
  // taking the GIL per request is cheap.
  void thread_started() override;
  void thread_stopping() override;

 private:
  // Writes the iterable the app returned. False with a Python error set, or
  // with `*broken` set when the client went away.
  bool write_result(PyObject* result, worker::ResponseWriter& response, bool* broken);
  bool write_file_wrapper(PyObject* filelike, worker::ResponseWriter& response, bool* handled,
                          bool* broken);
  // Logs the pending exception; sends a 500 if nothing was sent. Returns
  // whether the connection may still be closed gracefully.
  bool fail(worker::Exchange& exchange, const std::string& what);

  PyRef app_;
  log::ErrorLog& log_;
  bool multiprocess_, multithread_, sendfile_;
  PyRef errors_;
  EnvironBuilder environ_;
  PyRef close_name_;
};

}  // namespace qilin::python
