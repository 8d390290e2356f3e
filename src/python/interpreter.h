// The embedded interpreter's lifetime: initialised once in the master (the
// config file and hooks are Python), kept consistent across fork(), and the
// helpers every other python/ file uses to turn a Python exception into text.
// All functions here must be called with the GIL held.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "python/py_ref.h"

namespace qilin::python {

// Starts Debian's CPython (the one qilin was built against, never the one on
// PATH) with sys.argv = argv, without Python's own signal handlers. Puts the
// current directory first on sys.path, and a virtualenv's site-packages
// (VIRTUAL_ENV) after it. Returns the interpreter error as a message.
Status start_interpreter(const std::vector<std::string>& argv);

// Sets an environment variable for the process and for os.environ (which
// Python copied at start-up).
Status set_environment_variable(const std::string& key, const std::string& value);

// Removes an environment variable from the process and from os.environ
// (no-op when it is not set).
Status unset_environment_variable(const std::string& key);

// Inserts `dir` at the front of sys.path (no-op when already first).
Status prepend_sys_path(const std::string& dir);

// Python text as UTF-8 (lone surrogates backslash-escaped), and str() and
// repr() of any object; "<unprintable>" when Python cannot produce one. They
// never leave an exception set.
std::string text_of(PyObject* str);
std::string str_of(PyObject* object);
std::string repr_of(PyObject* object);

// Takes the pending Python exception and returns its formatted traceback
// ("Traceback (most recent call last): ...\nValueError: x"), clearing it.
std::string take_traceback();
// The formatted traceback of an exception object (its __traceback__).
std::string format_exception(PyObject* exception);
// Takes the pending Python exception and returns "TypeName: message".
std::string take_exception_line();

// A module made from Python source compiled into qilin, executed once and
// imported as `name`; later calls return the same module. Null with the
// exception set when the source fails.
PyRef embedded_module(const char* name, const char* source);

// gunicorn's util.get_arity: how many positional parameters `callable`
// takes (inspect.signature; *args not counted), or -1 when it cannot tell.
int positional_arity(PyObject* callable);

// Detaches from the terminal as gunicorn's daemonize() does: fork (the
// parent exits 0), setsid, fork again, umask 022, and stdin/stdout/stderr on
// /dev/null (only stdin when `keep_stdio`, gunicorn's
// --enable-stdio-inheritance). Keeps CPython consistent across the forks.
Status daemonize(bool keep_stdio);

// Flushes sys.stdout and sys.stderr (before their fds are redirected).
void flush_std_streams();

// Runs the atexit handlers (a worker exits with _exit(), skipping finalization).
void run_atexit_handlers();

}  // namespace qilin::python
