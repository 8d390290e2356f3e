// `log`: gunicorn's logger as hooks use it (server.log, worker.log). Methods
// take logging's arguments, msg % args and exc_info, and write one entry to
// qilin's error log at the matching level. exception() adds the traceback
// of the exception being handled, as logging does.
#include <string>

#include "log/log_file.h"
#include "log/statsd.h"
#include "python/hook_objects.h"
#include "python/interpreter.h"

namespace qilin::python {

namespace {

struct Logger {
  PyObject_HEAD log::ErrorLog* log;
};

PyTypeObject* logger_type = nullptr;

log::Level level_of(long number) {
  if (number >= 50) return log::Level::kCritical;
  if (number >= 40) return log::Level::kError;
  if (number >= 30) return log::Level::kWarning;
  if (number >= 20) return log::Level::kInfo;
  return log::Level::kDebug;
}

// str(msg) % args, as logging.LogRecord.getMessage does; a message that
// cannot be formatted is logged with its arguments appended.
std::string render(PyObject* msg, PyObject* args) {
  PyRef text = PyRef::steal(PyObject_Str(msg));
  if (!text) {
    PyErr_Clear();
    return "<unprintable message>";
  }
  if (PyTuple_GET_SIZE(args) == 0) return text_of(text.get());
  PyObject* values = args;
  if (PyTuple_GET_SIZE(args) == 1 && PyDict_Check(PyTuple_GET_ITEM(args, 0)) &&
      PyDict_GET_SIZE(PyTuple_GET_ITEM(args, 0)) > 0) {
    values = PyTuple_GET_ITEM(args, 0);
  }
  PyRef formatted = PyRef::steal(PyUnicode_Format(text.get(), values));
  if (formatted) return text_of(formatted.get());
  PyErr_Clear();
  return text_of(text.get()) + " " + repr_of(args);
}

// The traceback that exc_info asks for, or "".
std::string exc_info_text(PyObject* exc_info) {
  if (!exc_info || !PyObject_IsTrue(exc_info)) {
    PyErr_Clear();
    return "";
  }
  PyRef value;
  if (PyExceptionInstance_Check(exc_info)) {
    value = PyRef::borrow(exc_info);
  } else if (PyTuple_Check(exc_info) && PyTuple_GET_SIZE(exc_info) == 3) {
    value = PyRef::borrow(PyTuple_GET_ITEM(exc_info, 1));
  } else {
    value = PyRef::steal(PyErr_GetHandledException());
  }
  if (!value || value.get() == Py_None) return "NoneType: None";
  return format_exception(value.get());
}

// gunicorn's custom metrics: a log call with extra={"metric": NAME, "value":
// V, "mtype": "gauge"|"counter"|"histogram"|"timer"} sends that metric to
// StatsD (when --statsd-host is set), whatever the log level.
void send_custom_metric(log::Statsd* statsd, PyObject* extra) {
  if (!statsd || !PyDict_Check(extra)) return;
  PyObject* metric = PyDict_GetItemString(extra, "metric");  // borrowed
  PyObject* value = PyDict_GetItemString(extra, "value");
  PyObject* mtype = PyDict_GetItemString(extra, "mtype");
  if (!metric || !value || value == Py_None || !mtype || !PyObject_IsTrue(metric)) return;
  const std::string type = str_of(mtype);
  const char* suffix = type == "gauge" ? "g" : type == "counter" ? "c|@1.0"
                     : type == "histogram" ? "h" : type == "timer" ? "ms" : nullptr;
  if (suffix) statsd->send_metric(str_of(metric), str_of(value), suffix);
}

PyObject* emit(PyObject* obj, log::Level level, PyObject* const* args, Py_ssize_t nargs,
               PyObject* kwnames, bool exception) {
  if (nargs < 1) {
    PyErr_SetString(PyExc_TypeError, "a message is required");
    return nullptr;
  }
  log::ErrorLog& log = *reinterpret_cast<Logger*>(obj)->log;
  PyObject* exc_info = exception ? Py_True : nullptr;
  PyObject* extra = nullptr;
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    // stack_info and stacklevel are accepted and ignored.
    PyObject* name = PyTuple_GET_ITEM(kwnames, i);
    if (PyUnicode_CompareWithASCIIString(name, "exc_info") == 0) exc_info = args[nargs + i];
    if (PyUnicode_CompareWithASCIIString(name, "extra") == 0) extra = args[nargs + i];
  }
  if (extra) {
    send_custom_metric(log.statsd(), extra);
    if (log.statsd() && !PyObject_IsTrue(args[0])) Py_RETURN_NONE;  // a metric alone
  }
  // Lines below the level still count in StatsD (warning and up).
  const bool counted = log.statsd() && level >= log::Level::kWarning;
  if (!log.enabled(level) && !counted) Py_RETURN_NONE;
  PyRef rest = PyRef::steal(PyTuple_New(nargs - 1));
  if (!rest) return nullptr;
  for (Py_ssize_t i = 1; i < nargs; ++i) PyTuple_SET_ITEM(rest.get(), i - 1, Py_NewRef(args[i]));
  std::string message = render(args[0], rest.get());
  std::string tb = exc_info_text(exc_info);
  if (!tb.empty()) message += "\n" + tb;
  log.log(level, message, exception);
  Py_RETURN_NONE;
}

#define QILIN_LOG_METHOD(fn, level, exception)                                            \
  PyObject* fn(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) { \
    return emit(self, level, args, PyVectorcall_NARGS(nargsf), kwnames, exception);       \
  }
QILIN_LOG_METHOD(log_critical, log::Level::kCritical, false)
QILIN_LOG_METHOD(log_error, log::Level::kError, false)
QILIN_LOG_METHOD(log_warning, log::Level::kWarning, false)
QILIN_LOG_METHOD(log_info, log::Level::kInfo, false)
QILIN_LOG_METHOD(log_debug, log::Level::kDebug, false)
QILIN_LOG_METHOD(log_exception, log::Level::kError, true)
#undef QILIN_LOG_METHOD

// log(level, msg, *args, **kwargs)
PyObject* log_log(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs < 2) {
    PyErr_SetString(PyExc_TypeError, "log(level, msg, *args)");
    return nullptr;
  }
  long level = PyLong_AsLong(args[0]);
  if (level == -1 && PyErr_Occurred()) return nullptr;
  return emit(self, level_of(level), args + 1, nargs - 1, kwnames, false);
}

