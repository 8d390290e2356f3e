// The master's side of --metrics-bind: the shared table the workers count
// into, what only the master knows (live and desired workers, restarts by
// cause, the listen backlog), and the server thread that renders both for
// Prometheus at /metrics. Made only when metrics_bind is set; without it the
// workers get no table and count nothing.
#pragma once

#include <array>
#include <atomic>
#include <string>

#include "core/result.h"
#include "log/prometheus.h"
#include "sys/metrics_server.h"
#include "sys/metrics_table.h"

namespace qilin::arbiter {

class MetricsExporter {
 public:
  // Binds `address` (HOST:PORT or unix:PATH) and starts serving.
  Status start(const std::string& address);
  const std::string& url() const { return server_.url(); }
  int listen_fd() const { return server_.listen_fd(); }  // a forked worker closes it

  // Master thread.
  sys::WorkerMetrics* worker_started(int slot);  // the slot the new worker counts into
  void worker_exited(int slot);
  void restarted(log::RestartCause cause) { ++restarts_[size_t(cause)]; }
  void update(int live_workers, int desired_workers, int backlog);

 private:
  std::string render() const;  // server thread

  sys::MetricsTable table_;
  sys::MetricsServer server_;
  std::array<std::atomic<uint64_t>, 4> restarts_{};
  std::atomic<int> live_{0}, desired_{0}, backlog_{-1};
};

}  // namespace qilin::arbiter
