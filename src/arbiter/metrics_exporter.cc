#include "arbiter/metrics_exporter.h"

namespace qilin::arbiter {

Status MetricsExporter::start(const std::string& address) {
  if (!table_.valid()) return Status::error("metrics_bind: could not map the metrics table");
  if (Status s = server_.bind(address); !s) return s;
  server_.start([this] { return render(); });
  return Status::ok();
}

sys::WorkerMetrics* MetricsExporter::worker_started(int slot) {
  table_.worker_started(slot);
  return &table_.slot(slot);
}

void MetricsExporter::worker_exited(int slot) { table_.worker_gone(slot); }

void MetricsExporter::update(int live_workers, int desired_workers, int backlog) {
  live_.store(live_workers, std::memory_order_relaxed);
  desired_.store(desired_workers, std::memory_order_relaxed);
  backlog_.store(backlog, std::memory_order_relaxed);
}

std::string MetricsExporter::render() const {
  log::MasterMetrics m;
  m.live_workers = live_.load(std::memory_order_relaxed);
  m.desired_workers = desired_.load(std::memory_order_relaxed);
  m.backlog = backlog_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < m.restarts.size(); ++i) m.restarts[i] = restarts_[i].load(std::memory_order_relaxed);
  return log::render_prometheus(table_.totals(), m);
}

}  // namespace qilin::arbiter
