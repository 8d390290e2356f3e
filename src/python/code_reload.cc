#include "python/code_reload.h"

#include "python/interpreter.h"

namespace qilin::python {

namespace {

const char kSource[] = R"PY(
import sys

def module_files():
    files = []
    for module in tuple(sys.modules.values()):
        try:
            name = getattr(module, "__file__", None)
        except Exception:
            continue
        if isinstance(name, str) and name:
            files.append(name)
    return files

def make_fail_app(text):
    body = text.encode("utf-8", "replace")

    def app(environ, start_response):
        start_response("500 Internal Server Error", [
            ("Content-Type", "text/plain"),
            ("Content-Length", str(len(body))),
        ])
        return [body]

    return app
)PY";

PyRef module() { return embedded_module("_qilin_code_reload", kSource); }

}  // namespace

std::vector<std::string> loaded_module_files() {
  GilAcquire gil;
  std::vector<std::string> files;
  PyRef m = module();
  PyRef list = m ? PyRef::steal(PyObject_CallMethod(m.get(), "module_files", nullptr)) : PyRef();
  if (!list || !PyList_Check(list.get())) {
    PyErr_Clear();
    return files;
  }
  files.reserve(size_t(PyList_GET_SIZE(list.get())));
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list.get()); ++i) {
    files.push_back(text_of(PyList_GET_ITEM(list.get(), i)));
  }
  return files;
}

PyRef make_fail_app(const std::string& text) {
  PyRef m = module();
  if (!m) return PyRef();
  return PyRef::steal(
      PyObject_CallMethod(m.get(), "make_fail_app", "s#", text.data(), Py_ssize_t(text.size())));
}

}  // namespace qilin::python
