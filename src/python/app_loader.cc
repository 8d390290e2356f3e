#include "python/app_loader.h"

#include "python/interpreter.h"

namespace qilin::python {

namespace {

// The spec is parsed with Python's own ast module: the factory arguments are
// Python literals, and only Python can say exactly what a literal is.
// AppLoadError carries a one-line message; any other exception is the
// application's own and is shown with its traceback.
const char kLoaderSource[] = R"PY(
import importlib, keyword, os
# ast and re are imported only where needed: together they cost a worker
# about 1 MiB of memory, and most specs are a plain name.

PASTE_PREFIX = "config:"  # an app from a PasteDeploy ini file (--paste)

class AppLoadError(Exception):
    pass

def _parse(obj):
    name = obj.strip()
    if name.isascii() and name.isidentifier() and not keyword.iskeyword(name):
        return name, None, None  # what ast would say, without loading it
    import ast
    try:
        expr = ast.parse(obj.strip(), mode="eval").body
    except SyntaxError:
        raise AppLoadError("Failed to parse %r as an attribute name or function call." % obj)
    if isinstance(expr, ast.Name):
        return expr.id, None, None
    if isinstance(expr, ast.Call):
        if not isinstance(expr.func, ast.Name):
            raise AppLoadError("Function reference must be a simple name: %r" % obj)
        try:
            args = [ast.literal_eval(a) for a in expr.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords}
        except (ValueError, TypeError, SyntaxError):
            raise AppLoadError("Failed to parse arguments as literal values: %r" % obj)
        if any(k is None for k in kwargs):
            raise AppLoadError("Failed to parse arguments as literal values: %r" % obj)
        return expr.func.id, args, kwargs
    raise AppLoadError("Failed to parse %r as an attribute name or function call." % obj)

def paste_global_conf(raw):
    """KEY=VALUE texts to a dict; a backslash keeps an '=' in the key."""
    import re
    conf = {}
    for entry in raw:
        parts = re.split(r"(?<!\\)=", entry, maxsplit=1)
        if len(parts) != 2:
            raise AppLoadError("environment setting %r invalid" % entry)
        conf[parts[0].replace("\\=", "=")] = parts[1].replace("\\=", "=")
    return conf

def load_paste(uri, raw_globals):
    try:
        from paste.deploy import loadapp
    except ImportError as e:
        raise AppLoadError("--paste needs PasteDeploy, which cannot be imported: %s" % e)
    return loadapp(uri, relative_to=os.getcwd(), global_conf=paste_global_conf(raw_globals))

def load(spec, raw_paste_globals=()):
    if spec.startswith(PASTE_PREFIX):
        return load_paste(spec, raw_paste_globals)
    module, sep, obj = spec.partition(":")
    if not sep:
        obj = "application"
    if not module:
        raise AppLoadError("No application module specified in %r." % spec)
    name, args, kwargs = _parse(obj)
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if missing and (module == missing or module.startswith(missing + ".")):
            if module.endswith(".py") and os.path.exists(module):
                raise AppLoadError("Failed to find application, did you mean '%s:%s'?"
                                   % (module.rsplit(".", 1)[0], obj))
            raise AppLoadError("No module named %r" % missing)
        raise
    try:
        app = getattr(mod, name)
    except AttributeError:
        raise AppLoadError("Failed to find attribute %r in %r." % (name, module))
    if args is not None:
        if not callable(app):
            raise AppLoadError("Failed to call %r: it is not callable." % name)
        try:
            app = app(*args, **kwargs)
        except TypeError as e:
            if e.__traceback__.tb_next is None:
                raise AppLoadError("Error calling the factory %r in %r: %s" % (name, module, e))
            raise
    if app is None:
        raise AppLoadError("Failed to find application object: %r" % obj)
    if not callable(app):
        raise AppLoadError("Application object must be callable.")
    return app
)PY";

std::vector<std::string>& paste_globals() {
  static std::vector<std::string> raw;  // master thread only, before workers fork
  return raw;
}

PyRef loader_module() { return embedded_module("_qilin_app_loader", kLoaderSource); }

}  // namespace

std::string paste_app_spec(const std::string& config_uri) { return "config:" + config_uri; }

void set_paste_global_conf(std::vector<std::string> raw) { paste_globals() = std::move(raw); }

PyRef load_wsgi_app(const std::string& spec, AppLoadFailure* failure) {
  PyRef loader = loader_module();
  if (!loader) {
    failure->message = "internal error: " + take_exception_line();
    return PyRef();
  }
  PyRef globals = PyRef::steal(PyList_New(0));
  for (const std::string& entry : paste_globals()) {
    PyRef item = PyRef::steal(PyUnicode_DecodeUTF8(entry.data(), Py_ssize_t(entry.size()), "surrogateescape"));
    if (!globals || !item || PyList_Append(globals.get(), item.get()) != 0) break;
  }
  PyRef app = globals ? PyRef::steal(PyObject_CallMethod(loader.get(), "load", "sO", spec.c_str(),
                                                         globals.get()))
                      : PyRef();
  if (app) return app;
  // Look the class up with the exception put aside: no API call may run
  // with an exception pending.
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyRef error_type = PyRef::steal(PyObject_GetAttrString(loader.get(), "AppLoadError"));
  PyErr_Clear();
  PyErr_Restore(type, value, tb);
  if (error_type && PyErr_ExceptionMatches(error_type.get())) {
    std::string line = take_exception_line();
    // "_qilin_app_loader.AppLoadError: message" -> "message"
    size_t colon = line.find(": ");
    failure->message = colon == std::string::npos ? line : line.substr(colon + 2);
    return PyRef();
  }
  if (PyErr_ExceptionMatches(PyExc_SyntaxError)) {
    failure->syntax_error = true;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyRef filename = value ? PyRef::steal(PyObject_GetAttrString(value, "filename")) : PyRef();
    if (filename && PyUnicode_Check(filename.get())) failure->syntax_error_file = text_of(filename.get());
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
  }
  failure->traceback = take_traceback();
  size_t last = failure->traceback.rfind('\n');
  failure->message = last == std::string::npos ? failure->traceback : failure->traceback.substr(last + 1);
  return PyRef();
}

}  // namespace qilin::python
