// The server hooks in Python. Implements arbiter::Hooks for the master's
// moments, and offers the worker-side moments (post_worker_init,
// pre_request, post_request, worker_int, worker_abort) to the rest of the
// python layer. Holds the user's callables (from the settings) and the
// objects they receive (hook_objects.h): one `server`, `cfg` and `log` per
// process, one `worker` per spawned worker, kept by age. In a worker
// process, the worker object made for it before the fork is the current
// one.
//
// A hook that raises yields an error Status carrying the formatted
// traceback (the caller decides what it means), except pre_request, whose
// exception is left pending for the WSGI bridge to report, and
// post_request, whose failure is logged here ("Exception in post_request
// hook", as gunicorn). When no hook is set at all, no Python object is ever
// made and every call returns at once; the default pre_request (a debug
// line "METHOD PATH") is then done in C++.
//
// Every method takes the GIL itself. Used from the master's thread and from
// a worker's main thread; request hooks from whichever thread serves the
// request.
#pragma once

#include <map>

#include "arbiter/hooks.h"
#include "config/config.h"
#include "http/request.h"
#include "log/error_log.h"
#include "python/py_ref.h"
#include "worker/response_writer.h"

namespace qilin::python {

class PythonHooks final : public arbiter::Hooks {
 public:
  // `config` and `log` must outlive this object. Call with the GIL held.
  PythonHooks(const config::Config& config, log::ErrorLog& log);
  // HUP: the Config given at construction now holds the reloaded settings
  // (its object stays the same, so `cfg` views follow it). Takes the hooks
  // from it again; workers forked from now on use them. Master thread only.
  void settings_changed();
  ~PythonHooks() override;
  PythonHooks(const PythonHooks&) = delete;
  PythonHooks& operator=(const PythonHooks&) = delete;

  // ---- arbiter::Hooks
  void attach(arbiter::MasterView& master) override;
  Status nworkers_changed(int new_value, std::optional<int> old_value) override;
  Status on_starting() override;
  Status when_ready() override;
  Status on_reload() override;
  Status pre_fork(const arbiter::WorkerContext& worker) override;
  void forked(int age, pid_t pid) override;
  void aborted(int age) override;
  Status child_exit(int age) override;
  Status on_exit() override;
  Status pre_exec() override;
  Status post_fork(const arbiter::WorkerContext& worker) override;
  Status worker_exit(int age) override;

  // ---- the worker process
  // Makes `app` the worker's wsgi, calls post_worker_init, then marks the
  // worker booted (only if the hook did not raise).
  Status post_worker_init(PyObject* app);
  Status worker_int();
  Status worker_abort();

  // Per request, from the WSGI bridge. `req` comes from
  // new_hook_request() and is made only when wants_request_objects().
  bool wants_request_objects() const { return pre_request_ || post_request_; }
  bool wants_response_object() const { return post_request_ != nullptr; }
  // False when the hook raised; the exception is left pending.
  bool pre_request(PyObject* req, const http::Request& request);
  void count_request();  // worker.nr += 1, before the application runs
  // `environ` null: the request failed before environ existed ({} and None
  // are passed, as gunicorn). Called with as many arguments as the hook takes.
  void post_request(PyObject* req, PyObject* environ, PyObject* resp);

  log::ErrorLog& log() { return log_; }

 private:
  PyObject* hook(std::string_view name) const;  // borrowed; null: the default
  // Reads the hooks from the settings; makes the objects they receive the
  // first time any hook is set. With the GIL held.
  void take_hooks();
  // Calls `fn` (if set) with `args`; the traceback as an error if it raised.
  Status call(PyObject* fn, std::initializer_list<PyObject*> args);
  PyObject* worker_by_age(int age) const;  // borrowed; null when unknown
  // Drops the worker from server.WORKERS and from the table; returns it.
  PyRef forget_worker(int age);

  const config::Config& config_;
  log::ErrorLog& log_;
  bool any_ = false;                 // some hook is or was set: the objects exist
  arbiter::MasterView* master_ = nullptr;  // from attach()
  PyObject* pre_request_ = nullptr;  // borrowed from the settings
  PyObject* post_request_ = nullptr;
  int post_request_arity_ = 4;
  PyRef cfg_, logger_, server_;
  std::map<int, PyRef> workers_;  // by age
  PyRef current_;                 // in a worker process: its own worker object
};

}  // namespace qilin::python
