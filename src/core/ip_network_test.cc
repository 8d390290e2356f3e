#include "core/ip_network.h"

#include <gtest/gtest.h>

namespace qilin {
namespace {

TEST(IpNetwork, AcceptsWhatPythonAccepts) {
  // Each was checked with ipaddress.ip_network(text) (strict).
  for (const char* good :
       {"127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "1.2.3.4/32", "1.2.3.4/255.255.255.255",
        "10.0.0.0/255.0.0.0", "10.0.0.0/0.255.255.255", "10.0.0.0/08", "::1", "::", "fe80::/10",
        "2001:db8::/32", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::ffff:1.2.3.4", "::ffff:0:0/96"}) {
    EXPECT_TRUE(parse_ip_network(good)) << good;
  }
}

TEST(IpNetwork, RefusesWhatPythonRefuses) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.0.0.1", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/a",
        "1.2.3.4/255.0.255.0", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g", "localhost",
        "1.2.3.4/8/8", "::/129"}) {
    Result<IpNetwork> net = parse_ip_network(bad);
    EXPECT_FALSE(net) << bad;
  }
  EXPECT_EQ(parse_ip_network("1.2.3").message(),
            "'1.2.3' does not appear to be an IPv4 or IPv6 network");
}

TEST(IpNetwork, StrictAboutHostBits) {
  EXPECT_EQ(parse_ip_network("192.168.1.1/24").message(), "192.168.1.1/24 has host bits set");
  EXPECT_EQ(parse_ip_network("2001:db8::1/32").message(), "2001:db8::1/32 has host bits set");
}

TEST(IpNetwork, Contains) {
  IpNetwork net = *parse_ip_network("10.0.0.0/8");
  const uint8_t inside[4] = {10, 200, 1, 2};
  const uint8_t outside[4] = {11, 0, 0, 1};
  EXPECT_TRUE(net.contains(false, inside));
  EXPECT_FALSE(net.contains(false, outside));
  EXPECT_FALSE(net.contains(true, inside));
  IpNetwork loopback = *parse_ip_network("::1");
  uint8_t one[16] = {};
  one[15] = 1;
  EXPECT_TRUE(loopback.contains(true, one));
  EXPECT_TRUE(parse_ip_network("0.0.0.0/0")->contains(false, outside));
}

}  // namespace
}  // namespace qilin
