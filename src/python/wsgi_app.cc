#include "python/wsgi_app.h"

#include <sys/stat.h>

#include "http/parse_error.h"
#include "log/statsd.h"
#include "python/access_logging.h"
#include "python/python_logger.h"
#include "python/spew.h"
#include "sys/heartbeat_table.h"
#include "python/hook_objects.h"
#include "python/interpreter.h"
#include "python/wsgi_streams.h"

namespace qilin::python {

namespace {

// The time this thread's current request has spent writing its response
// (the metrics' "send" phase); -1 when the worker counts nothing.
thread_local int64_t t_send_us = -1;

// Adds the time of one write to t_send_us, when it counts.
class SendTimer {
 public:
  SendTimer() : start_us_(t_send_us >= 0 ? sys::monotonic_us() : 0) {}
  ~SendTimer() {
    if (t_send_us >= 0) t_send_us += sys::monotonic_us() - start_us_;
  }

 private:
  int64_t start_us_;
};

// One item of the iterable the application returned. What the socket does
// not take at once may stay pending as a view of the item, which the caller
// then holds (Ending::held).
Status send_item(worker::ResponseWriter& response, std::string_view bytes, bool last) {
  SendTimer timer;
  GilReleaseIf unlocked(bytes.size() > kWriteKeepsGilBytes);
  return response.write(bytes, last, /*caller_keeps_bytes=*/true);
}

thread_local PyThreadState* t_waiting_state = nullptr;  // the GIL given up for a wait

void release_gil_for_wait() {
  if (PyGILState_Check()) t_waiting_state = PyEval_SaveThread();
}

void take_gil_after_wait() {
  if (t_waiting_state) PyEval_RestoreThread(std::exchange(t_waiting_state, nullptr));
}

// Makes every wait for a client (worker::Connection::wait_for) on a thread
// that holds the GIL release it for the wait.
void install_gil_wait_hooks() {
  worker::Connection::set_wait_hooks({release_gil_for_wait, take_gil_after_wait});
}

// Records one request in the worker's metrics (--metrics-bind) when it ends:
// its status class, and its time split into queue wait, app and send.
class RequestMetrics {
 public:
  RequestMetrics(sys::WorkerMetrics* metrics, const worker::Exchange& ex, int64_t start_us)
      : metrics_(metrics), start_us_(start_us) {
    if (!metrics_) return;
    metrics_->in_flight.fetch_add(1, std::memory_order_relaxed);
    metrics_->queue.observe(ex.ready_us > 0 ? start_us - ex.ready_us : 0);
    t_send_us = 0;
  }
  // The worker sends the rest of the body after this thread returns: the
  // time from here to end() counts as sending.
  void hand_over() {
    if (!metrics_) return;
    send_us_ = std::exchange(t_send_us, -1);
    handed_over_us_ = sys::monotonic_us();
  }
  void end(const worker::Exchange& ex) {
    if (!metrics_) return;
    const int64_t now = sys::monotonic_us();
    if (handed_over_us_) send_us_ += now - handed_over_us_;
    else send_us_ = std::exchange(t_send_us, -1);
    metrics_->count_response(ex.response.headers_sent() ? ex.response.status_code() : 500);
    metrics_->app.observe(now - start_us_ - send_us_);
    metrics_->send.observe(send_us_);
    metrics_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  sys::WorkerMetrics* metrics_;
  int64_t start_us_;
  int64_t send_us_ = 0;
  int64_t handed_over_us_ = 0;
};

}  // namespace

void WsgiApp::rejected(int status) {
  if (!metrics_) return;
  metrics_->count_response(status);
}

WsgiApp::WsgiApp(PyRef app, log::ErrorLog& log, PythonHooks& hooks, bool multiprocess, bool multithread,
                 bool sendfile, bool keeps_alive)
    : app_(std::move(app)),
      log_(log),
      hooks_(hooks),
      multiprocess_(multiprocess),
      multithread_(multithread),
      sendfile_(sendfile),
      keeps_alive_(keeps_alive) {}

bool WsgiApp::init() {
  if (!init_wsgi_types()) {
    log_.error("cannot create the WSGI types: " + take_exception_line());
    return false;
  }
  install_gil_wait_hooks();
  errors_ = new_error_stream(log_.fd());
  close_name_ = PyRef::steal(PyUnicode_InternFromString("close"));
  if (!errors_ || !close_name_ || !environ_.init(errors_.get(), multiprocess_, multithread_)) {
    log_.error("cannot prepare environ: " + take_exception_line());
    return false;
  }
  return true;
}

namespace {
thread_local PyGILState_STATE t_gil_state;
thread_local PyThreadState* t_saved_state = nullptr;
}  // namespace

void WsgiApp::set_spew(bool on) { spew_ = on && prepare_spew(); }

void WsgiApp::thread_started() {
  t_gil_state = PyGILState_Ensure();  // makes this thread's state if it has none
  if (spew_) (void)start_spew();
  t_saved_state = PyEval_SaveThread();
}

namespace {

thread_local bool t_loop_holds_gil = false;

// The GIL for one request. On an application thread of a pool it is taken
// and given back. On the loop thread (one application thread: the loop
// runs the app itself) it is taken when the loop does not hold it yet, and
// kept for the next request of the same burst, until before_wait().
class RequestGil {
 public:
  explicit RequestGil(bool keep) : keep_(keep && t_saved_state) {
    if (!keep_) {
      state_ = PyGILState_Ensure();
    } else if (!t_loop_holds_gil) {
      PyEval_RestoreThread(t_saved_state);
      t_loop_holds_gil = true;
    }
  }
  ~RequestGil() {
    if (!keep_) PyGILState_Release(state_);
  }
  RequestGil(const RequestGil&) = delete;
  RequestGil& operator=(const RequestGil&) = delete;

