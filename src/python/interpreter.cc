#include "python/interpreter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace qilin::python {

namespace {

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// With VIRTUAL_ENV set, that environment's packages are importable, as they
// are for a gunicorn started from it. A virtualenv of another Python version
// cannot work with this interpreter: say so.
Status add_virtualenv() {
  const char* venv = std::getenv("VIRTUAL_ENV");
  if (!venv || !*venv) return Status::ok();
  const std::string base = venv;
  const std::string want = "python" QILIN_PYTHON_VERSION;
  const std::string site = base + "/lib/" + want + "/site-packages";
  if (!is_dir(site)) {
    std::string found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base + "/lib", ec)) {
      std::string name = entry.path().filename().string();
      if (name.rfind("python", 0) == 0) found += (found.empty() ? "" : ", ") + name;
    }
    if (found.empty()) {
      return Status::error("VIRTUAL_ENV=" + base + " is not a virtualenv (no lib/" + want +
                           "/site-packages)");
    }
    return Status::error("VIRTUAL_ENV=" + base + " was made for " + found + ", but qilin embeds " +
                         want);
  }
  PyRef site_mod = PyRef::steal(PyImport_ImportModule("site"));
  if (!site_mod) return Status::error(take_exception_line());
  PyRef r = PyRef::steal(PyObject_CallMethod(site_mod.get(), "addsitedir", "s", site.c_str()));
  if (!r) return Status::error(take_exception_line());
  // addsitedir appends; a virtualenv's packages must win over the system's.
  PyObject* path = PySys_GetObject("path");  // borrowed
  PyRef entry = PyRef::steal(PyUnicode_FromString(site.c_str()));
  Py_ssize_t n = PyList_Size(path);
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (PyObject_RichCompareBool(PyList_GetItem(path, i), entry.get(), Py_EQ) == 1) {
      PySequence_DelItem(path, i);
      break;
    }
  }
  PyList_Insert(path, 1, entry.get());
  return Status::ok();
}

}  // namespace

Status start_interpreter(const std::vector<std::string>& argv) {
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;
  config.parse_argv = 0;
  PyStatus st = PyConfig_SetBytesString(&config, &config.program_name, QILIN_PYTHON_EXECUTABLE);
  if (!PyStatus_Exception(st)) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    st = PyConfig_SetBytesArgv(&config, Py_ssize_t(args.size()), args.data());
  }
  if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(st)) {
    return Status::error(std::string("cannot start Python: ") + (st.err_msg ? st.err_msg : "unknown error"));
  }
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd))) {
    if (Status s = prepend_sys_path(cwd); !s) return s;
  }
  return add_virtualenv();
}

Status set_environment_variable(const std::string& key, const std::string& value) {
  PyRef os = PyRef::steal(PyImport_ImportModule("os"));
  PyRef environ = os ? PyRef::steal(PyObject_GetAttrString(os.get(), "environ")) : PyRef();
  PyRef k = PyRef::steal(PyUnicode_DecodeFSDefault(key.c_str()));
  PyRef v = PyRef::steal(PyUnicode_DecodeFSDefault(value.c_str()));
  // os.environ's __setitem__ calls putenv too.
  if (!environ || !k || !v || PyObject_SetItem(environ.get(), k.get(), v.get()) != 0) {
    return Status::error("cannot set " + key + ": " + take_exception_line());
  }
  return Status::ok();
}

Status unset_environment_variable(const std::string& key) {
  PyRef os = PyRef::steal(PyImport_ImportModule("os"));
  PyRef environ = os ? PyRef::steal(PyObject_GetAttrString(os.get(), "environ")) : PyRef();
  PyRef k = PyRef::steal(PyUnicode_DecodeFSDefault(key.c_str()));
  if (!environ || !k) return Status::error("cannot unset " + key + ": " + take_exception_line());
  // os.environ's __delitem__ calls unsetenv too.
  int present = PySequence_Contains(environ.get(), k.get());
  if (present == 1 && PyObject_DelItem(environ.get(), k.get()) == 0) return Status::ok();
  if (present == 0) {
    ::unsetenv(key.c_str());  // set behind Python's back, if at all
    return Status::ok();
  }
  return Status::error("cannot unset " + key + ": " + take_exception_line());
}

