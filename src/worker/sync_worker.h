// The sync worker, with gunicorn's semantics: one request at a time, the
// application runs on the only thread, every response says
// "Connection: close". Accepting and reading happen in C++; the app is
// reached through the App seam. Signals: TERM finishes the current request
// and exits; INT/QUIT exit at once; USR1 reopens the error log; ABRT (the
// master's timeout) exits with code 1.
#pragma once

#include <vector>

#include "log/error_log.h"
#include "log/log_file.h"
#include "sys/heartbeat_table.h"
#include "sys/listener.h"
#include "worker/app.h"
#include "worker/worker_options.h"

namespace qilin::worker {

class SyncWorker {
 public:
  SyncWorker(const WorkerOptions& options, const std::vector<sys::Listener>& listeners,
             sys::HeartbeatTable& heartbeat, int slot, log::ErrorLog& log, App& app);
  // Serves until told to stop, recycled, or orphaned. Returns the exit code.
  int run();

 private:
  void serve(int client_fd, const sys::Listener& listener);
  // Reads and parses the head; false when the connection is done with.
  bool read_head(http::Request& request);
  void reject(http::ErrorKind kind, const std::string& detail);
  bool accept_one();

  const WorkerOptions& options_;
  const std::vector<sys::Listener>& listeners_;
  sys::HeartbeatTable& heartbeat_;
  int slot_;
  log::ErrorLog& log_;
  App& app_;
  Connection conn_;
  BodyReader body_;
  ResponseWriter response_;
  http::Request request_;
  int64_t served_ = 0;
};

}  // namespace qilin::worker
