// The seam between the C++ workers and whatever runs the application (the
// python layer implements it). A worker parses a request, then hands the
// application everything it needs for one exchange.
#pragma once

#include <cstdint>

#include "http/request.h"
#include "worker/body_reader.h"
#include "worker/connection.h"
#include "worker/response_writer.h"

namespace qilin::worker {

struct Exchange {
  const http::Request& request;
  Connection& connection;
  BodyReader& body;
  ResponseWriter& response;
  int64_t ready_us = 0;  // sys::monotonic_us() when the request was queued for a thread (0: not queued)
};

class App {
 public:
  virtual ~App() = default;
  // Runs the application for one request and writes its response. On return
  // the response is finished, or response.started() is false (nothing was
  // sent; the worker answers 500), or the connection is unusable. Must not
  // throw. Returns false when the connection must be closed at once.
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
