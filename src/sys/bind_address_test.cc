#include "sys/bind_address.h"

#include <gtest/gtest.h>

namespace qilin::sys {
namespace {

TEST(BindAddress, TcpForms) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  } cases[] = {
      {"127.0.0.1:8000", "127.0.0.1", 8000}, {"localhost", "localhost", 8000},
      {"0.0.0.0:80", "0.0.0.0", 80},          {"[::1]:9000", "::1", 9000},
      {"[::]", "::", 8000},                   {"tcp://Example.COM:81", "example.com", 81},
      {"", "0.0.0.0", 8000},                  {":8080", "", 8080},
  };
  for (const auto& c : cases) {
    auto r = parse_bind_address(c.text);
    ASSERT_TRUE(r) << c.text << ": " << r.message();
    EXPECT_EQ(r->kind, BindAddress::Kind::kTcp) << c.text;
    EXPECT_EQ(r->host, c.host) << c.text;
    EXPECT_EQ(r->port, c.port) << c.text;
  }
}

TEST(BindAddress, UnixAndFd) {
  auto u = parse_bind_address("unix:/tmp/q.sock");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, BindAddress::Kind::kUnix);
  EXPECT_EQ(u->path, "/tmp/q.sock");
  auto u2 = parse_bind_address("unix:///run/app.sock");
  ASSERT_TRUE(u2);
  EXPECT_EQ(u2->path, "/run/app.sock");
  auto f = parse_bind_address("fd://3");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, BindAddress::Kind::kFd);
  EXPECT_EQ(f->fd, 3);
}

TEST(BindAddress, Errors) {
  EXPECT_FALSE(parse_bind_address("127.0.0.1:http"));
  EXPECT_FALSE(parse_bind_address("127.0.0.1:70000"));
  EXPECT_FALSE(parse_bind_address("fd://x"));
  EXPECT_FALSE(parse_bind_address("unix:"));
  EXPECT_EQ(parse_bind_address("127.0.0.1:http").message(), "'http' is not a valid port number.");
}

}  // namespace
}  // namespace qilin::sys
