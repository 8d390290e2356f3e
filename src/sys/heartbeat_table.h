// One heartbeat slot per worker in a shared anonymous mapping made by the
// master before forking. A worker stores a monotonic timestamp (no syscall
// beyond clock_gettime, no disk); the master reads it to find silent workers.
// A slot also says whether its worker is ready: it loaded the application
// and serves (the master waits for that before retiring old workers on HUP),
// and whether it left because its code changed (--reload), for the metrics.
// Slots are plain atomics, so concurrent access from both sides is safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qilin::sys {

// Monotonic clock in milliseconds and microseconds.
int64_t monotonic_ms();
int64_t monotonic_us();

class HeartbeatTable {
 public:
  explicit HeartbeatTable(size_t slots = 4096);
  ~HeartbeatTable();
  HeartbeatTable(const HeartbeatTable&) = delete;
  HeartbeatTable& operator=(const HeartbeatTable&) = delete;

  bool valid() const { return slots_ != nullptr; }
  // Master side: take a free slot (stamped now, not ready) or -1 when full;
  // give it back.
  int acquire();
  void release(int slot);
  int64_t last_beat_ms(int slot) const { return slots_[slot].beat_ms.load(std::memory_order_relaxed); }
  bool ready(int slot) const { return slots_[slot].ready.load(std::memory_order_acquire); }
  bool code_changed(int slot) const {
    return slots_[slot].code_changed.load(std::memory_order_acquire);
  }

  // Worker side.
  void beat(int slot) { slots_[slot].beat_ms.store(monotonic_ms(), std::memory_order_relaxed); }
  // Once the worker accepts connections.
  void mark_ready(int slot) { slots_[slot].ready.store(true, std::memory_order_release); }
  // When --reload saw a source file change and the worker is leaving.
  void mark_code_changed(int slot) {
    slots_[slot].code_changed.store(true, std::memory_order_release);
  }

 private:
  struct Slot {
    std::atomic<int64_t> beat_ms;
    std::atomic<bool> ready;
    std::atomic<bool> code_changed;
  };
  Slot* slots_ = nullptr;
  size_t count_ = 0;
  std::vector<bool> used_;  // master's bookkeeping; not shared
};

}  // namespace qilin::sys
