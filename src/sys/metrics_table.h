// Request metrics shared by the workers with the master, for the Prometheus
// endpoint (--metrics-bind): one slot per worker slot (the heartbeat table's
// numbering) in a shared anonymous mapping made before forking. Workers add
// with relaxed atomic increments (a handful per request, no syscall, no
// lock); the master sums the slots when scraped. Counters are cumulative
// per slot and survive the worker that wrote them, so the sums only grow.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace qilin::sys {

// Histogram bucket upper bounds, in microseconds (Prometheus' "le", in seconds
// when rendered); a last, implicit bucket is +Inf.
inline constexpr std::array<int64_t, 13> kDurationBucketsUs = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

struct Histogram {
  std::atomic<uint64_t> buckets[kDurationBucketsUs.size() + 1];  // not cumulative; last is +Inf
  std::atomic<uint64_t> count;
  std::atomic<uint64_t> sum_us;

  void observe(int64_t us);
};

struct WorkerMetrics {
  std::atomic<uint64_t> responses[6];  // by status class: [1..5] for 1xx..5xx, [0] anything else
  std::atomic<int64_t> in_flight;
  Histogram queue;  // request complete -> the application starts
  Histogram app;    // in the application, writes excluded
  Histogram send;   // writing the response

  void count_response(int status) {
    const int status_class = status >= 100 && status < 600 ? status / 100 : 0;
    responses[status_class].fetch_add(1, std::memory_order_relaxed);
  }
};

// Plain sums of the slots, for rendering.
struct HistogramTotals {
  std::array<uint64_t, kDurationBucketsUs.size() + 1> buckets{};
  uint64_t count = 0;
  uint64_t sum_us = 0;
};
struct MetricsTotals {
  std::array<uint64_t, 6> responses{};
  int64_t in_flight = 0;
  HistogramTotals queue, app, send;
};

class MetricsTable {
 public:
  explicit MetricsTable(size_t slots = 4096);
  ~MetricsTable();
  MetricsTable(const MetricsTable&) = delete;
  MetricsTable& operator=(const MetricsTable&) = delete;

  bool valid() const { return slots_ != nullptr; }
  WorkerMetrics& slot(int i) { return slots_[i]; }
  // Master: a worker starts in `slot` (totals() reads the slots used so far).
  void worker_started(int slot) {
    if (size_t(slot) + 1 > used_.load(std::memory_order_relaxed)) used_.store(size_t(slot) + 1);
  }
  // Master: the worker in `slot` is gone; what it had in flight is not.
  void worker_gone(int slot) { slots_[slot].in_flight.store(0, std::memory_order_relaxed); }
  MetricsTotals totals() const;

 private:
  WorkerMetrics* slots_ = nullptr;
  size_t count_ = 0;
  std::atomic<size_t> used_{0};  // slots below this have had a worker (written by the master only)
};

}  // namespace qilin::sys
