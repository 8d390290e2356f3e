// RAII for CPython: owned references and the GIL. The only place a raw
// Py_DECREF may appear. Include <Python.h> through this header.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>  // PyMemberDef's T_* and READONLY (3.11)

#include <utility>

namespace qilin::python {

// An owned (strong) reference. steal() takes over a new reference; borrow()
// adds one. Null is allowed and means "no object / error set".
class PyRef {
 public:
  PyRef() = default;
  static PyRef steal(PyObject* o) { return PyRef(o); }
  static PyRef borrow(PyObject* o) {
    Py_XINCREF(o);
    return PyRef(o);
  }
  ~PyRef() { Py_XDECREF(o_); }
  PyRef(PyRef&& other) noexcept : o_(std::exchange(other.o_, nullptr)) {}
  PyRef& operator=(PyRef&& other) noexcept {
    if (this != &other) {
      PyObject* old = std::exchange(o_, std::exchange(other.o_, nullptr));
      Py_XDECREF(old);
    }
    return *this;
  }
  PyRef(const PyRef& other) : o_(other.o_) { Py_XINCREF(o_); }
  PyRef& operator=(const PyRef& other) {
    if (this != &other) *this = PyRef::borrow(other.o_);
    return *this;
  }

  PyObject* get() const { return o_; }
  explicit operator bool() const { return o_ != nullptr; }
  // Gives up ownership (for APIs that steal a reference).
  PyObject* release() { return std::exchange(o_, nullptr); }
  void reset() { *this = PyRef(); }

 private:
  explicit PyRef(PyObject* o) : o_(o) {}
  PyObject* o_ = nullptr;
};

// Releases the GIL for the scope (around a blocking syscall). The calling
// thread must hold the GIL when the scope starts.
class GilRelease {
 public:
  GilRelease() : state_(PyEval_SaveThread()) {}
  ~GilRelease() { PyEval_RestoreThread(state_); }
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  PyThreadState* state_;
};

// Releases the GIL for the scope when `release` is true (else does nothing).
class GilReleaseIf {
 public:
  explicit GilReleaseIf(bool release) : state_(release ? PyEval_SaveThread() : nullptr) {}
  ~GilReleaseIf() {
    if (state_) PyEval_RestoreThread(state_);
  }
  GilReleaseIf(const GilReleaseIf&) = delete;
  GilReleaseIf& operator=(const GilReleaseIf&) = delete;

 private:
  PyThreadState* state_;
};

// Writes to a client keep the GIL unless they are this large: a small write
// completes at once (the socket buffer takes it), and one that must wait for
// the client gives the GIL up for the wait (WsgiApp installs the
// worker::Connection wait hooks that do it). Saves a GIL hand-off per
// write; a large copy into the kernel lets other threads run.
inline constexpr size_t kWriteKeepsGilBytes = 64 * 1024;

// Holds the GIL for the scope, from a thread that may or may not have it.
class GilAcquire {
 public:
  GilAcquire() : state_(PyGILState_Ensure()) {}
  ~GilAcquire() { PyGILState_Release(state_); }
  GilAcquire(const GilAcquire&) = delete;
  GilAcquire& operator=(const GilAcquire&) = delete;

 private:
  PyGILState_STATE state_;
};

}  // namespace qilin::python
