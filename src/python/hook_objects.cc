// `server` and `worker`. Plain attributes live in the instance __dict__ (as
// on gunicorn's objects); what must follow the running processes is a
// property: server.pid, server.num_workers and the USR2 state
// (master_name, master_pid, reexec_pid, systemd, proc_name) ask the master,
// worker.alive and worker.nr are the worker's own state.
#include "python/hook_objects.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "worker/worker_signals.h"

namespace qilin::python {

bool init_config_view_type();  // config_view.cc
bool init_logger_type();       // hook_logger.cc
bool init_request_types();     // request_objects.cc

namespace {

// ---------------------------------------------------------------- helpers

bool set_item(PyObject* dict, const char* key, PyRef value) {
  return value && PyDict_SetItemString(dict, key, value.get()) == 0;
}

PyRef py_int(long long v) { return PyRef::steal(PyLong_FromLongLong(v)); }
PyRef py_bool(bool v) { return PyRef::borrow(v ? Py_True : Py_False); }
PyRef py_str(const std::string& s) {
  return PyRef::steal(PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "surrogateescape"));
}

template <typename T>
void dealloc(PyObject* obj) {
  auto* self = reinterpret_cast<T*>(obj);
  self->clear_members();
  PyTypeObject* type = Py_TYPE(obj);
  type->tp_free(obj);
  Py_DECREF(type);
}

// ---------------------------------------------------------------- server

struct Server {
  PyObject_HEAD PyObject* dict;
  PyObject* nworkers_changed;  // the hook, or None
  arbiter::MasterView* master;
  void clear_members() {
    Py_CLEAR(dict);
    Py_CLEAR(nworkers_changed);
  }
};

PyTypeObject* server_type = nullptr;

PyObject* server_get_pid(PyObject* obj, void*) {
  auto* self = reinterpret_cast<Server*>(obj);
  if (!self->master) Py_RETURN_NONE;
  return PyLong_FromLong(long(self->master->pid()));
}

// The USR2 state; `which` names the attribute (the getset closure).
enum class MasterState { kMasterName, kMasterPid, kReexecPid, kSystemd, kProcName };

PyObject* server_get_state(PyObject* obj, void* which) {
  auto* self = reinterpret_cast<Server*>(obj);
  if (!self->master) Py_RETURN_NONE;
  const arbiter::MasterView& m = *self->master;
  switch (static_cast<MasterState>(reinterpret_cast<intptr_t>(which))) {
    case MasterState::kMasterName: return py_str(m.master_name()).release();
    case MasterState::kMasterPid: return PyLong_FromLong(long(m.master_pid()));
    case MasterState::kReexecPid: return PyLong_FromLong(long(m.reexec_pid()));
    case MasterState::kSystemd: return PyBool_FromLong(m.systemd());
    case MasterState::kProcName: return py_str(m.proc_name()).release();
  }
  Py_RETURN_NONE;
}

void* state_closure(MasterState which) {
  return reinterpret_cast<void*>(static_cast<intptr_t>(which));
}

PyObject* server_get_num_workers(PyObject* obj, void*) {
  auto* self = reinterpret_cast<Server*>(obj);
  if (!self->master) Py_RETURN_NONE;
  return PyLong_FromLong(self->master->num_workers());
}

// gunicorn's property: assign, then call nworkers_changed(server, new, old);
// what the hook raises reaches the assigning code.
int server_set_num_workers(PyObject* obj, PyObject* value, void*) {
  auto* self = reinterpret_cast<Server*>(obj);
  if (!value) {
    PyErr_SetString(PyExc_AttributeError, "can't delete num_workers");
    return -1;
  }
  long n = PyLong_AsLong(value);
  if (n == -1 && PyErr_Occurred()) return -1;
  if (n < 0 || n > 4096) {
    PyErr_Format(PyExc_ValueError, "num_workers must be between 0 and 4096, not %ld", n);
    return -1;
  }
  if (!self->master) {
    PyErr_SetString(PyExc_RuntimeError, "the master is not running");
    return -1;
  }
  PyRef old = py_int(self->master->num_workers());
  PyRef now = py_int(n);
  if (!old || !now) return -1;
  self->master->set_num_workers(int(n));
  if (self->nworkers_changed == Py_None) return 0;
  PyRef r = PyRef::steal(
      PyObject_CallFunctionObjArgs(self->nworkers_changed, obj, now.get(), old.get(), nullptr));
  return r ? 0 : -1;
}

PyGetSetDef server_getset[] = {
    {"pid", server_get_pid, nullptr, "the master's pid", nullptr},
    {"num_workers", server_get_num_workers, server_set_num_workers,
     "workers the master keeps; assigning changes the count and calls nworkers_changed", nullptr},
    {"master_name", server_get_state, nullptr,
     "\"Master\", or \"Master.2\" until a USR2 master is promoted",
     state_closure(MasterState::kMasterName)},
    {"master_pid", server_get_state, nullptr,
     "the old master's pid while a USR2 master is not promoted, else 0",
     state_closure(MasterState::kMasterPid)},
    {"reexec_pid", server_get_state, nullptr, "the pid of the new master a USR2 started, else 0",
     state_closure(MasterState::kReexecPid)},
    {"systemd", server_get_state, nullptr, "whether the sockets came from systemd",
     state_closure(MasterState::kSystemd)},
    {"proc_name", server_get_state, nullptr,
     "the process name (\"NAME.2\" until a USR2 master is promoted)",
     state_closure(MasterState::kProcName)},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMemberDef server_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(Server, dict), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

// ---------------------------------------------------------------- worker

struct Worker {
  PyObject_HEAD PyObject* dict;
  long long nr;
  bool alive;    // for a worker object that is not this process
  bool current;  // this process is the worker
  sys::HeartbeatTable* heartbeat;
  int slot;
  void clear_members() { Py_CLEAR(dict); }
};

PyTypeObject* worker_type = nullptr;

PyObject* worker_get_alive(PyObject* obj, void*) {
  auto* self = reinterpret_cast<Worker*>(obj);
  return PyBool_FromLong(self->current ? worker::WorkerSignals::alive() : self->alive);
}

// False stops the worker after the request in progress, as in gunicorn.
// A stopped worker cannot be revived.
int worker_set_alive(PyObject* obj, PyObject* value, void*) {
  auto* self = reinterpret_cast<Worker*>(obj);
  int truth = value ? PyObject_IsTrue(value) : 0;
  if (truth < 0) return -1;
  if (self->current && !truth) worker::WorkerSignals::stop();
  self->alive = self->alive && truth;
  return 0;
}

PyObject* worker_get_nr(PyObject* obj, void*) {
  return PyLong_FromLongLong(reinterpret_cast<Worker*>(obj)->nr);
}

int worker_set_nr(PyObject* obj, PyObject* value, void*) {
  long long n = value ? PyLong_AsLongLong(value) : 0;
  if (n == -1 && PyErr_Occurred()) return -1;
  reinterpret_cast<Worker*>(obj)->nr = n;
  return 0;
}

PyObject* worker_notify(PyObject* obj, PyObject*) {
  auto* self = reinterpret_cast<Worker*>(obj);
  if (self->current && self->heartbeat) self->heartbeat->beat(self->slot);
  Py_RETURN_NONE;
}

PyObject* worker_str(PyObject* obj) {
  auto* self = reinterpret_cast<Worker*>(obj);
  PyObject* pid = self->dict ? PyDict_GetItemString(self->dict, "pid") : nullptr;  // borrowed
  return PyUnicode_FromFormat("<Worker %S>", pid ? pid : Py_None);
}

PyGetSetDef worker_getset[] = {
    {"alive", worker_get_alive, worker_set_alive,
     "False once the worker is stopping; set False to stop it after the current request", nullptr},
    {"nr", worker_get_nr, worker_set_nr, "requests handled so far", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMethodDef worker_methods[] = {
    {"notify", worker_notify, METH_NOARGS, "beats the heartbeat the master watches"},
    {nullptr, nullptr, 0, nullptr}};

PyMemberDef worker_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(Worker, dict), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

bool init_server_and_worker_types() {
  static PyType_Slot server_slots[] = {
      {Py_tp_doc, const_cast<char*>("The master, as hooks see it (gunicorn's Arbiter)")},
      {Py_tp_dealloc, reinterpret_cast<void*>(dealloc<Server>)},
      {Py_tp_getset, server_getset},
      {Py_tp_members, server_members},
      {0, nullptr}};
  static PyType_Spec server_spec = {"qilin.Arbiter", sizeof(Server), 0, Py_TPFLAGS_DEFAULT,
                                    server_slots};
  static PyType_Slot worker_slots[] = {
      {Py_tp_doc, const_cast<char*>("A worker, as hooks see it (gunicorn's Worker)")},
      {Py_tp_dealloc, reinterpret_cast<void*>(dealloc<Worker>)},
      {Py_tp_getset, worker_getset},
      {Py_tp_methods, worker_methods},
      {Py_tp_members, worker_members},
      {Py_tp_str, reinterpret_cast<void*>(worker_str)},
      {Py_tp_repr, reinterpret_cast<void*>(worker_str)},
      {0, nullptr}};
  static PyType_Spec worker_spec = {"qilin.Worker", sizeof(Worker), 0, Py_TPFLAGS_DEFAULT,
                                    worker_slots};
  server_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&server_spec));
  worker_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&worker_spec));
  return server_type && worker_type;
}

}  // namespace

