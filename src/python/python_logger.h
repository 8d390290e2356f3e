// The Python logging path, taken instead of the native logs when the
// settings ask for Python's `logging`: `logconfig` (an INI file),
// `logconfig_json`, `logconfig_dict`, or a `logger_class` other than
// gunicorn's default. A logger object with the interface of gunicorn's
// `gunicorn.glogging.Logger` is made once, in the master: the user's class,
// or qilin's own (`qilin_logging.Logger`, which sets up the `gunicorn.error`
// and `gunicorn.access` loggers the way gunicorn does and then applies the
// logging configuration). Every error-log line then goes to its
// critical/error/warning/info/debug method, and every request to its
// access(resp, req, environ, request_time), so existing dictConfigs,
// handlers, formatters and logger classes work unchanged. USR1 calls its
// reopen_files(). With none of these settings nothing here runs and the
// logs stay native.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/result.h"
#include "log/error_log.h"
#include "python/py_ref.h"
#include "worker/app.h"

namespace qilin::python {

class PythonLogger : public log::LineSink {
 public:
  // nullptr when the settings keep the native logs; an error (RuntimeError's
  // text, gunicorn's "Error: ..." line) when the configuration fails.
  // Call with the GIL held. `config` outlives the logger.
  static Result<std::unique_ptr<PythonLogger>> create(const config::Config& config);
  ~PythonLogger() override;

  // log::LineSink: one error-log line (takes the GIL).
  void emit(log::Level level, std::string_view message) override;
  // One finished request; with the GIL held (in the worker, after the app).
  void access(const worker::Exchange& exchange, PyObject* environ, int64_t duration_us, bool keeps_alive);
  void reopen_files();  // takes the GIL

 private:
  explicit PythonLogger(PyRef logger);
  PyRef logger_;
  PyRef timedelta_;
  PyRef methods_[5];  // bound debug, info, warning, error, critical
};

}  // namespace qilin::python
