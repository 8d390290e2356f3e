// How HUP replaces the workers: a plan the master follows, tick by tick, from
// the old generation (every worker running when the HUP came) to a new one.
// A round starts up to `batch` new workers, waits until they are ready (or
// `ready_bound_ms` passed since they were started), retires as many old
// ones, oldest first, then waits until those are gone (or `gone_bound_ms`
// passed since they were told to stop). With a batch of N the master never
// has more than target + N workers (for hosts with little memory), unless it
// had more old ones to begin with: those are retired first.
// A batch of 0 is gunicorn's order: the whole new generation first, then
// every old worker retired at once (here, once the new ones are ready).
//
// Pure: the master describes its workers and does what step() returns.
// Not thread-safe; the master owns one plan at a time, and a HUP during a
// plan replaces it (the workers of the unfinished one are then old too).
#pragma once

#include <cstdint>
#include <vector>

namespace qilin::arbiter {

class RollingReload {
 public:
  struct Worker {
    int age = 0;             // spawn sequence number
    bool ready = false;      // loaded the application and serving
    int64_t started_ms = 0;  // when it was forked
    int64_t retired_ms = 0;  // when it was told to stop gracefully; 0: not yet
  };
  struct Step {
    int spawn = 0;            // new workers to start now
    std::vector<int> retire;  // ages of old workers to stop gracefully now
    bool done = false;        // the last old worker is retired: the plan is over
  };

  // Workers up to `last_old_age` are the old generation.
  RollingReload(int last_old_age, int batch, int64_t ready_bound_ms, int64_t gone_bound_ms)
      : last_old_age_(last_old_age),
        batch_(batch),
        ready_bound_ms_(ready_bound_ms),
        gone_bound_ms_(gone_bound_ms) {}

  // `workers`: every live worker; `target`: the size of the new generation.
  Step step(const std::vector<Worker>& workers, int target, int64_t now_ms);

 private:
  enum class Phase { kStart, kBooting, kRetire };

  int last_old_age_;
  int batch_;
  int64_t ready_bound_ms_;
  int64_t gone_bound_ms_;
  Phase phase_ = Phase::kStart;
};

}  // namespace qilin::arbiter