// Every log file of the process, as USR1 does.
PyObject* log_reopen_files(PyObject*, PyObject*) {
  (void)log::LogFile::reopen_all();
  Py_RETURN_NONE;
}

// access() writes the access log in gunicorn; qilin's worker writes its own,
// so a hook's call is accepted and does nothing. Same for close_on_exec().
PyObject* log_nothing(PyObject*, PyObject*, PyObject*) { Py_RETURN_NONE; }

#define QILIN_VECTORCALL(fn) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(fn))
PyMethodDef logger_methods[] = {
    {"critical", QILIN_VECTORCALL(log_critical), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"error", QILIN_VECTORCALL(log_error), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"warning", QILIN_VECTORCALL(log_warning), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"info", QILIN_VECTORCALL(log_info), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"debug", QILIN_VECTORCALL(log_debug), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"exception", QILIN_VECTORCALL(log_exception), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"log", QILIN_VECTORCALL(log_log), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"reopen_files", log_reopen_files, METH_NOARGS, nullptr},
    {"access", QILIN_VECTORCALL(log_nothing), METH_VARARGS | METH_KEYWORDS, nullptr},
    {"close_on_exec", QILIN_VECTORCALL(log_nothing), METH_VARARGS | METH_KEYWORDS, nullptr},
    {nullptr, nullptr, 0, nullptr}};
#undef QILIN_VECTORCALL

}  // namespace

bool init_logger_type() {
  static PyType_Slot slots[] = {
      {Py_tp_doc, const_cast<char*>("gunicorn's logger methods, writing to qilin's error log")},
      {Py_tp_methods, logger_methods},
      {0, nullptr}};
  static PyType_Spec spec = {"qilin.Logger", sizeof(Logger), 0, Py_TPFLAGS_DEFAULT, slots};
  logger_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  return logger_type != nullptr;
}

PyRef new_logger(log::ErrorLog& log) {
  Logger* self = PyObject_New(Logger, logger_type);
  if (!self) return PyRef();
  self->log = &log;
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

}  // namespace qilin::python
