// The seam between the C++ workers and whatever runs the application (the
// python layer implements it). A worker parses a request, then hands the
// application everything it needs for one exchange.
#pragma once

#include <cstdint>
#include <memory>

#include "http/request.h"
#include "worker/body_reader.h"
#include "worker/connection.h"
#include "worker/response_writer.h"

namespace qilin::worker {

struct Exchange;

// The application's end of an exchange whose response the worker finishes
// sending after handle() returned (see App::handle): closing what the
// application returned, the access log, the post_request hook.
class ExchangeEnd {
 public:
  virtual ~ExchangeEnd() = default;
  // On an application thread (or the loop, as handle()), once the body went
  // out or its sending failed. Returns what handle() would have. Leaves
  // nothing that needs the application's lock to destroy.
  virtual bool run(Exchange& exchange) = 0;
};

struct Exchange {
  const http::Request& request;
  Connection& connection;
  BodyReader& body;
  ResponseWriter& response;
  // Where handle() leaves its end when part of the response is still
  // pending (response.has_pending()); the worker runs it after the send.
  std::unique_ptr<ExchangeEnd>& end;
  int64_t ready_us = 0;  // sys::monotonic_us() when the request was queued for a thread (0: not queued)
};

class App {
 public:
  virtual ~App() = default;
  // Runs the application for one request and writes its response. On return
  // the response is finished, or response.started() is false (nothing was
  // sent; the worker answers 500), or the connection is unusable. Must not
  // throw. Returns false when the connection must be closed at once.
  //
  // When the worker lets the response defer what the socket does not take
  // at once (ResponseWriter::set_defer) and handle() left some pending, it
  // also left exchange.end: the worker sends the rest, then calls
  // exchange.end->run(), whose result stands for this one.
  virtual bool handle(Exchange& exchange) = 0;

  // A worker thread that will call handle() starts or ends (thread pools
  // call these once per thread, on that thread).
  virtual void thread_started() {}
  virtual void thread_stopping() {}

  // The loop thread is about to block in epoll_wait, or to stop. Without a
  // thread pool the loop runs handle() itself, and may keep what a request
  // took (the python layer keeps the GIL) for the next request of the same
  // burst; here it lets go.
  virtual void before_wait() {}

  // The worker answered a request itself with `status` (a malformed
  // request, a timeout), without calling handle(): for the metrics.
  virtual void rejected(int status) { (void)status; }
};

}  // namespace qilin::worker
