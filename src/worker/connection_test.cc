#include "worker/connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace qilin::worker {
namespace {

// A Connection with a 16-byte buffer (growing to 64) on one end of a
// non-blocking socket pair; the test writes to the other end.
class ConnectionReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    conn_.attach(fds[0], PeerAddress{"", -1, true}, nullptr);
    peer_ = fds[1];
  }
  void TearDown() override { ::close(peer_); }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(peer_, bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
  }

  Connection conn_{16, 64};
  int peer_ = -1;
};

// Edge-triggered epoll announces bytes once: the loop relies on this flag
// to read again what a full read left in the socket.
TEST_F(ConnectionReadTest, AFullReadMayLeaveBytesAShortOneDoesNot) {
  send(std::string(20, 'a'));
  EXPECT_EQ(conn_.read_more(), 16);
  EXPECT_TRUE(conn_.may_hold_unread());
  EXPECT_EQ(conn_.read_more(), 4);  // the buffer grew to 32: room for 16
  EXPECT_FALSE(conn_.may_hold_unread());
  EXPECT_EQ(conn_.end(), 20u);
}

TEST_F(ConnectionReadTest, ALimitedReadThatTakesItsLimitMayLeaveBytes) {
  send(std::string(10, 'b'));
  EXPECT_EQ(conn_.read_more(4), 4);
  EXPECT_TRUE(conn_.may_hold_unread());
  EXPECT_EQ(conn_.read_more(8), 6);
  EXPECT_FALSE(conn_.may_hold_unread());
}

TEST_F(ConnectionReadTest, NothingToReadOrTheEndLeavesNothing) {
  send(std::string(16, 'c'));
  EXPECT_EQ(conn_.read_more(), 16);
  EXPECT_TRUE(conn_.may_hold_unread());
  EXPECT_EQ(conn_.read_more(), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_FALSE(conn_.may_hold_unread());
  ::shutdown(peer_, SHUT_WR);
  EXPECT_EQ(conn_.read_more(), 0);
  EXPECT_FALSE(conn_.may_hold_unread());
}

}  // namespace
}  // namespace qilin::worker
