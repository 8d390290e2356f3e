#include "python/config_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <initializer_list>

#include "config/setting_table.h"
#include "config/value_format.h"
#include "python/interpreter.h"
#include "python/py_ref.h"

namespace qilin::python {

namespace {

Result<std::string> utf8(PyObject* o) {
  const char* s = PyUnicode_AsUTF8(o);
  if (!s) {
    PyErr_Clear();
    return Result<std::string>::error("not valid text");
  }
  return std::string(s);
}

// gunicorn's validate_callable for a hook given as text: "module.object"
// is imported (the module from sys.path) and the object taken from it.
Result<PyRef> import_hook(const config::Setting& row, PyObject* text) {
  auto fail = [&](const std::string& why) {
    return Result<PyRef>::error("Invalid value for " + std::string(row.name) + ": " + repr_of(text) + " (" + why + ")");
  };
  auto spec = utf8(text);
  if (!spec) return fail(spec.message());
  size_t dot = spec->rfind('.');
  if (dot == std::string::npos) {
    return fail("Value " + config::python_repr(*spec) + " is not import string. Format: module[.submodules...].object");
  }
  std::string module_name = spec->substr(0, dot), object_name = spec->substr(dot + 1);
  PyRef module = PyRef::steal(PyImport_ImportModule(module_name.c_str()));
  if (!module) {
    if (!PyErr_ExceptionMatches(PyExc_ImportError)) return fail(take_exception_line());
    std::string line = take_exception_line();  // "ModuleNotFoundError: No module named 'x'"
    size_t colon = line.find(": ");
    return fail(colon == std::string::npos ? line : line.substr(colon + 2));
  }
  PyRef object = PyRef::steal(PyObject_GetAttrString(module.get(), object_name.c_str()));
  if (!object) {
    PyErr_Clear();
    return fail("Can not load " + config::python_repr(object_name) + " from " + config::python_repr(module_name));
  }
  return object;
}

// Converts a config-file value to the row's Value alternative. The row's
// validator then checks it like any other value.
Result<config::Value> to_value(const config::Setting& row, PyObject* o) {
  using config::ValueType;
  auto bad = [&]() {
    return Result<config::Value>::error("Invalid value for " + std::string(row.name) + ": " + repr_of(o));
  };
  if (o == Py_None) return config::Value(std::monostate{});
  switch (row.type) {
    case ValueType::kHook: {
      PyRef imported;
      if (PyUnicode_Check(o)) {
        auto loaded = import_hook(row, o);
        if (!loaded) return loaded.status();
        imported = std::move(*loaded);
        o = imported.get();
      }
      if (!PyCallable_Check(o)) {
        return Result<config::Value>::error("Value for " + std::string(row.name) + " must be callable: " + repr_of(o));
      }
      int n = python::positional_arity(o);  // gunicorn's util.get_arity
      if (n >= 0 && (n < row.arity.first || n > row.arity.second)) {
        return Result<config::Value>::error("Value for " + std::string(row.name) + " must have an arity of: " +
                                            std::to_string(row.arity.first) + ": " + repr_of(o));
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
          map.emplace_back(*ks, *vs);  // dict keys are unique; insertion order kept
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

// Calls module.attr(args...) for the importlib steps below; null on error.
PyRef call(const PyRef& owner, const char* attr, std::initializer_list<PyObject*> args) {
  PyRef function = PyRef::steal(PyObject_GetAttrString(owner.get(), attr));
  if (!function) return PyRef();
  PyRef tuple = PyRef::steal(PyTuple_New(Py_ssize_t(args.size())));
  if (!tuple) return PyRef();
  Py_ssize_t i = 0;
  for (PyObject* a : args) PyTuple_SET_ITEM(tuple.get(), i++, Py_NewRef(a));
  return PyRef::steal(PyObject_Call(function.get(), tuple.get(), nullptr));
}

bool has_python_extension(const std::string& path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
  std::string ext = path.substr(dot);
  return ext == ".py" || ext == ".pyc";
}

// gunicorn's util.warn: a block of "!!!" lines on stderr.
void warn(const std::string& line) {
  std::string text = "!!!\n!!! WARNING: " + line + "\n!!!\n\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

// Executes a file as gunicorn does: importlib loads it as the module
// `__config__` (registered in sys.modules, which keeps the hooks' globals
// alive), whatever its extension. Returns the module's namespace.
Result<PyRef> execute_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Result<PyRef>::error("Error: " + config::python_repr(path) + " doesn't exist");
  }
  if (!has_python_extension(path)) warn("configuration file should have a valid Python extension.");
  PyRef util = PyRef::steal(PyImport_ImportModule("importlib.util"));
  PyRef machinery = PyRef::steal(PyImport_ImportModule("importlib.machinery"));
  PyRef name = PyRef::steal(PyUnicode_FromString("__config__"));
  PyRef file = PyRef::steal(PyUnicode_DecodeFSDefault(path.c_str()));
  PyRef spec;
  if (util && machinery && name && file) {
    if (has_python_extension(path)) {
      spec = call(util, "spec_from_file_location", {name.get(), file.get()});
    } else {
      PyRef loader = call(machinery, "SourceFileLoader", {name.get(), file.get()});
      PyRef function = loader ? PyRef::steal(PyObject_GetAttrString(util.get(), "spec_from_file_location"))
                              : PyRef();
      PyRef args = function ? PyRef::steal(PyTuple_Pack(2, name.get(), file.get())) : PyRef();
      PyRef kwargs = args ? PyRef::steal(Py_BuildValue("{s:O}", "loader", loader.get())) : PyRef();
      if (kwargs) spec = PyRef::steal(PyObject_Call(function.get(), args.get(), kwargs.get()));
    }
  }
  PyRef module = spec ? call(util, "module_from_spec", {spec.get()}) : PyRef();
  PyObject* modules = PySys_GetObject("modules");  // borrowed
  bool registered = module && modules && PyDict_SetItemString(modules, "__config__", module.get()) == 0;
  PyRef loader = registered ? PyRef::steal(PyObject_GetAttrString(spec.get(), "loader")) : PyRef();
  PyRef done = loader ? call(loader, "exec_module", {module.get()}) : PyRef();
  if (!done) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ImportError, "cannot load the file as Python");
    return Result<PyRef>::error("Failed to read config file: " + path + "\n" + take_traceback());
  }
  return PyRef::borrow(PyModule_GetDict(module.get()));
}

// True when the pending exception is ModuleNotFoundError for `module`
// itself or one of its parent packages (not for something it imports).
bool module_itself_is_missing(const std::string& module) {
  if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) return false;
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  bool itself = false;
  if (value) {
    PyRef missing = PyRef::steal(PyObject_GetAttrString(value, "name"));
    const char* text = missing && PyUnicode_Check(missing.get()) ? PyUnicode_AsUTF8(missing.get()) : nullptr;
    if (text) {
      std::string name = text;
      itself = module == name || module.rfind(name + ".", 0) == 0;
    }
    PyErr_Clear();
  }
  PyErr_Restore(type, value, tb);
  return itself;
}

// python:MODULE is imported like any module (gunicorn: importlib.import_module).
Result<PyRef> execute_module(const std::string& module) {
  PyRef mod = PyRef::steal(PyImport_ImportModule(module.c_str()));
  if (mod) return PyRef::borrow(PyModule_GetDict(mod.get()));
  if (module_itself_is_missing(module)) {
    // gunicorn's message, one line: "Error: No module named 'x'"
    std::string line = take_exception_line();
    size_t colon = line.find(": ");
    return Result<PyRef>::error("Error: " + (colon == std::string::npos ? line : line.substr(colon + 2)));
  }
  return Result<PyRef>::error("Failed to read config file: python:" + module + "\n" + take_traceback());
}

}  // namespace

Status load_config_file(const std::string& location, config::Config& config) {
  std::string_view python_prefix = "python:", file_prefix = "file:";
  Result<PyRef> ns = location.starts_with(python_prefix)
                         ? execute_module(location.substr(python_prefix.size()))
                         : execute_file(location.starts_with(file_prefix) ? location.substr(file_prefix.size())
                                                                          : location);
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
    if (!converted) return Status::error("Error: " + converted.message());
    if (Status s = config.set_value(row->name, std::move(*converted), config::Source::kConfigFile); !s) {
      return Status::error("Error: " + s.message());
    }
  }
  return Status::ok();
}

std::string format_handle(config::PyHandle handle) {
  PyObject* object = static_cast<PyObject*>(handle.object);
  if (object == nullptr) return "None";
  if (PyCallable_Check(object)) {
    PyRef qualname = PyRef::steal(PyObject_GetAttrString(object, "__qualname__"));
    const char* text = qualname && PyUnicode_Check(qualname.get()) ? PyUnicode_AsUTF8(qualname.get()) : nullptr;
    if (text) return "<" + std::string(text) + "()>";
    PyErr_Clear();
  }
  return str_of(object);
}

}  // namespace qilin::python

