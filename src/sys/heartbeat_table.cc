#include "sys/heartbeat_table.h"

#include <sys/mman.h>
#include <time.h>

namespace qilin::sys {

int64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t monotonic_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

HeartbeatTable::HeartbeatTable(size_t slots) : count_(slots), used_(slots, false) {
  void* p = mmap(nullptr, slots * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  // A fresh anonymous mapping is zeroed: every slot reads 0 and not ready.
  if (p != MAP_FAILED) slots_ = static_cast<Slot*>(p);
}

HeartbeatTable::~HeartbeatTable() {
  if (slots_) munmap(slots_, count_ * sizeof(Slot));
}

int HeartbeatTable::acquire() {
  for (size_t i = 0; i < count_; ++i) {
    if (!used_[i]) {
      used_[i] = true;
      slots_[i].ready.store(false, std::memory_order_relaxed);
      slots_[i].code_changed.store(false, std::memory_order_relaxed);
      beat(int(i));
      return int(i);
    }
  }
  return -1;
}

void HeartbeatTable::release(int slot) {
  if (slot >= 0 && size_t(slot) < count_) used_[slot] = false;
}

}  // namespace qilin::sys
