#include "sys/heartbeat_table.h"

#include <gtest/gtest.h>

namespace qilin::sys {
namespace {

TEST(HeartbeatTable, ASlotIsReadyOnlyOnceItsWorkerSaysSo) {
  HeartbeatTable table(4);
  ASSERT_TRUE(table.valid());
  int slot = table.acquire();
  ASSERT_GE(slot, 0);
  EXPECT_FALSE(table.ready(slot));
  EXPECT_LE(monotonic_ms() - table.last_beat_ms(slot), 1000);  // stamped when taken
  table.mark_ready(slot);
  EXPECT_TRUE(table.ready(slot));
  // A slot given back and taken again belongs to a new worker: not ready.
  table.release(slot);
  EXPECT_EQ(table.acquire(), slot);
  EXPECT_FALSE(table.ready(slot));
}

TEST(HeartbeatTable, ACodeChangeIsForgottenWhenTheSlotIsTakenAgain) {
  HeartbeatTable table(2);
  int slot = table.acquire();
  EXPECT_FALSE(table.code_changed(slot));
  table.mark_code_changed(slot);
  EXPECT_TRUE(table.code_changed(slot));
  table.release(slot);
  EXPECT_EQ(table.acquire(), slot);
  EXPECT_FALSE(table.code_changed(slot));
}

TEST(HeartbeatTable, FullTableRefuses) {
  HeartbeatTable table(2);
  EXPECT_EQ(table.acquire(), 0);
  EXPECT_EQ(table.acquire(), 1);
  EXPECT_EQ(table.acquire(), -1);
}

}  // namespace
}  // namespace qilin::sys