bool init_hook_types() {
  static bool ready = false;
  if (!ready) {
    ready = init_config_view_type() && init_logger_type() && init_server_and_worker_types() &&
            init_request_types();
  }
  return ready;
}

PyRef new_server(const config::Config& config, PyObject* cfg, PyObject* log,
                 PyObject* nworkers_changed) {
  Server* self = PyObject_New(Server, server_type);
  if (!self) return PyRef();
  self->dict = PyDict_New();
  self->nworkers_changed = nullptr;  // set by server_update_settings
  self->master = nullptr;
  PyRef server = PyRef::steal(reinterpret_cast<PyObject*>(self));
  PyObject* d = self->dict;
  if (!d) return PyRef();
  bool ok = set_item(d, "cfg", PyRef::borrow(cfg)) && set_item(d, "log", PyRef::borrow(log)) &&
            set_item(d, "WORKERS", PyRef::steal(PyDict_New())) &&
            set_item(d, "worker_age", py_int(0)) &&
            server_update_settings(server.get(), config, nworkers_changed);
  return ok ? std::move(server) : PyRef();
}

bool server_update_settings(PyObject* server, const config::Config& config,
                            PyObject* nworkers_changed) {
  auto* self = reinterpret_cast<Server*>(server);
  Py_XSETREF(self->nworkers_changed, Py_NewRef(nworkers_changed ? nworkers_changed : Py_None));
  PyObject* d = self->dict;
  return set_item(d, "worker_class", setting_to_python(config, "worker_class")) &&
         set_item(d, "timeout", py_int(config.integer("timeout"))) &&
         set_item(d, "pidfile", setting_to_python(config, "pidfile"));
}

