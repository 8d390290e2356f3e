#include "python/python_hooks.h"

#include <unistd.h>

#include "config/setting_table.h"
#include "python/hook_objects.h"
#include "python/interpreter.h"

namespace qilin::python {

PythonHooks::PythonHooks(const config::Config& config, log::ErrorLog& log)
    : config_(config), log_(log) {
  take_hooks();
}

void PythonHooks::settings_changed() {
  GilAcquire gil;
  if (any_ && !server_update_settings(server_.get(), config_, hook("nworkers_changed"))) {
    log_.error("cannot update the server object hooks receive: " + take_exception_line());
  }
  take_hooks();
}

void PythonHooks::take_hooks() {
  bool wanted = false;
  for (const config::Setting& row : config::setting_table()) {
    if (row.type == config::ValueType::kHook && hook(row.name)) wanted = true;
  }
  pre_request_ = wanted ? hook("pre_request") : nullptr;
  post_request_ = wanted ? hook("post_request") : nullptr;
  // gunicorn wraps a 2- or 3-argument post_request; the arity was checked
  // when the config file was read.
  if (post_request_) {
    int arity = positional_arity(post_request_);
    post_request_arity_ = arity == 2 || arity == 3 ? arity : 4;
  }
  // Once made, the objects stay (workers started before a reload that
  // removed every hook still leave server.WORKERS when they exit).
  if (!wanted || any_) return;
  if (init_hook_types()) {
    cfg_ = new_config_view(config_);
    logger_ = new_logger(log_);
    if (cfg_ && logger_)
      server_ = new_server(config_, cfg_.get(), logger_.get(), hook("nworkers_changed"));
  }
  if (!server_) {
    log_.error("cannot make the objects server hooks receive: " + take_exception_line());
    return;
  }
  any_ = true;
  if (master_) server_attach(server_.get(), master_);
}

PythonHooks::~PythonHooks() {
  GilAcquire gil;
  current_.reset();
  workers_.clear();
  server_.reset();
  logger_.reset();
  cfg_.reset();
}

PyObject* PythonHooks::hook(std::string_view name) const {
  return static_cast<PyObject*>(config_.handle(name).object);
}

Status PythonHooks::call(PyObject* fn, std::initializer_list<PyObject*> args) {
  if (!fn) return Status::ok();
  PyObject* argv[4];
  size_t n = 0;
  for (PyObject* a : args) argv[n++] = a;
  PyRef r = PyRef::steal(PyObject_Vectorcall(fn, argv, n, nullptr));
  if (!r) return Status::error(take_traceback());
  return Status::ok();
}

PyObject* PythonHooks::worker_by_age(int age) const {
  auto it = workers_.find(age);
  return it == workers_.end() ? nullptr : it->second.get();
}

PyRef PythonHooks::forget_worker(int age) {
  auto it = workers_.find(age);
  if (it == workers_.end()) return PyRef();
  PyRef worker = std::move(it->second);
  workers_.erase(it);
  PyRef pid = PyRef::steal(PyObject_GetAttrString(worker.get(), "pid"));
  PyObject* table = server_workers(server_.get());
  if (pid && table && PyDict_Contains(table, pid.get()) == 1) PyDict_DelItem(table, pid.get());
  PyErr_Clear();
  return worker;
}

// ---------------------------------------------------------------- master

void PythonHooks::attach(arbiter::MasterView& master) {
  master_ = &master;
  if (!any_) return;
  GilAcquire gil;
  server_attach(server_.get(), &master);
}

Status PythonHooks::nworkers_changed(int new_value, std::optional<int> old_value) {
  if (!any_ || !hook("nworkers_changed")) return Status::ok();
  GilAcquire gil;
  PyRef now = PyRef::steal(PyLong_FromLong(new_value));
  PyRef old = old_value ? PyRef::steal(PyLong_FromLong(*old_value)) : PyRef::borrow(Py_None);
  if (!now || !old) return Status::error(take_traceback());
  return call(hook("nworkers_changed"), {server_.get(), now.get(), old.get()});
}

Status PythonHooks::on_starting() {
  if (!any_) return Status::ok();
  GilAcquire gil;
  return call(hook("on_starting"), {server_.get()});
}

Status PythonHooks::when_ready() {
  if (!any_) return Status::ok();
  GilAcquire gil;
  return call(hook("when_ready"), {server_.get()});
}

Status PythonHooks::on_reload() {
  if (!any_) return Status::ok();
  GilAcquire gil;
  return call(hook("on_reload"), {server_.get()});
}

Status PythonHooks::on_exit() {
  if (!any_) return Status::ok();
  GilAcquire gil;
  return call(hook("on_exit"), {server_.get()});
}

Status PythonHooks::pre_exec() {
  if (!any_) return Status::ok();
  GilAcquire gil;
  return call(hook("pre_exec"), {server_.get()});
}

Status PythonHooks::pre_fork(const arbiter::WorkerContext& context) {
  if (!any_) return Status::ok();
  GilAcquire gil;
  PyRef worker = new_worker(context, getpid(), cfg_.get(), logger_.get());
  PyRef age = worker ? PyRef::steal(PyLong_FromLong(context.age)) : PyRef();
  if (!age || PyObject_SetAttrString(server_.get(), "worker_age", age.get()) != 0) {
    return Status::error(take_traceback());
  }
  workers_[context.age] = worker;
  return call(hook("pre_fork"), {server_.get(), worker.get()});
}

void PythonHooks::forked(int age, pid_t pid) {
  if (!any_) return;
  GilAcquire gil;
  PyObject* worker = worker_by_age(age);
  if (!worker) return;
  PyRef key = PyRef::steal(PyLong_FromLong(pid));
  PyObject* table = server_workers(server_.get());
  if (!worker_set_pid(worker, pid) || !key || !table ||
      PyDict_SetItem(table, key.get(), worker) != 0) {
    log_.error("cannot record worker " + std::to_string(pid) +
               " in server.WORKERS: " + take_exception_line());
  }
}

void PythonHooks::aborted(int age) {
  if (!any_) return;
  GilAcquire gil;
  if (PyObject* worker = worker_by_age(age); worker && !worker_set_flag(worker, "aborted", true)) {
    PyErr_Clear();
  }
}

Status PythonHooks::child_exit(int age) {
  if (!any_) return Status::ok();
  GilAcquire gil;
  PyRef worker = forget_worker(age);
  if (!worker) return Status::ok();
  return call(hook("child_exit"), {server_.get(), worker.get()});
}

// ---------------------------------------------------------------- worker

Status PythonHooks::post_fork(const arbiter::WorkerContext& context) {
  if (!any_) return Status::ok();
  GilAcquire gil;
  PyObject* worker = worker_by_age(context.age);
  if (!worker) return Status::ok();
  if (!worker_set_pid(worker, getpid())) return Status::error(take_traceback());
  worker_make_current(worker, &context.heartbeat, context.slot);
  current_ = PyRef::borrow(worker);
  return call(hook("post_fork"), {server_.get(), worker});
}

Status PythonHooks::worker_exit(int age) {
  if (!any_) return Status::ok();
  GilAcquire gil;
  // In the worker: itself. In the master: a worker whose pid vanished.
  PyRef worker = current_ ? current_ : forget_worker(age);
  if (!worker) return Status::ok();
  return call(hook("worker_exit"), {server_.get(), worker.get()});
}

Status PythonHooks::post_worker_init(PyObject* app) {
  if (!any_ || !current_) return Status::ok();
  GilAcquire gil;
  if (!worker_set_attr(current_.get(), "wsgi", app)) return Status::error(take_traceback());
  Status s = call(hook("post_worker_init"), {current_.get()});
  if (s && !worker_set_flag(current_.get(), "booted", true)) return Status::error(take_traceback());
  return s;
}

Status PythonHooks::worker_int() {
  if (!any_ || !current_) return Status::ok();
  GilAcquire gil;
  return call(hook("worker_int"), {current_.get()});
}

Status PythonHooks::worker_abort() {
  if (!any_ || !current_) return Status::ok();
  GilAcquire gil;
  return call(hook("worker_abort"), {current_.get()});
}

bool PythonHooks::pre_request(PyObject* req, const http::Request& request) {
  if (!pre_request_) {
    // gunicorn's default pre_request.
    if (log_.enabled(log::Level::kDebug)) {
      log_.debug(std::string(request.method) + " " + std::string(request.path));
    }
    return true;
  }
  GilAcquire gil;
  PyObject* argv[2] = {current_ ? current_.get() : Py_None, req};
  PyRef r = PyRef::steal(PyObject_Vectorcall(pre_request_, argv, 2, nullptr));
  return bool(r);
}

void PythonHooks::count_request() {
  if (current_) worker_count_request(current_.get());
}

void PythonHooks::post_request(PyObject* req, PyObject* environ, PyObject* resp) {
  if (!post_request_) return;
  GilAcquire gil;
  PyRef env = environ ? PyRef::borrow(environ) : PyRef::steal(PyDict_New());
  PyObject* argv[4] = {current_ ? current_.get() : Py_None, req, env ? env.get() : Py_None,
                       resp ? resp : Py_None};
  PyRef r =
      PyRef::steal(PyObject_Vectorcall(post_request_, argv, size_t(post_request_arity_), nullptr));
  if (!r) log_.error("Exception in post_request hook\n" + take_traceback());
}

}  // namespace qilin::python