 private:
  bool keep_;
  PyGILState_STATE state_{};
};

}  // namespace

void WsgiApp::before_wait() {
  if (!t_loop_holds_gil) return;
  t_saved_state = PyEval_SaveThread();
  t_loop_holds_gil = false;
}

void WsgiApp::thread_stopping() {
  before_wait();
  if (!t_saved_state) return;
  PyEval_RestoreThread(t_saved_state);
  t_saved_state = nullptr;
  PyGILState_Release(t_gil_state);
}

// One request from the application's call to its end. On the stack while
// handle() runs; moved to the heap, as the exchange's end, when the worker
// sends the rest of its response after handle() returned.
struct WsgiApp::Ending final : worker::ExchangeEnd {
  Ending(WsgiApp* app, const worker::Exchange& ex, int64_t start_us)
      : app(app), start_us(start_us), metrics(app->metrics_, ex, start_us) {}
  bool run(worker::Exchange& ex) override {
    RequestGil gil(/*keep=*/!app->multithread_);
    Ending self = std::move(*this);  // its references go while the GIL is held
    return app->end_exchange(ex, self);
  }

  WsgiApp* app;
  int64_t start_us;  // 0 when nothing uses the duration
  RequestMetrics metrics;
  PyRef req;      // what the request hooks see; null when none wants it
  PyRef environ;  // null when none was made
  PyRef result;   // what the application returned
  PyRef held;     // the item whose bytes the response still sends, if any
  bool usable = true;
};

bool WsgiApp::handle(worker::Exchange& ex) {
  // The clock is read only for those that use the request's duration.
  const bool timed = metrics_ || python_logger_ || (access_log_ && access_log_->enabled()) || log_.statsd();
  const int64_t start_us = timed ? sys::monotonic_us() : 0;
  RequestGil gil(/*keep=*/!multithread_);
  Ending e(this, ex, start_us);
  auto fail_early = [&]() {
    const bool usable = fail(ex, "Error handling request " + std::string(ex.request.uri));
    e.metrics.end(ex);
    return usable;
  };
  if (hooks_.wants_request_objects()) {
    e.req = new_hook_request(ex.request, ex.connection.peer());
    if (!e.req) return fail_early();
  }
  if (!hooks_.pre_request(e.req.get(), ex.request)) {
    // As gunicorn: post_request still runs (with {} and None), then the
    // request fails with pre_request's exception.
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    hooks_.post_request(e.req.get(), nullptr, nullptr);
    PyErr_Restore(type, value, tb);
    return fail_early();
  }
  hooks_.count_request();
  e.usable = call_app(ex, &e);
  if (ex.response.has_pending() && !e.usable) ex.response.drop_pending();  // closing anyway
  if (ex.response.has_pending()) {
    // The worker sends the rest, then runs end_exchange.
    e.metrics.hand_over();
    ex.end = std::make_unique<Ending>(std::move(e));
    return true;
  }
  return end_exchange(ex, e);
}

bool WsgiApp::end_exchange(worker::Exchange& ex, Ending& e) {
  // close() is always called, after an error or a disconnect too.
  // (A list or tuple has no close(); the lookup is skipped for them.)
  PyObject* result = e.result.get();
  if (result && !PyList_CheckExact(result) && !PyTuple_CheckExact(result) &&
      PyObject_HasAttr(result, close_name_.get())) {
    PyRef r = PyRef::steal(PyObject_CallMethodNoArgs(result, close_name_.get()));
    if (!r) log_.error("Error while closing the response iterable\n" + take_traceback());
  }
  const int64_t duration_us = e.start_us ? sys::monotonic_us() - e.start_us : 0;
  if (python_logger_) {
    python_logger_->access(ex, e.environ.get(), duration_us, keeps_alive_);
  } else if (access_log_ && access_log_->enabled()) {
    log_access(*access_log_, ex, e.environ.get(), duration_us);
  }
  if (log::Statsd* statsd = log_.statsd()) {
    statsd->request_done(ex.response.headers_sent() ? ex.response.status_code() : 500, duration_us);
  }
  if (hooks_.wants_response_object()) {
    PyRef resp = e.environ ? new_hook_response(ex.response, ex.request, keeps_alive_) : PyRef();
    if (e.environ && !resp) log_.error("cannot make post_request's resp: " + take_exception_line());
    hooks_.post_request(e.req.get(), e.environ.get(), resp.get());
  }
  e.metrics.end(ex);
  return e.usable;
}

bool WsgiApp::call_app(worker::Exchange& ex, Ending* e) {
  PyRef input = new_input_stream(&ex.body);
  PyRef start_response = new_start_response(&ex.response);
  if (!input || !start_response) return fail(ex, "Error handling request " + std::string(ex.request.uri));

  std::string problem;
  PyRef environ = environ_.build(ex.request, ex.connection, input.get(), &problem);
  bool usable = true;
  if (!environ) {
    if (problem.empty()) {
      usable = fail(ex, "Error handling request " + std::string(ex.request.uri));
    } else {
      log_.error(problem);
      GilRelease unlocked;
      (void)ex.connection.write_all(http::render_error_page(500, "Internal Server Error", problem));
    }
    detach_input_stream(input.get());
    detach_start_response(start_response.get());
    return usable;
  }
  e->environ = environ;

  e->result = PyRef::steal(
      PyObject_CallFunctionObjArgs(app_.get(), environ.get(), start_response.get(), nullptr));
  bool broken = false;
  if (!e->result) {
    usable = fail(ex, "Error handling request " + std::string(ex.request.uri));
  } else if (!write_result(e->result.get(), ex.response, &broken, &e->held)) {
    usable = broken ? false : fail(ex, "Error handling request " + std::string(ex.request.uri));
  }
  // The application is done with both (part of the response may still be pending).
  detach_input_stream(input.get());
  detach_start_response(start_response.get());
  return usable && !broken;
}

bool WsgiApp::write_result(PyObject* result, worker::ResponseWriter& response, bool* broken,
                           PyRef* held) {
  auto check_started = [&]() {
    if (response.started()) return true;
    PyErr_SetString(PyExc_AssertionError, "The application did not call start_response()");
    return false;
  };
  auto write_item = [&](PyObject* item, bool last) {
    if (!PyBytes_Check(item)) {
      PyErr_Format(PyExc_TypeError, "%R is not a byte", item);
      return false;
    }
    if (!check_started()) return false;
    Status s = send_item(response, std::string_view(PyBytes_AS_STRING(item), size_t(PyBytes_GET_SIZE(item))), last);
    // What the socket did not take stays pending as a view of `item`.
    *held = response.holds_caller_bytes() ? PyRef::borrow(item) : PyRef();
    if (!s) {
      log_.debug("Ignoring write error: " + s.message());
      *broken = true;
      return false;
    }
    return true;
  };

  if (PyList_CheckExact(result) || PyTuple_CheckExact(result)) {
    // The common case: the whole body at once; the last item carries the end.
    Py_ssize_t n = PySequence_Fast_GET_SIZE(result);
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (!write_item(PySequence_Fast_GET_ITEM(result, i), i == n - 1)) return false;
    }
  } else if (PyObject* filelike = file_wrapper_filelike(result)) {
    bool handled = false;
    if (!write_file_wrapper(filelike, response, &handled, broken)) return false;
    if (!handled) {
      PyRef it = PyRef::steal(PyObject_GetIter(result));
      if (!it) return false;
      while (PyRef item = PyRef::steal(PyIter_Next(it.get()))) {
        if (!write_item(item.get(), false)) return false;
      }
      if (PyErr_Occurred()) return false;
    }
  } else {
    PyRef it = PyRef::steal(PyObject_GetIter(result));
    if (!it) return false;
    while (PyRef item = PyRef::steal(PyIter_Next(it.get()))) {
      if (!write_item(item.get(), false)) return false;
    }
    if (PyErr_Occurred()) return false;
  }
  if (!check_started()) return false;
  Status s;
  {
    SendTimer timer;  // finish() writes a head or a last chunk at most
    s = response.finish();
  }
  if (!s) {
    *broken = true;
    return false;
  }
  return true;
}

bool WsgiApp::write_file_wrapper(PyObject* filelike, worker::ResponseWriter& response, bool* handled,
                                 bool* broken) {
  // Only a real regular file with a descriptor goes out with sendfile (or
  // pread when --no-sendfile); anything else is iterated.
  PyRef fileno = PyRef::steal(PyObject_CallMethod(filelike, "fileno", nullptr));
  if (!fileno) {
    PyErr_Clear();
    return true;
  }
  int fd = PyLong_AsLong(fileno.get());
  struct stat st;
  if (fd < 0 || PyErr_Occurred() || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    PyErr_Clear();
    return true;
  }
  if (!response.started()) {
    PyErr_SetString(PyExc_AssertionError, "The application did not call start_response()");
    return false;
  }
  int64_t offset = 0;
  if (PyObject_HasAttrString(filelike, "tell")) {
    PyRef pos = PyRef::steal(PyObject_CallMethod(filelike, "tell", nullptr));
    if (pos) offset = PyLong_AsLongLong(pos.get());
    if (!pos || PyErr_Occurred()) {
      PyErr_Clear();
      offset = 0;
    }
  }
  uint64_t count = st.st_size > offset ? uint64_t(st.st_size - offset) : 0;
  if (response.content_length() >= 0) count = std::min<uint64_t>(count, uint64_t(response.content_length()));
  *handled = true;
  Status s;
  {
    SendTimer timer;
    GilRelease unlocked;
    s = response.write_file(fd, offset, count, sendfile_);
  }
  if (!s) {
    log_.debug("Ignoring write error: " + s.message());
    *broken = true;
    return false;
  }
  return true;
}

bool WsgiApp::fail(worker::Exchange& ex, const std::string& what) {
  std::string tb = take_traceback();
  log_.exception(what + "\n" + tb);
  if (ex.response.headers_sent()) return false;  // mid-response: all we can do is close
  GilRelease unlocked;
  (void)ex.connection.write_all(http::render_error_page(500, "Internal Server Error", ""));
  return true;
}

}  // namespace qilin::python