Status prepend_sys_path(const std::string& dir) {
  PyObject* path = PySys_GetObject("path");  // borrowed
  if (!path || !PyList_Check(path)) return Status::error("sys.path is not a list");
  PyRef entry = PyRef::steal(PyUnicode_DecodeFSDefault(dir.c_str()));
  if (!entry) return Status::error(take_exception_line());
  if (PyList_Size(path) > 0 && PyObject_RichCompareBool(PyList_GetItem(path, 0), entry.get(), Py_EQ) == 1) {
    return Status::ok();
  }
  if (PyList_Insert(path, 0, entry.get()) != 0) return Status::error(take_exception_line());
  return Status::ok();
}

std::string text_of(PyObject* s) {
  Py_ssize_t n = 0;
  const char* p = s ? PyUnicode_AsUTF8AndSize(s, &n) : nullptr;
  if (p) return std::string(p, size_t(n));
  PyErr_Clear();
  PyRef bytes = s ? PyRef::steal(PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace")) : PyRef();
  if (!bytes) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return std::string(PyBytes_AS_STRING(bytes.get()), size_t(PyBytes_GET_SIZE(bytes.get())));
}

std::string str_of(PyObject* object) {
  PyRef text = PyRef::steal(PyObject_Str(object));
  if (!text) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return text_of(text.get());
}

std::string repr_of(PyObject* object) {
  PyRef text = PyRef::steal(PyObject_Repr(object));
  if (!text) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return text_of(text.get());
}

std::string take_traceback() {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  if (!type) return "";
  PyErr_NormalizeException(&type, &value, &tb);
  PyRef t = PyRef::steal(type), v = PyRef::steal(value), b = PyRef::steal(tb);
  PyRef mod = PyRef::steal(PyImport_ImportModule("traceback"));
  PyRef lines;
  if (mod) {
    lines = PyRef::steal(PyObject_CallMethod(mod.get(), "format_exception", "OOO", t.get(),
                                             v ? v.get() : Py_None, b ? b.get() : Py_None));
  }
  std::string out;
  if (lines) {
    PyRef joined = PyRef::steal(PyUnicode_Join(PyRef::steal(PyUnicode_FromString("")).get(), lines.get()));
    if (joined) {
      const char* s = PyUnicode_AsUTF8(joined.get());
      if (s) out = s;
    }
  }
  PyErr_Clear();
  if (out.empty()) out = "(traceback unavailable)";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string format_exception(PyObject* exception) {
  PyRef mod = PyRef::steal(PyImport_ImportModule("traceback"));
  PyRef lines = mod ? PyRef::steal(PyObject_CallMethod(mod.get(), "format_exception", "O", exception)) : PyRef();
  PyRef empty = PyRef::steal(PyUnicode_FromString(""));
  PyRef joined = lines && empty ? PyRef::steal(PyUnicode_Join(empty.get(), lines.get())) : PyRef();
  const char* s = joined ? PyUnicode_AsUTF8(joined.get()) : nullptr;
  std::string out = s ? s : "(traceback unavailable)";
  PyErr_Clear();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

PyRef embedded_module(const char* name, const char* source) {
  PyRef key = PyRef::steal(PyUnicode_FromString(name));
  if (!key) return PyRef();
  if (PyObject* loaded = PyImport_GetModule(key.get())) return PyRef::steal(loaded);
  if (PyErr_Occurred()) return PyRef();
  const std::string filename = std::string("<") + name + ">";
  PyRef code = PyRef::steal(Py_CompileString(source, filename.c_str(), Py_file_input));
  if (!code) return PyRef();
  return PyRef::steal(PyImport_ExecCodeModule(name, code.get()));
}

std::string take_exception_line() {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  if (!type) return "";
  PyErr_NormalizeException(&type, &value, &tb);
  PyRef t = PyRef::steal(type), v = PyRef::steal(value), b = PyRef::steal(tb);
  std::string out = reinterpret_cast<PyTypeObject*>(t.get())->tp_name;
  if (v) {
    PyRef s = PyRef::steal(PyObject_Str(v.get()));
    const char* text = s ? PyUnicode_AsUTF8(s.get()) : nullptr;
    if (text && *text) {
      out += ": ";
      out += text;
    }
  }
  PyErr_Clear();
  return out;
}

int positional_arity(PyObject* callable) {
  PyRef inspect = PyRef::steal(PyImport_ImportModule("inspect"));
  PyRef signature = inspect ? PyRef::steal(PyObject_CallMethod(inspect.get(), "signature", "O", callable)) : PyRef();
  PyRef parameters = signature ? PyRef::steal(PyObject_GetAttrString(signature.get(), "parameters")) : PyRef();
  PyRef values = parameters ? PyRef::steal(PyObject_CallMethod(parameters.get(), "values", nullptr)) : PyRef();
  PyRef kind_type = inspect ? PyRef::steal(PyObject_GetAttrString(inspect.get(), "Parameter")) : PyRef();
  PyRef positional_only = kind_type ? PyRef::steal(PyObject_GetAttrString(kind_type.get(), "POSITIONAL_ONLY")) : PyRef();
  PyRef positional_or_keyword =
      kind_type ? PyRef::steal(PyObject_GetAttrString(kind_type.get(), "POSITIONAL_OR_KEYWORD")) : PyRef();
  PyRef it = values && positional_only && positional_or_keyword ? PyRef::steal(PyObject_GetIter(values.get())) : PyRef();
  if (!it) {
    PyErr_Clear();
    return -1;
  }
  int count = 0;
  while (PyRef parameter = PyRef::steal(PyIter_Next(it.get()))) {
    PyRef kind = PyRef::steal(PyObject_GetAttrString(parameter.get(), "kind"));
    if (kind && (kind.get() == positional_only.get() || kind.get() == positional_or_keyword.get())) ++count;
  }
  if (PyErr_Occurred()) {
    PyErr_Clear();
    return -1;
  }
  return count;
}

namespace {
// fork() with CPython's fork protocol; the parent exits at once.
Status fork_and_leave_parent() {
  PyOS_BeforeFork();
  pid_t pid = ::fork();
  if (pid < 0) {
    PyOS_AfterFork_Parent();
    return Status::error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid > 0) ::_exit(0);
  PyOS_AfterFork_Child();
  return Status::ok();
}
}  // namespace

Status daemonize(bool keep_stdio) {
  if (Status s = fork_and_leave_parent(); !s) return s;
  ::setsid();
  if (Status s = fork_and_leave_parent(); !s) return s;
  ::umask(022);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) return Status::error(std::string("cannot open /dev/null: ") + std::strerror(errno));
  ::dup2(null_fd, 0);
  if (!keep_stdio) {
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  if (null_fd > 2) ::close(null_fd);
  return Status::ok();
}

void flush_std_streams() {
  for (const char* name : {"stdout", "stderr"}) {
    PyObject* stream = PySys_GetObject(name);  // borrowed
    if (stream && stream != Py_None) PyRef::steal(PyObject_CallMethod(stream, "flush", nullptr));
  }
  PyErr_Clear();
}

void run_atexit_handlers() {
  PyRef mod = PyRef::steal(PyImport_ImportModule("atexit"));
  if (mod) PyRef::steal(PyObject_CallMethod(mod.get(), "_run_exitfuncs", nullptr));
  PyErr_Clear();
}

}  // namespace qilin::python
