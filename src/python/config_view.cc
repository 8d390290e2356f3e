// `cfg`: the settings as gunicorn's Config shows them to hooks. Attribute
// access reads one slot of config::Config (no copy of the settings is made);
// gunicorn's derived properties win over a setting of the same name, as
// properties do on gunicorn's class. Read-only: assigning raises, as
// gunicorn's "Invalid access!". A view may be detached from its Config when
// that Config is about to go (the ssl_context hook's, on HUP); reading it
// then raises instead of touching freed settings.
#include <string>

#include "config/setting_table.h"
#include "python/hook_objects.h"

namespace qilin::python {

namespace {

struct ConfigView {
  PyObject_HEAD const config::Config* config;
};

PyTypeObject* config_view_type = nullptr;

PyObject* default_hook(PyObject*, PyObject*) { Py_RETURN_NONE; }
PyMethodDef default_hook_def = {"default_hook", default_hook, METH_VARARGS,
                                "A server hook left at its default: does nothing."};

PyRef text(const std::string& s) {
  return PyRef::steal(PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "surrogateescape"));
}

PyRef to_python(const config::Setting& row, const config::Value& value) {
  return std::visit(
      [&](const auto& v) -> PyRef {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return PyRef::borrow(Py_None);
        } else if constexpr (std::is_same_v<T, bool>) {
          return PyRef::borrow(v ? Py_True : Py_False);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return PyRef::steal(PyLong_FromLongLong(v));
        } else if constexpr (std::is_same_v<T, double>) {
          return PyRef::steal(PyFloat_FromDouble(v));
        } else if constexpr (std::is_same_v<T, std::string>) {
          return text(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          PyRef list = PyRef::steal(PyList_New(0));
          for (const auto& item : v) {
            PyRef s = text(item);
            if (!list || !s || PyList_Append(list.get(), s.get()) != 0) return PyRef();
          }
          return list;
        } else if constexpr (std::is_same_v<T, config::StringMap>) {
          PyRef dict = PyRef::steal(PyDict_New());
          for (const auto& [key, item] : v) {
            PyRef k = text(key), s = text(item);
            if (!dict || !k || !s || PyDict_SetItem(dict.get(), k.get(), s.get()) != 0)
              return PyRef();
          }
          return dict;
        } else {  // PyHandle
          if (v.object) return PyRef::borrow(static_cast<PyObject*>(v.object));
          if (row.type == config::ValueType::kHook) {
            return PyRef::steal(PyCFunction_New(&default_hook_def, nullptr));
          }
          if (row.type == config::ValueType::kObject) return PyRef::steal(PyDict_New());
          return PyRef::borrow(Py_None);
        }
      },
      value);
}

// gunicorn's Config properties that hooks read.
PyRef derived(const config::Config& config, std::string_view name) {
  if (name == "proc_name") return text(config.process_name());
  if (name == "sendfile") return PyRef::borrow(config.sendfile_enabled() ? Py_True : Py_False);
  if (name == "uid") return setting_to_python(config, "user");
  if (name == "gid") return setting_to_python(config, "group");
  if (name == "is_ssl") {
    bool ssl = !config.is_none("certfile") || !config.is_none("keyfile");
    return PyRef::borrow(ssl ? Py_True : Py_False);
  }
  if (name == "worker_class_str") {
    const config::Value& v = config.value("worker_class");
    if (const auto* s = std::get_if<std::string>(&v)) return text(*s);
    return setting_to_python(config, "worker_class");
  }
  if (name == "env") {
    auto vars = config.environment_variables();
    if (!vars) {
      PyErr_SetString(PyExc_RuntimeError, vars.message().c_str());
      return PyRef();
    }
    return to_python(*config::find_setting("raw_env"), config::Value(*vars));
  }
  return PyRef::borrow(Py_None);  // not derived
}

bool is_derived(std::string_view name) {
  return name == "proc_name" || name == "sendfile" || name == "uid" || name == "gid" ||
         name == "is_ssl" || name == "worker_class_str" || name == "env";
}

PyObject* detached_error() {
  PyErr_SetString(PyExc_RuntimeError,
                  "these settings are no longer available: the ssl_context hook's config "
                  "may be read only while the hook runs");
  return nullptr;
}

PyObject* config_getattro(PyObject* obj, PyObject* name) {
  const char* utf8 = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : nullptr;
  if (!utf8) return PyObject_GenericGetAttr(obj, name);
  if (utf8[0] == '_') return PyObject_GenericGetAttr(obj, name);  // no setting starts with _
  const config::Config* config = reinterpret_cast<ConfigView*>(obj)->config;
  if (!config) return detached_error();
  if (is_derived(utf8)) return derived(*config, utf8).release();
  if (config::find_setting(utf8)) return setting_to_python(*config, utf8).release();
  PyErr_Format(PyExc_AttributeError, "No configuration setting for: %s", utf8);
  return nullptr;
}

int config_setattro(PyObject*, PyObject*, PyObject*) {
  PyErr_SetString(PyExc_AttributeError, "Invalid access!");
  return -1;
}

PyObject* config_dir(PyObject*, PyObject*) {
  PyRef names = PyRef::steal(PyList_New(0));
  if (!names) return nullptr;
  for (const config::Setting& row : config::setting_table()) {
    PyRef s =
        PyRef::steal(PyUnicode_FromStringAndSize(row.name.data(), Py_ssize_t(row.name.size())));
    if (!s || PyList_Append(names.get(), s.get()) != 0) return nullptr;
  }
  return names.release();
}

PyMethodDef config_methods[] = {{"__dir__", config_dir, METH_NOARGS, nullptr},
                                {nullptr, nullptr, 0, nullptr}};

}  // namespace

bool init_config_view_type() {
  static PyType_Slot slots[] = {
      {Py_tp_doc, const_cast<char*>("The settings, read by attribute (gunicorn's Config)")},
      {Py_tp_getattro, reinterpret_cast<void*>(config_getattro)},
      {Py_tp_setattro, reinterpret_cast<void*>(config_setattro)},
      {Py_tp_methods, config_methods},
      {0, nullptr}};
  static PyType_Spec spec = {"qilin.Config", sizeof(ConfigView), 0, Py_TPFLAGS_DEFAULT, slots};
  config_view_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  return config_view_type != nullptr;
}

PyRef new_config_view(const config::Config& config) {
  ConfigView* self = PyObject_New(ConfigView, config_view_type);
  if (!self) return PyRef();
  self->config = &config;
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

void detach_config_view(PyObject* view) {
  if (view && Py_IS_TYPE(view, config_view_type)) {
    reinterpret_cast<ConfigView*>(view)->config = nullptr;
  }
}

PyRef setting_to_python(const config::Config& config, std::string_view name) {
  const config::Setting* row = config::find_setting(name);
  if (!row) {
    PyErr_Format(PyExc_AttributeError, "No configuration setting for: %.*s", int(name.size()),
                 name.data());
    return PyRef();
  }
  return to_python(*row, config.value(name));
}

}  // namespace qilin::python
