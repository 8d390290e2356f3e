#include "sys/metrics_table.h"

#include <sys/mman.h>

#include <algorithm>

namespace qilin::sys {

void Histogram::observe(int64_t us) {
  if (us < 0) us = 0;
  size_t i = size_t(std::lower_bound(kDurationBucketsUs.begin(), kDurationBucketsUs.end(), us) -
                    kDurationBucketsUs.begin());
  buckets[i].fetch_add(1, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  sum_us.fetch_add(uint64_t(us), std::memory_order_relaxed);
}

MetricsTable::MetricsTable(size_t slots) {
  // Anonymous shared memory is zero-filled, which is every atomic's start.
  void* p = ::mmap(nullptr, slots * sizeof(WorkerMetrics), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  slots_ = static_cast<WorkerMetrics*>(p);
  count_ = slots;
}

MetricsTable::~MetricsTable() {
  if (slots_) ::munmap(slots_, count_ * sizeof(WorkerMetrics));
}

namespace {

void add(HistogramTotals& out, const Histogram& h) {
  for (size_t i = 0; i < out.buckets.size(); ++i) out.buckets[i] += h.buckets[i].load(std::memory_order_relaxed);
  out.count += h.count.load(std::memory_order_relaxed);
  out.sum_us += h.sum_us.load(std::memory_order_relaxed);
}

}  // namespace

MetricsTotals MetricsTable::totals() const {
  MetricsTotals t;
  for (size_t s = 0; s < std::min(used_.load(), count_); ++s) {
    const WorkerMetrics& m = slots_[s];
    for (size_t i = 0; i < t.responses.size(); ++i) t.responses[i] += m.responses[i].load(std::memory_order_relaxed);
    t.in_flight += m.in_flight.load(std::memory_order_relaxed);
    add(t.queue, m.queue);
    add(t.app, m.app);
    add(t.send, m.send);
  }
  return t;
}

}  // namespace qilin::sys
