#include "python/python_logger.h"

#include <string>

#include "log/log_file.h"
#include "python/hook_objects.h"
#include "python/interpreter.h"

namespace qilin::python {

namespace {

constexpr char kModuleSource[] =
#include "python/qilin_logging.py.inc"
    ;

PyRef logging_module() { return embedded_module("qilin_logging", kModuleSource); }

// logger_class values that mean gunicorn's own logger, which qilin's native
// logs (with StatsD when statsd_host is set) stand in for.
bool is_default_logger(std::string_view name) {
  return name == "gunicorn.glogging.Logger" || name == "simple" ||
         name == "gunicorn.instrument.statsd.Statsd";
}

// The class named by a dotted path ("pkg.mod.Class"), or a class object.
PyRef load_class(const config::Value& value) {
  if (const auto* handle = std::get_if<config::PyHandle>(&value)) {
    return PyRef::borrow(static_cast<PyObject*>(handle->object));
  }
  const std::string& path = std::get<std::string>(value);
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || path.starts_with("egg:")) {
    PyErr_Format(PyExc_RuntimeError, "class uri '%s' invalid or not found", path.c_str());
    return PyRef();
  }
  PyRef module = PyRef::steal(PyImport_ImportModule(path.substr(0, dot).c_str()));
  if (!module) return PyRef();
  return PyRef::steal(PyObject_GetAttrString(module.get(), path.c_str() + dot + 1));
}

// A RuntimeError's message alone (gunicorn prints those as "Error: <message>"),
// else "TypeName: message"; clears the exception.
std::string take_failure_text() {
  if (!PyErr_ExceptionMatches(PyExc_RuntimeError)) return take_exception_line();
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  PyRef t = PyRef::steal(type), v = PyRef::steal(value), b = PyRef::steal(tb);
  return v ? str_of(v.get()) : "RuntimeError";
}

void reopen_hook(void* self) { static_cast<PythonLogger*>(self)->reopen_files(); }

}  // namespace

Result<std::unique_ptr<PythonLogger>> PythonLogger::create(const config::Config& config) {
  using R = Result<std::unique_ptr<PythonLogger>>;
  const config::Value& cls = config.value("logger_class");
  const bool default_class =
      std::holds_alternative<std::string>(cls) && is_default_logger(std::get<std::string>(cls));
  const bool logconfig = !config.is_none("logconfig") || !config.is_none("logconfig_json") ||
                         config.handle("logconfig_dict").object != nullptr;
  if (default_class && !logconfig) return R(std::unique_ptr<PythonLogger>());

  if (!init_hook_types()) return R::error("Error: " + take_exception_line());
  PyRef logger_class;
  if (default_class) {
    PyRef module = logging_module();
    if (module) logger_class = PyRef::steal(PyObject_GetAttrString(module.get(), "Logger"));
  } else {
    logger_class = load_class(cls);
  }
  PyRef cfg = logger_class ? new_config_view(config) : PyRef();
  PyRef logger = cfg ? PyRef::steal(PyObject_CallOneArg(logger_class.get(), cfg.get())) : PyRef();
  if (!logger) {
    // gunicorn turns the configuration's failures into "Error: <message>".
    return R::error("Error: " + take_failure_text());
  }
  std::unique_ptr<PythonLogger> made(new PythonLogger(std::move(logger)));
  static const char* const kMethods[] = {"debug", "info", "warning", "error", "critical"};
  for (int i = 0; i < 5; ++i) {
    made->methods_[i] = PyRef::steal(PyObject_GetAttrString(made->logger_.get(), kMethods[i]));
    if (!made->methods_[i]) return R::error("Error: the logger class has no " + std::string(kMethods[i]) + "()");
  }
  PyRef datetime = PyRef::steal(PyImport_ImportModule("datetime"));
  if (datetime) made->timedelta_ = PyRef::steal(PyObject_GetAttrString(datetime.get(), "timedelta"));
  if (!made->timedelta_) return R::error("Error: " + take_exception_line());
  log::LogFile::also_on_reopen_all(reopen_hook, made.get());
  return R(std::move(made));
}

PythonLogger::PythonLogger(PyRef logger) : logger_(std::move(logger)) {}

PythonLogger::~PythonLogger() {
  // Destroyed as the process exits, possibly after the interpreter: the
  // references go with the process instead of being released.
  (void)logger_.release();
  (void)timedelta_.release();
  for (PyRef& method : methods_) (void)method.release();
}

void PythonLogger::emit(log::Level level, std::string_view message) {
  int index = level == log::Level::kDebug     ? 0
              : level == log::Level::kInfo    ? 1
              : level == log::Level::kWarning ? 2
              : level == log::Level::kError   ? 3
                                              : 4;
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  GilAcquire gil;
  PyRef text = PyRef::steal(PyUnicode_DecodeUTF8(message.data(), Py_ssize_t(message.size()), "replace"));
  PyRef result = text ? PyRef::steal(PyObject_CallOneArg(methods_[index].get(), text.get())) : PyRef();
  if (!result) PyErr_Print();  // a broken handler: say so on stderr, keep serving
}

void PythonLogger::access(const worker::Exchange& ex, PyObject* environ, int64_t duration_us,
                          bool keeps_alive) {
  if (!environ) return;  // the request never reached the app: no access line, as gunicorn
  PyRef req = new_hook_request(ex.request, ex.connection.peer());
  PyRef resp = req ? new_hook_response(ex.response, ex.request, keeps_alive) : PyRef();
  PyRef elapsed = resp ? PyRef::steal(PyObject_CallFunction(timedelta_.get(), "iiL", 0, 0,
                                                            static_cast<long long>(duration_us)))
                       : PyRef();
  PyRef result = elapsed ? PyRef::steal(PyObject_CallMethod(logger_.get(), "access", "OOOO",
                                                            resp.get(), req.get(), environ,
                                                            elapsed.get()))
                         : PyRef();
  if (!result) PyErr_Print();
}

void PythonLogger::reopen_files() {
  GilAcquire gil;
  PyRef result = PyRef::steal(PyObject_CallMethod(logger_.get(), "reopen_files", nullptr));
  if (!result) PyErr_Print();
}

}  // namespace qilin::python
