// INT, QUIT and ABRT in a worker process, as gunicorn's handle_quit and
// handle_abort: the worker_int (INT, QUIT) or worker_abort (ABRT: the
// master's heartbeat timeout) hook runs in the main thread, then the worker
// exits, 0 after INT/QUIT and 1 after ABRT, without finishing what it was
// doing. gunicorn runs the hook from a Python signal handler, which raises
// SystemExit into whatever the worker was executing; qilin does the same:
//
//   1. worker::WorkerSignals' C handler stops the serve loop, wakes it, and
//      forwards the signal to CPython (PyErr_SetInterruptEx, async-signal-
//      safe), which marks the Python-level handler installed here as due.
//   2. CPython runs that handler in the main thread at its next signal
//      check: at once when the application is executing Python code (a
//      blocking call such as time.sleep returns EINTR and checks), or, when
//      the loop was idle in C++, in finish_worker_interrupts() once the loop
//      has returned.
//   3. The handler calls the hook (a hook that raises is logged with its
//      traceback and the worker exits with 255, as gunicorn's does when
//      idle), then raises SystemExit. An application stuck in a request is
//      unwound by it: the request ends as a failed one (a 500 when nothing
//      was sent yet), post_request still runs, then the worker exits.
//
// A worker blocked in C++ I/O (a client that stalls mid-request) sees the
// signal only when that I/O ends; the master's timeout still kills it.
// Main thread only; every function with the GIL held.
#pragma once

#include <optional>

#include "python/python_hooks.h"

namespace qilin::python {

// Installs the worker's signal handling: the Python-level handlers, the
// forwarder, then worker::WorkerSignals. False with the reason logged.
bool install_worker_interrupts(PythonHooks& hooks);

// The exit code an INT, QUIT or ABRT asked for, once its hook ran.
std::optional<int> interrupt_exit_code();

// Call once the serve loop has returned: runs a hook still due, and returns
// the exit code an interrupt asked for, else `code`.
int finish_worker_interrupts(int code);

}  // namespace qilin::python
