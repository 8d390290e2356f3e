#include "sys/systemd.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "sys/fd.h"

namespace qilin::sys {
namespace {

// A datagram socket bound at `name` ("@..." abstract), as systemd's.
Fd bound_datagram_socket(const std::string& name) {
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, name.data(), name.size());
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    sun.sun_path[0] = '\0';
  } else {
    ::unlink(name.c_str());
    ++len;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), len) != 0) fd.reset();
  return fd;
}

std::string receive(const Fd& fd) {
  char buf[512];
  ssize_t n = ::recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
  return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

TEST(Notifier, WithoutNotifySocketItIsOffAndSendsNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  Notifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.notify("READY=1"));
  EXPECT_FALSE(notifier.watchdog_interval_ms(true));
}

TEST(Notifier, SendsOneDatagramToAPathOrAnAbstractName) {
  const std::string path = "/tmp/qilin-notify-test-" + std::to_string(getpid());
  const std::string abstract = "@qilin-notify-test-" + std::to_string(getpid());
  for (const std::string& name : {path, abstract}) {
    Fd listener = bound_datagram_socket(name);
    ASSERT_TRUE(listener.valid()) << name;
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    Notifier notifier;
    EXPECT_TRUE(notifier.enabled());
    EXPECT_TRUE(notifier.notify("READY=1\nSTATUS=up"));
    EXPECT_EQ(receive(listener), "READY=1\nSTATUS=up") << name;
  }
  ::unlink(path.c_str());
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(Notifier, WatchdogIsHalfTheIntervalForTheProcessItNames) {
  ::setenv("NOTIFY_SOCKET", "@qilin-watchdog-test", 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(Notifier().watchdog_interval_ms(false), 1500);
  ::setenv("WATCHDOG_PID", "1", 1);  // another process is watched...
  EXPECT_FALSE(Notifier().watchdog_interval_ms(false));
  EXPECT_EQ(Notifier().watchdog_interval_ms(true), 1500);  // ...unless this one took over
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(ListenFds, TakenOnlyWhenListenPidIsThisProcess) {
  ::setenv("LISTEN_PID", "1", 1);
  ::setenv("LISTEN_FDS", "2", 1);
  EXPECT_TRUE(take_listen_fds().empty());
  EXPECT_NE(std::getenv("LISTEN_FDS"), nullptr);  // not ours: left alone

  ::setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  ::setenv("LISTEN_FDNAMES", "a:b", 1);
  EXPECT_EQ(take_listen_fds(), (std::vector<int>{3, 4}));
  EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDNAMES"), nullptr);
}

}  // namespace
}  // namespace qilin::sys
