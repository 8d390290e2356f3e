#include "sys/ip_allow_list.h"

#include <gtest/gtest.h>

namespace qilin::sys {
namespace {

TEST(IpAllowList, AddressesAndNetworks) {
  auto list = IpAllowList::parse({"127.0.0.1", " ::1", "10.0.0.0/8", "2001:db8::/32"});
  ASSERT_TRUE(list) << list.message();
  EXPECT_TRUE(list->contains("127.0.0.1"));
  EXPECT_FALSE(list->contains("127.0.0.2"));
  EXPECT_TRUE(list->contains("::1"));
  EXPECT_TRUE(list->contains("10.200.3.4"));
  EXPECT_TRUE(list->contains("::ffff:10.1.1.1"));
  EXPECT_TRUE(list->contains("2001:db8:1::5"));
  EXPECT_FALSE(list->contains("2001:db9::5"));
  EXPECT_FALSE(list->contains("not-an-ip"));
  EXPECT_FALSE(list->contains(""));
}

TEST(IpAllowList, StarAndErrors) {
  auto all = IpAllowList::parse({"*"});
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains("203.0.113.9"));
  EXPECT_FALSE(IpAllowList::parse({"300.1.1.1"}));
  EXPECT_FALSE(IpAllowList::parse({"10.0.0.0/33"}));
  EXPECT_FALSE(IpAllowList::parse({"10.0.0.0/x"}));
  EXPECT_FALSE(IpAllowList::parse({"10.0.0.1/8"}));  // host bits set, as Python refuses
}

}  // namespace
}  // namespace qilin::sys
