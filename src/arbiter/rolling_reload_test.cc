#include "arbiter/rolling_reload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace qilin::arbiter {
namespace {

// A master in miniature: forks and retires as told; workers get ready and
// exit when the test says so.
struct Master {
  std::map<int, RollingReload::Worker> workers;  // by age
  int next_age = 0;
  int64_t now = 1000;
  size_t most = 0;  // the largest number of live workers seen

  explicit Master(int n) {
    for (int i = 0; i < n; ++i) spawn(true);
  }
  void spawn(bool ready = false) {
    ++next_age;
    workers[next_age] = {next_age, ready, now, 0};
    most = std::max(most, workers.size());
  }
  RollingReload::Step tick(RollingReload& plan, int target) {
    std::vector<RollingReload::Worker> view;
    for (auto& [age, w] : workers) view.push_back(w);
    RollingReload::Step step = plan.step(view, target, now);
    for (int i = 0; i < step.spawn; ++i) spawn();
    for (int age : step.retire) workers[age].retired_ms = now;
    return step;
  }
  void all_ready() {
    for (auto& [age, w] : workers) w.ready = true;
  }
  void retired_leave() {
    std::erase_if(workers, [](const auto& kv) { return kv.second.retired_ms != 0; });
  }
  std::vector<int> ages() const {
    std::vector<int> out;
    for (auto& [age, w] : workers) out.push_back(age);
    return out;
  }
};

TEST(RollingReload, BatchZeroStartsEveryNewWorkerThenRetiresEveryOldOne) {
  Master m(3);
  RollingReload plan(m.next_age, 0, 30000, 30000);
  auto s = m.tick(plan, 3);
  EXPECT_EQ(s.spawn, 3);
  EXPECT_TRUE(s.retire.empty());
  s = m.tick(plan, 3);  // not ready yet: nothing happens
  EXPECT_EQ(s.spawn, 0);
  EXPECT_TRUE(s.retire.empty());
  EXPECT_FALSE(s.done);
  m.all_ready();
  s = m.tick(plan, 3);
  EXPECT_EQ(s.retire, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(s.done);
  m.retired_leave();
  EXPECT_EQ(m.ages(), (std::vector<int>{4, 5, 6}));
}

TEST(RollingReload, BatchOfOneNeverExceedsOneExtraWorker) {
  Master m(3);
  RollingReload plan(m.next_age, 1, 30000, 30000);
  bool done = false;
  for (int round = 0; round < 20 && !done; ++round) {
    auto s = m.tick(plan, 3);
    done = s.done;
    EXPECT_LE(s.spawn, 1);
    EXPECT_LE(s.retire.size(), 1u);
    m.all_ready();
    m.retired_leave();
    m.now += 100;
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(m.most, 4u);
  EXPECT_EQ(m.ages(), (std::vector<int>{4, 5, 6}));
}

TEST(RollingReload, WaitsForTheRetiredToLeaveBeforeTheNextRound) {
  Master m(2);
  RollingReload plan(m.next_age, 1, 30000, 5000);
  EXPECT_EQ(m.tick(plan, 2).spawn, 1);
  m.all_ready();
  EXPECT_EQ(m.tick(plan, 2).retire, std::vector<int>{1});
  m.now += 1000;
  auto s = m.tick(plan, 2);  // worker 1 still finishing its requests
  EXPECT_EQ(s.spawn, 0);
  m.now += 5000;  // past gone_bound: no longer waited for
  EXPECT_EQ(m.tick(plan, 2).spawn, 1);
}

TEST(RollingReload, ANewWorkerThatNeverGetsReadyIsWaitedForOnlyUntilTheBound) {
  Master m(1);
  RollingReload plan(m.next_age, 1, 2000, 30000);
  EXPECT_EQ(m.tick(plan, 1).spawn, 1);
  m.now += 1999;
  EXPECT_TRUE(m.tick(plan, 1).retire.empty());
  m.now += 1;
  auto s = m.tick(plan, 1);
  EXPECT_EQ(s.retire, std::vector<int>{1});
  EXPECT_TRUE(s.done);
}

TEST(RollingReload, MoreWorkersAfterTheReload) {
  Master m(2);
  RollingReload plan(m.next_age, 1, 30000, 30000);
  bool done = false;
  for (int round = 0; round < 20 && !done; ++round) {
    done = m.tick(plan, 3).done;
    m.all_ready();
    m.retired_leave();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(m.most, 3u);
  // Two new ones replaced the two old ones; the master's own count keeping
  // adds the third once the plan is over.
  EXPECT_EQ(m.ages(), (std::vector<int>{3, 4}));
}

TEST(RollingReload, FewerWorkersAfterTheReload) {
  Master m(3);
  RollingReload plan(m.next_age, 1, 30000, 30000);
  bool done = false;
  for (int round = 0; round < 20 && !done; ++round) {
    done = m.tick(plan, 2).done;
    m.all_ready();
    m.retired_leave();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(m.most, 3u);  // an old one goes first: never more than 2 + 1
  EXPECT_EQ(m.ages(), (std::vector<int>{4, 5}));
}

TEST(RollingReload, AnOldWorkerThatDiesOnItsOwnIsNotWaitedFor) {
  Master m(2);
  RollingReload plan(m.next_age, 1, 30000, 30000);
  EXPECT_EQ(m.tick(plan, 2).spawn, 1);
  m.workers.erase(2);  // crashed
  m.all_ready();
  auto s = m.tick(plan, 2);
  EXPECT_EQ(s.retire, std::vector<int>{1});
  EXPECT_TRUE(s.done);
}

TEST(RollingReload, ANewPlanTreatsTheUnfinishedOnesWorkersAsOld) {
  Master m(2);
  RollingReload first(m.next_age, 1, 30000, 30000);
  EXPECT_EQ(m.tick(first, 2).spawn, 1);  // worker 3 starts
  RollingReload second(m.next_age, 1, 30000, 30000);
  m.all_ready();
  m.most = 0;
  bool done = false;
  for (int round = 0; round < 20 && !done; ++round) {
    done = m.tick(second, 2).done;
    m.all_ready();
    m.retired_leave();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(m.ages(), (std::vector<int>{4, 5}));
  EXPECT_EQ(m.most, 3u);  // the three old ones, then never more than 2 + 1
}

}  // namespace
}  // namespace qilin::arbiter