void server_attach(PyObject* server, arbiter::MasterView* master) {
  reinterpret_cast<Server*>(server)->master = master;
}

PyObject* server_workers(PyObject* server) {
  return PyDict_GetItemString(reinterpret_cast<Server*>(server)->dict, "WORKERS");
}

PyRef new_worker(const arbiter::WorkerContext& context, pid_t ppid, PyObject* cfg, PyObject* log) {
  Worker* self = PyObject_New(Worker, worker_type);
  if (!self) return PyRef();
  self->dict = PyDict_New();
  self->nr = 0;
  self->alive = true;
  self->current = false;
  self->heartbeat = nullptr;
  self->slot = -1;
  PyRef worker = PyRef::steal(reinterpret_cast<PyObject*>(self));
  PyObject* d = self->dict;
  if (!d) return PyRef();
  // gunicorn: no max_requests means sys.maxsize; timeout is the notify
  // interval, half the setting.
  int64_t max_requests =
      context.options.max_requests > 0 ? context.options.max_requests : int64_t(PY_SSIZE_T_MAX);
  bool ok = set_item(d, "age", py_int(context.age)) && set_item(d, "pid", py_str("[booting]")) &&
            set_item(d, "ppid", py_int(ppid)) && set_item(d, "booted", py_bool(false)) &&
            set_item(d, "aborted", py_bool(false)) &&
            set_item(d, "max_requests", py_int(max_requests)) &&
            set_item(d, "timeout",
                     PyRef::steal(PyFloat_FromDouble(context.options.timeout_seconds / 2.0))) &&
            set_item(d, "cfg", PyRef::borrow(cfg)) && set_item(d, "log", PyRef::borrow(log)) &&
            set_item(d, "wsgi", PyRef::borrow(Py_None)) &&
            set_item(d, "reloader", PyRef::borrow(Py_None));
  return ok ? std::move(worker) : PyRef();
}

bool worker_set_pid(PyObject* worker, pid_t pid) {
  return set_item(reinterpret_cast<Worker*>(worker)->dict, "pid", py_int(pid));
}

void worker_make_current(PyObject* worker, sys::HeartbeatTable* heartbeat, int slot) {
  auto* self = reinterpret_cast<Worker*>(worker);
  self->current = true;
  self->heartbeat = heartbeat;
  self->slot = slot;
}

bool worker_set_flag(PyObject* worker, const char* name, bool value) {
  return set_item(reinterpret_cast<Worker*>(worker)->dict, name, py_bool(value));
}

bool worker_set_attr(PyObject* worker, const char* name, PyObject* value) {
  return set_item(reinterpret_cast<Worker*>(worker)->dict, name, PyRef::borrow(value));
}

void worker_count_request(PyObject* worker) { ++reinterpret_cast<Worker*>(worker)->nr; }

}  // namespace qilin::python
