// The Python objects server hooks receive, shaped like gunicorn's so that a
// gunicorn.conf.py runs unchanged:
//   cfg     every setting as an attribute (server.cfg.workers), read-only,
//           plus gunicorn's derived ones (proc_name, env, worker_class_str...)
//   log     gunicorn's logger methods (info, exception...), writing to the
//           error log
//   server  the master (gunicorn's Arbiter): pid, num_workers (setting it
//           changes the count and calls nworkers_changed), WORKERS, cfg, log,
//           proc_name, timeout, worker_class, and USR2's master_name,
//           master_pid, reexec_pid, systemd
//   worker  one worker (gunicorn's Worker): age, pid ("[booting]" until
//           forked), ppid, alive (False stops the worker after the current
//           request), nr, booted, aborted, max_requests, timeout, cfg, log,
//           wsgi, notify()
//   req     a parsed request (gunicorn's http.Request) for pre/post_request
//   resp    the response that went out (gunicorn's http.wsgi.Response)
// Each has a __dict__, so hooks may keep their own attributes on them
// (req.start_time = time.time() in pre_request is a common one). Every
// function here must be called with the GIL held.
#pragma once

#include <sys/types.h>

#include "arbiter/hooks.h"
#include "config/config.h"
#include "http/request.h"
#include "log/error_log.h"
#include "python/py_ref.h"
#include "worker/connection.h"
#include "worker/response_writer.h"

namespace qilin::python {

// Readies the types; false with a Python error set.
bool init_hook_types();

// ---- cfg and log (config_view.cc, hook_logger.cc)
// `config` must outlive the object, or be detached from it first.
PyRef new_config_view(const config::Config& config);
// From now on, reading a setting from `view` raises RuntimeError.
void detach_config_view(PyObject* view);
// One setting's value as gunicorn holds it (None, bool, int, str, list,
// dict, the callable); a hook left at its default is a no-op callable.
PyRef setting_to_python(const config::Config& config, std::string_view name);
PyRef new_logger(log::ErrorLog& log);

// ---- server (hook_objects.cc)
// `nworkers_changed` is the hook called when a hook assigns
// server.num_workers (None: nothing to call).
PyRef new_server(const config::Config& config, PyObject* cfg, PyObject* log,
                 PyObject* nworkers_changed);
void server_attach(PyObject* server, arbiter::MasterView* master);
// After HUP: the attributes taken from the settings (worker_class,
// proc_name, timeout, pidfile) and the nworkers_changed hook follow the
// reloaded `config`. False with a Python error set.
bool server_update_settings(PyObject* server, const config::Config& config,
                            PyObject* nworkers_changed);
PyObject* server_workers(PyObject* server);  // borrowed: the WORKERS dict

// ---- worker (hook_objects.cc)
// Made in the master before fork; `ppid` is the master's pid.
PyRef new_worker(const arbiter::WorkerContext& context, pid_t ppid, PyObject* cfg, PyObject* log);
// Sets worker.pid (int).
bool worker_set_pid(PyObject* worker, pid_t pid);
// In the worker process: this object is the process itself. `alive` then
// reads and stops the process's loop, and notify() beats its heartbeat.
void worker_make_current(PyObject* worker, sys::HeartbeatTable* heartbeat, int slot);
bool worker_set_flag(PyObject* worker, const char* name, bool value);  // booted, aborted
bool worker_set_attr(PyObject* worker, const char* name, PyObject* value);
void worker_count_request(PyObject* worker);  // nr += 1

// ---- req and resp (request_objects.cc)
PyRef new_hook_request(const http::Request& request, const worker::PeerAddress& peer);
// `keeps_alive`: whether the worker kind may keep the connection open.
PyRef new_hook_response(const worker::ResponseWriter& response, const http::Request& request,
                        bool keeps_alive);

}  // namespace qilin::python
