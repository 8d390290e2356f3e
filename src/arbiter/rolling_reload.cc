#include "arbiter/rolling_reload.h"

#include <algorithm>

namespace qilin::arbiter {

RollingReload::Step RollingReload::step(const std::vector<Worker>& workers, int target,
                                        int64_t now_ms) {
  std::vector<int> old;   // ages of old workers not yet retired
  int fresh = 0;          // new workers not retired
  bool booting = false;   // a new one is not ready, and still worth waiting for
  bool stopping = false;  // a retired one is still going, within its bound
  for (const Worker& w : workers) {
    if (w.retired_ms != 0) {
      stopping = stopping || now_ms - w.retired_ms < gone_bound_ms_;
    } else if (w.age <= last_old_age_) {
      old.push_back(w.age);
    } else {
      ++fresh;
      booting = booting || (!w.ready && now_ms - w.started_ms < ready_bound_ms_);
    }
  }
  Step out;
  while (true) {
    switch (phase_) {
      case Phase::kStart: {
        if (stopping) return out;  // the previous round's workers are still leaving
        if (old.empty()) {
          out.done = true;
          return out;
        }
        int want = target - fresh;
        // At most `batch` at a time, and never past target + batch workers
        // (more old workers than that, left by a plan a HUP interrupted or
        // by TTIN, are retired first). One still stopping after its bound
        // is about to end (the worker enforces graceful_timeout itself) and
        // is not counted.
        const int running = int(old.size()) + fresh;
        if (batch_ > 0) want = std::min({want, batch_, target + batch_ - running});
        phase_ = Phase::kBooting;
        if (want > 0) {
          out.spawn = want;
          return out;  // they show up, not ready, from the next step on
        }
        break;  // nothing to start now: retire
      }
      case Phase::kBooting:
        if (booting) return out;
        phase_ = Phase::kRetire;
        break;
      case Phase::kRetire: {
        std::sort(old.begin(), old.end());
        size_t n = batch_ > 0 ? std::min(old.size(), size_t(batch_)) : old.size();
        out.retire.assign(old.begin(), old.begin() + long(n));
        out.done = n == old.size();
        phase_ = Phase::kStart;
        return out;
      }
    }
  }
}

}  // namespace qilin::arbiter
