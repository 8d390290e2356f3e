#include "log/prometheus.h"

#include <cstdio>

namespace qilin::log {

namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string seconds(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llu.%06llu", static_cast<unsigned long long>(us / 1000000),
                static_cast<unsigned long long>(us % 1000000));
  return buf;
}

// An "le" bound: the shortest decimal for the bucket's seconds ("0.0025", "1").
std::string bound(int64_t us) {
  std::string s = seconds(uint64_t(us));
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

void histogram(std::string& out, const char* phase, const sys::HistogramTotals& h) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    cumulative += h.buckets[i];
    const std::string le = i < sys::kDurationBucketsUs.size() ? bound(sys::kDurationBucketsUs[i]) : "+Inf";
    out += "qilin_request_duration_seconds_bucket{phase=\"" + std::string(phase) + "\",le=\"" + le +
           "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "qilin_request_duration_seconds_sum{phase=\"" + std::string(phase) + "\"} " + seconds(h.sum_us) + "\n";
  out += "qilin_request_duration_seconds_count{phase=\"" + std::string(phase) + "\"} " +
         std::to_string(h.count) + "\n";
}

}  // namespace

std::string render_prometheus(const sys::MetricsTotals& w, const MasterMetrics& m) {
  std::string out;
  out.reserve(4096);
  header(out, "qilin_requests_total", "counter", "Responses sent, by status class.");
  for (int cls = 1; cls <= 5; ++cls) {
    out += "qilin_requests_total{status=\"" + std::to_string(cls) + "xx\"} " +
           std::to_string(w.responses[size_t(cls)]) + "\n";
  }
  header(out, "qilin_request_duration_seconds", "histogram",
         "Time per request phase: queue (complete request to application start), app "
         "(in the application, writes excluded), send (writing the response).");
  histogram(out, "queue", w.queue);
  histogram(out, "app", w.app);
  histogram(out, "send", w.send);
  header(out, "qilin_requests_in_flight", "gauge", "Requests the workers are handling now.");
  out += "qilin_requests_in_flight " + std::to_string(w.in_flight < 0 ? 0 : w.in_flight) + "\n";
  header(out, "qilin_workers", "gauge", "Worker processes alive.");
  out += "qilin_workers " + std::to_string(m.live_workers) + "\n";
  header(out, "qilin_workers_desired", "gauge", "Worker processes the master keeps.");
  out += "qilin_workers_desired " + std::to_string(m.desired_workers) + "\n";
  header(out, "qilin_worker_restarts_total", "counter", "Workers replaced, by cause.");
  for (size_t i = 0; i < kRestartCauseNames.size(); ++i) {
    out += "qilin_worker_restarts_total{cause=\"" + std::string(kRestartCauseNames[i]) + "\"} " +
           std::to_string(m.restarts[i]) + "\n";
  }
  if (m.backlog >= 0) {
    header(out, "qilin_listen_backlog", "gauge", "Connections waiting in the TCP listen queues.");
    out += "qilin_listen_backlog " + std::to_string(m.backlog) + "\n";
  }
  return out;
}

}  // namespace qilin::log
