#include "python/config_file.h"

#include <sys/stat.h>

#include "config/setting_table.h"
#include "python/interpreter.h"
#include "python/py_ref.h"

namespace qilin::python {

namespace {

std::string repr(PyObject* o) {
  PyRef r = PyRef::steal(PyObject_Repr(o));
  const char* s = r ? PyUnicode_AsUTF8(r.get()) : nullptr;
  if (!s) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return s;
}

Result<std::string> utf8(PyObject* o) {
  const char* s = PyUnicode_AsUTF8(o);
  if (!s) {
    PyErr_Clear();
    return Result<std::string>::error("not valid text");
  }
  return std::string(s);
}

// The number of positional parameters a callable takes, or -1 when unknown.
int positional_arity(PyObject* callable) {
  PyRef inspect = PyRef::steal(PyImport_ImportModule("inspect"));
  if (!inspect) return -1;
  PyRef spec = PyRef::steal(PyObject_CallMethod(inspect.get(), "getfullargspec", "O", callable));
  if (!spec) {
    PyErr_Clear();
    return -1;
  }
  PyRef args = PyRef::steal(PyObject_GetAttrString(spec.get(), "args"));
  int n = args ? int(PyList_Size(args.get())) : -1;
  if (PyObject_IsInstance(callable, reinterpret_cast<PyObject*>(&PyMethod_Type)) == 1) --n;
  PyErr_Clear();
  return n;
}

// Converts a config-file value to the row's Value alternative. The row's
// validator then checks it like any other value.
Result<config::Value> to_value(const config::Setting& row, PyObject* o) {
  using config::ValueType;
  auto bad = [&]() {
    return Result<config::Value>::error("Invalid value for " + std::string(row.name) + ": " + repr(o));
  };
  if (o == Py_None) return config::Value(std::monostate{});
  switch (row.type) {
    case ValueType::kHook: {
      if (!PyCallable_Check(o)) {
        return Result<config::Value>::error("Value for " + std::string(row.name) + " must be callable: " + repr(o));
      }
      int n = positional_arity(o);
      if (n >= 0 && (n < row.arity.first || n > row.arity.second)) {
        return Result<config::Value>::error("Value for " + std::string(row.name) + " must have an arity of: " +
                                            std::to_string(row.arity.first) + ": " + repr(o));
      }
      return config::Value(config::PyHandle{Py_NewRef(o)});
    }
    case ValueType::kObject: return config::Value(config::PyHandle{Py_NewRef(o)});
    case ValueType::kClass:
      if (PyUnicode_Check(o)) break;
      return config::Value(config::PyHandle{Py_NewRef(o)});
    case ValueType::kBool:
      if (PyBool_Check(o)) return config::Value(o == Py_True);
      break;
    case ValueType::kInt:
      if (PyLong_Check(o) && !PyBool_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred()) {
          PyErr_Clear();
          return bad();
        }
        return config::Value(int64_t(v));
      }
      break;
    case ValueType::kList:
      if (PyList_Check(o) || PyTuple_Check(o)) {
        std::vector<std::string> items;
        PyRef seq = PyRef::steal(PySequence_Fast(o, "list"));
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.get()); ++i) {
          PyObject* item = PySequence_Fast_GET_ITEM(seq.get(), i);
          if (!PyUnicode_Check(item)) return bad();
          auto s = utf8(item);
          if (!s) return bad();
          items.push_back(*s);
        }
        return config::Value(std::move(items));
      }
      break;
    case ValueType::kMap:
      if (PyDict_Check(o)) {
        config::StringMap map;
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v)) {
          if (!PyUnicode_Check(k) || !PyUnicode_Check(v)) return bad();
          auto ks = utf8(k), vs = utf8(v);
          if (!ks || !vs) return bad();
          map[*ks] = *vs;
        }
        return config::Value(std::move(map));
      }
      break;
    default: break;
  }
  // Anything else arrives as text, as a command-line value would, or as an
  // int for numeric settings.
  if (PyUnicode_Check(o)) {
    auto s = utf8(o);
    if (!s) return bad();
    return config::Value(*s);
  }
  if (PyLong_Check(o) && !PyBool_Check(o)) {
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return bad();
    }
    return config::Value(int64_t(v));
  }
  if (PyBool_Check(o)) return config::Value(o == Py_True);
  return bad();
}

// Executes the file or module; returns its namespace.
Result<PyRef> execute(const std::string& location) {
  if (location.rfind("python:", 0) == 0) {
    std::string module = location.substr(7);
    PyRef mod = PyRef::steal(PyImport_ImportModule(module.c_str()));
    if (!mod) {
      return Result<PyRef>::error("Failed to read config file: " + location + "\n" + take_traceback());
    }
    return PyRef::borrow(PyModule_GetDict(mod.get()));
  }
  std::string path = location.rfind("file:", 0) == 0 ? location.substr(5) : location;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Result<PyRef>::error("Error: '" + path + "' doesn't exist");
  // Executed as a module named __config__, as gunicorn does, whatever the
  // file's extension.
  PyRef ns;
  PyRef io = PyRef::steal(PyImport_ImportModule("io"));
  PyRef file = io ? PyRef::steal(PyObject_CallMethod(io.get(), "open_code", "s", path.c_str())) : PyRef();
  PyRef source = file ? PyRef::steal(PyObject_CallMethod(file.get(), "read", nullptr)) : PyRef();
  if (file) PyRef::steal(PyObject_CallMethod(file.get(), "close", nullptr));
  PyRef code = source ? PyRef::steal(Py_CompileStringExFlags(PyBytes_AsString(source.get()), path.c_str(),
                                                               Py_file_input, nullptr, -1))
                      : PyRef();
  PyRef module = code ? PyRef::steal(PyModule_New("__config__")) : PyRef();
  if (module) {
    PyObject* dict = PyModule_GetDict(module.get());  // borrowed
    PyRef file_name = PyRef::steal(PyUnicode_DecodeFSDefault(path.c_str()));
    PyDict_SetItemString(dict, "__file__", file_name.get());
    PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins());
    PyRef done = PyRef::steal(PyEval_EvalCode(code.get(), dict, dict));
    if (done) ns = PyRef::borrow(dict);
    // Keep the module alive: hooks defined in it refer to its globals.
    if (done) module.release();
  }
  if (!ns) return Result<PyRef>::error("Failed to read config file: " + path + "\n" + take_traceback());
  return ns;
}

}  // namespace

Status load_config_file(const std::string& location, config::Config& config) {
  auto ns = execute(location);
  if (!ns) return ns.status();
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (PyDict_Next(ns->get(), &pos, &key, &value)) {
    if (!PyUnicode_Check(key)) continue;
    const char* name = PyUnicode_AsUTF8(key);
    if (!name) {
      PyErr_Clear();
      continue;
    }
    const config::Setting* row = config::find_setting(name);
    if (!row) continue;  // not a setting: ignored, as gunicorn does
    auto converted = to_value(*row, value);
    if (!converted) return converted.status();
    if (Status s = config.set_value(row->name, std::move(*converted), config::Source::kConfigFile); !s) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace qilin::python
