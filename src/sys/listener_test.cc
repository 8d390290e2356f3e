#include "sys/listener.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace qilin::sys {
namespace {

BindAddress tcp(std::string host, int port) {
  BindAddress a;
  a.host = std::move(host);
  a.port = port;
  return a;
}

TEST(Listener, AnAdoptedSocketServesTheAddressItIsBoundTo) {
  auto bound = Listener::open(tcp("127.0.0.1", 0), ListenOptions{}, nullptr);
  ASSERT_TRUE(bound) << bound.message();
  const int port = std::stoi(bound->server_port());
  // As a USR2 parent hands a socket over: a second fd for the same socket.
  auto adopted = Listener::adopt(::dup(bound->fd()), ListenOptions{}, /*owns_file=*/true);
  ASSERT_TRUE(adopted) << adopted.message();
  EXPECT_EQ(adopted->url(), bound->url());
  EXPECT_TRUE(adopted->serves(tcp("127.0.0.1", port)));
  EXPECT_TRUE(adopted->serves(tcp("127.0.0.1", 0)));  // port 0: any port
  EXPECT_TRUE(adopted->serves(tcp("localhost", port)));
  EXPECT_FALSE(adopted->serves(tcp("127.0.0.1", port == 65535 ? 1 : port + 1)));
  EXPECT_FALSE(adopted->serves(tcp("", port)));  // the wildcard is another address
  EXPECT_FALSE(adopted->serves(tcp("::1", port)));
  BindAddress by_fd;
  by_fd.kind = BindAddress::Kind::kFd;
  by_fd.fd = adopted->fd();
  EXPECT_TRUE(adopted->serves(by_fd));
  BindAddress unix_path;
  unix_path.kind = BindAddress::Kind::kUnix;
  unix_path.path = "/tmp/x.sock";
  EXPECT_FALSE(adopted->serves(unix_path));
}

TEST(Listener, AUnixSocketServesItsPathAndItsOwnerRemovesTheFile) {
  const std::string path = "/tmp/qilin-listener-test-" + std::to_string(getpid()) + ".sock";
  BindAddress address;
  address.kind = BindAddress::Kind::kUnix;
  address.path = path;
  auto bound = Listener::open(address, ListenOptions{}, nullptr);
  ASSERT_TRUE(bound) << bound.message();
  {
    auto kept = Listener::adopt(::dup(bound->fd()), ListenOptions{}, /*owns_file=*/false);
    ASSERT_TRUE(kept) << kept.message();
    EXPECT_TRUE(kept->serves(address));
    EXPECT_EQ(kept->url(), "unix:" + path);
    kept->close(/*keep_file=*/false);
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);  // systemd's or fd://: the file stays
  }
  bound->close(/*keep_file=*/false);
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(Listener, AdoptingWhatIsNotAStreamSocketFails) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto adopted = Listener::adopt(fds[0], ListenOptions{}, true);
  EXPECT_FALSE(adopted);
  EXPECT_NE(adopted.message().find("is not a stream socket"), std::string::npos);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace qilin::sys
