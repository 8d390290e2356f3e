#include "python/worker_interrupts.h"

#include <csignal>

#include "python/interpreter.h"
#include "worker/worker_signals.h"

namespace qilin::python {

namespace {

constexpr int kHookFailed = 255;  // gunicorn's sys.exit(-1) after "Exception in worker process"

PythonHooks* g_hooks = nullptr;
std::optional<int> g_exit_code;  // set by the first interrupt handled

// In signal context: only marks CPython's handler as due.
void forward(int signo) { (void)PyErr_SetInterruptEx(signo); }

// handler(signum, frame), run by CPython in the main thread.
PyObject* on_interrupt(PyObject*, PyObject* args) {
  int signo = 0;
  PyObject* frame = nullptr;
  if (!PyArg_ParseTuple(args, "iO", &signo, &frame)) return nullptr;
  if (!g_exit_code) {
    const bool abort = signo == SIGABRT;
    g_exit_code = abort ? 1 : 0;
    worker::WorkerSignals::stop();
    Status s = abort ? g_hooks->worker_abort() : g_hooks->worker_int();
    if (!s) {
      g_hooks->log().error(std::string("Exception in ") + (abort ? "worker_abort" : "worker_int") +
                           " hook\n" + s.message());
      g_exit_code = kHookFailed;
    }
  }
  PyRef code = PyRef::steal(PyLong_FromLong(*g_exit_code));
  PyErr_SetObject(PyExc_SystemExit, code.get());
  return nullptr;
}

PyMethodDef on_interrupt_def = {"worker_interrupt", on_interrupt, METH_VARARGS,
                                "qilin's handler for INT, QUIT and ABRT in a worker"};

}  // namespace

bool install_worker_interrupts(PythonHooks& hooks) {
  g_hooks = &hooks;
  // _signal, not signal: the same signal(), without the enum module that
  // signal loads (half a MiB of a worker's memory).
  PyRef signal_module = PyRef::steal(PyImport_ImportModule("_signal"));
  PyRef handler = PyRef::steal(PyCFunction_New(&on_interrupt_def, nullptr));
  bool ok = signal_module && handler;
  // CPython's own C handler is installed by signal.signal() and at once
  // replaced by WorkerSignals' below; CPython keeps the Python-level
  // handler, which PyErr_SetInterruptEx makes due.
  for (int signo : {SIGINT, SIGQUIT, SIGABRT}) {
    if (!ok) break;
    ok =
        PyRef::steal(PyObject_CallMethod(signal_module.get(), "signal", "iO", signo, handler.get()))
            ? true
            : false;
  }
  if (!ok) {
    hooks.log().error("cannot install the worker's signal handlers: " + take_exception_line());
    return false;
  }
  worker::WorkerSignals::set_interrupt_forwarder(forward);
  if (!worker::WorkerSignals::install()) {
    hooks.log().error("cannot install the worker's signal handlers");
    return false;
  }
  return true;
}

std::optional<int> interrupt_exit_code() { return g_exit_code; }

int finish_worker_interrupts(int code) {
  if (PyErr_CheckSignals() != 0) PyErr_Clear();  // the handler's SystemExit ends here
  return g_exit_code ? *g_exit_code : code;
}

}  // namespace qilin::python
