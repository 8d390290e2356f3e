// The Prometheus text exposition (format 0.0.4) of qilin's metrics: what the
// workers counted (sys::MetricsTable) and what only the master knows.
//
//   qilin_requests_total{status="2xx"}                     counter
//   qilin_request_duration_seconds{phase="queue|app|send"} histogram
//   qilin_requests_in_flight                               gauge
//   qilin_workers / qilin_workers_desired                  gauge
//   qilin_worker_restarts_total{cause=...}                 counter
//   qilin_listen_backlog                                   gauge (TCP listeners)
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "sys/metrics_table.h"

namespace qilin::log {

enum class RestartCause { kTimeout, kMaxRequests, kCrash, kReload };
inline constexpr std::array<const char*, 4> kRestartCauseNames = {"timeout", "max_requests",
                                                                  "crash", "reload"};

struct MasterMetrics {
  int live_workers = 0;
  int desired_workers = 0;
  std::array<uint64_t, 4> restarts{};  // by RestartCause
  int backlog = -1;                    // -1: no TCP listener
};

std::string render_prometheus(const sys::MetricsTotals& workers, const MasterMetrics& master);

}  // namespace qilin::log
