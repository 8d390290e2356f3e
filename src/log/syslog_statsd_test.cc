// The pure parts of the syslog and StatsD outputs: gunicorn's address rules,
// facility names, priorities, message shape, prefix and duration text.
#include <gtest/gtest.h>

#include "log/statsd.h"
#include "log/syslog.h"

namespace qilin::log {
namespace {

TEST(SyslogAddress, ParsesGunicornsForms) {
  auto udp = parse_syslog_address("udp://LocalHost:5140");
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->kind, SyslogAddress::Kind::kUdp);
  EXPECT_EQ(udp->host, "localhost");
  EXPECT_EQ(udp->port, 5140);

  auto tcp = parse_syslog_address("tcp://[::1]:6514");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->kind, SyslogAddress::Kind::kTcp);
  EXPECT_EQ(tcp->host, "::1");
  EXPECT_EQ(tcp->port, 6514);

  auto bare = parse_syslog_address("udp://");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->host, "localhost");
  EXPECT_EQ(bare->port, 514);
  EXPECT_EQ(parse_syslog_address("udp://example.org")->port, 514);

  auto dgram = parse_syslog_address("unix:///dev/log#dgram");
  ASSERT_TRUE(dgram);
  EXPECT_EQ(dgram->kind, SyslogAddress::Kind::kUnix);
  EXPECT_EQ(dgram->path, "/dev/log");
  EXPECT_FALSE(dgram->unix_stream_allowed);
  auto any = parse_syslog_address("unix:///run/log");
  EXPECT_EQ(any->path, "/run/log");
  EXPECT_TRUE(any->unix_stream_allowed);
}

TEST(SyslogAddress, RejectsWhatGunicornRejects) {
  EXPECT_EQ(parse_syslog_address("localhost:514").message(), "invalid syslog address");
  EXPECT_EQ(parse_syslog_address("http://x:1").message(), "invalid syslog address");
  EXPECT_EQ(parse_syslog_address("udp://host:port").message(), "'port' is not a valid port number.");
  EXPECT_FALSE(parse_syslog_address("udp://host:99999"));
}

TEST(Syslog, FacilitiesSeveritiesAndMessage) {
  EXPECT_EQ(*syslog_facility("user"), 1);
  EXPECT_EQ(*syslog_facility("LOCAL7"), 23);
  EXPECT_EQ(*syslog_facility("daemon"), 3);
  EXPECT_EQ(syslog_facility("nope").message(), "unknown facility name");
  EXPECT_EQ(syslog_severity(Level::kError), 3);
  EXPECT_EQ(syslog_severity(Level::kDebug), 7);
  const std::string m = syslog_message(16, Level::kInfo, "gunicorn.app.error", 42, "Booting\n");
  EXPECT_EQ(m, std::string("<134>gunicorn.app.error: [42] Booting\0", 38));
}

TEST(StatsdAddress, ParsesGunicornsForms) {
  auto hp = parse_statsd_address("127.0.0.1:9125");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 9125);
  EXPECT_EQ(parse_statsd_address("metrics.local")->port, 8125);
  EXPECT_EQ(parse_statsd_address("[::1]:8126")->host, "::1");
  EXPECT_EQ(parse_statsd_address("[::1]")->port, 8125);
  EXPECT_EQ(parse_statsd_address("unix:///run/statsd.sock")->path, "/run/statsd.sock");
  EXPECT_EQ(parse_statsd_address("unix:/run/statsd.sock")->path, "/run/statsd.sock");
  auto legacy = parse_statsd_address("unix:8125");  // gunicorn: host "unix", port 8125
  EXPECT_EQ(legacy->host, "unix");
  EXPECT_TRUE(legacy->path.empty());
  EXPECT_FALSE(parse_statsd_address("host:port"));
}

TEST(Statsd, PrefixAndDuration) {
  EXPECT_EQ(statsd_prefix(""), "");
  EXPECT_EQ(statsd_prefix("app"), "app.");
  EXPECT_EQ(statsd_prefix("app..."), "app.");
  EXPECT_EQ(statsd_prefix("a.b"), "a.b.");
  EXPECT_EQ(statsd_milliseconds(2000), "2.0");
  EXPECT_EQ(statsd_milliseconds(12345), "12.345");
  EXPECT_EQ(statsd_milliseconds(1500001), "1500.001");
  EXPECT_EQ(statsd_milliseconds(100000000), "100000.0");
  EXPECT_EQ(statsd_milliseconds(7), "0.007");
}

}  // namespace
}  // namespace qilin::log
