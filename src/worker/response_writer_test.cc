#include "worker/response_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

namespace qilin::worker {
namespace {

std::string body_after_head(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

// A ResponseWriter on one end of a non-blocking socket pair, with the
// other end read by the test, and a file of known bytes to send.
class ResponseWriterFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    conn_.attach(fds[0], PeerAddress{"", -1, true}, nullptr);
    peer_ = fds[1];
    char path[] = "/tmp/qilin-response-file-XXXXXX";
    file_ = ::mkstemp(path);
    ASSERT_GE(file_, 0);
    ::unlink(path);
    for (size_t i = 0; i < kFileSize; ++i) content_.push_back(char('a' + i % 26));
    ASSERT_EQ(::write(file_, content_.data(), content_.size()), ssize_t(content_.size()));
  }
  void TearDown() override {
    ::close(peer_);
    ::close(file_);
  }

  // What the peer can read now.
  std::string drain_peer() {
    std::string got;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(peer_, buf, sizeof(buf), MSG_DONTWAIT)) > 0) got.append(buf, size_t(n));
    return got;
  }
  // send_pending() until it is no longer kAgain, reading the peer between
  // calls as a client would; everything the peer got.
  std::string send_all_pending(ResponseWriter::Progress* last, std::string* why) {
    std::string got = drain_peer();
    for (int rounds = 0; rounds < 10000; ++rounds) {
      *last = writer_.send_pending(why);
      got += drain_peer();
      if (*last != ResponseWriter::Progress::kAgain) break;
    }
    return got;
  }
  // A thread that reads the peer as a client would, into `*got`, until
  // `done(*got)` or five seconds without bytes.
  std::thread read_peer_until(std::string* got, std::function<bool(const std::string&)> done) {
    return std::thread([this, got, done] {
      char buf[65536];
      while (!done(*got)) {
        pollfd p{peer_, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return;
        ssize_t n = ::recv(peer_, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) got->append(buf, size_t(n));
        else if (n == 0) return;
      }
    });
  }
  void start(bool with_length) {
    writer_.reset(&conn_, /*head_request=*/false, 1, 1, /*keep_alive=*/true);
    writer_.set_defer(true);
    ASSERT_TRUE(writer_.begin("200 OK"));
    if (with_length) {
      ASSERT_TRUE(writer_.add_header("Content-Length", std::to_string(kFileSize)));
    }
  }

  static constexpr size_t kFileSize = 1 << 20;  // more than the socket buffers hold
  Connection conn_{4096};
  ResponseWriter writer_;
  int peer_ = -1;
  int file_ = -1;
  std::string content_;
};

TEST_F(ResponseWriterFileTest, DeferredFileIsAllLeftToSendPending) {
  start(/*with_length=*/true);
  ASSERT_TRUE(writer_.write_file(file_, 0, kFileSize, /*use_sendfile=*/true));
  EXPECT_TRUE(writer_.has_pending());
  EXPECT_FALSE(writer_.holds_caller_bytes());  // a file, not the caller's bytes
  ASSERT_TRUE(writer_.finish());
  EXPECT_TRUE(writer_.has_pending());
  EXPECT_TRUE(writer_.headers_sent());   // committed, though not on the wire yet
  EXPECT_FALSE(writer_.must_close());    // the pending bytes count toward the length
  EXPECT_EQ(drain_peer(), "");
  EXPECT_EQ(writer_.body_bytes_sent(), 0u);

  ResponseWriter::Progress last;
  std::string why;
  const std::string response = send_all_pending(&last, &why);
  EXPECT_EQ(last, ResponseWriter::Progress::kDone) << why;
  EXPECT_FALSE(writer_.has_pending());
  EXPECT_EQ(writer_.body_bytes_sent(), kFileSize);
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_TRUE(body_after_head(response) == content_) << "got " << response.size() << " bytes";
}

TEST_F(ResponseWriterFileTest, DeferredChunkedFileEndsWithItsTerminator) {
  start(/*with_length=*/false);
  ASSERT_TRUE(writer_.write_file(file_, 100, kFileSize - 100, /*use_sendfile=*/true));
  ASSERT_TRUE(writer_.finish());
  ResponseWriter::Progress last;
  std::string why;
  const std::string response = drain_peer() + send_all_pending(&last, &why);
  EXPECT_EQ(last, ResponseWriter::Progress::kDone) << why;
  EXPECT_NE(response.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zX\r\n", kFileSize - 100);
  const std::string want = size_line + content_.substr(100) + "\r\n0\r\n\r\n";
  EXPECT_TRUE(body_after_head(response) == want);
}

TEST_F(ResponseWriterFileTest, AFileShorterThanPromisedFails) {
  start(/*with_length=*/false);
  ASSERT_TRUE(writer_.write_file(file_, int64_t(kFileSize) - 10, 1000, /*use_sendfile=*/true));
  ASSERT_TRUE(writer_.finish());
  ResponseWriter::Progress last;
  std::string why;
  (void)send_all_pending(&last, &why);
  EXPECT_EQ(last, ResponseWriter::Progress::kFailed);
  EXPECT_EQ(why, "file shorter than the response length");
  EXPECT_FALSE(writer_.has_pending());
}

TEST_F(ResponseWriterFileTest, AClientThatLeftFailsTheSend) {
  ::signal(SIGPIPE, SIG_IGN);  // as in a worker: sendfile(2) to a gone peer is EPIPE
  start(/*with_length=*/true);
  ASSERT_TRUE(writer_.write_file(file_, 0, kFileSize, /*use_sendfile=*/true));
  ::close(peer_);
  peer_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // for TearDown and drain_peer
  std::string why;
  EXPECT_EQ(writer_.send_pending(&why), ResponseWriter::Progress::kFailed);
  EXPECT_FALSE(why.empty());
}

TEST_F(ResponseWriterFileTest, WithoutDeferralTheFileGoesOutAtOnce) {
  writer_.reset(&conn_, false, 1, 1, true);  // reset() turns deferral off
  ASSERT_TRUE(writer_.begin("200 OK"));
  ASSERT_TRUE(writer_.add_header("Content-Length", "1000"));
  ASSERT_TRUE(writer_.write_file(file_, 0, 1000, /*use_sendfile=*/true));
  EXPECT_FALSE(writer_.has_pending());
  ASSERT_TRUE(writer_.finish());
  EXPECT_EQ(body_after_head(drain_peer()), content_.substr(0, 1000));
}

TEST_F(ResponseWriterFileTest, BodyBytesTheSocketDoesNotTakeStayPendingAsAView) {
  start(/*with_length=*/true);
  ASSERT_TRUE(writer_.write(content_, /*last=*/true, /*caller_keeps_bytes=*/true));
  ASSERT_TRUE(writer_.has_pending());  // 1 MiB is more than the socket takes at once
  EXPECT_TRUE(writer_.holds_caller_bytes());
  ASSERT_TRUE(writer_.finish());
  EXPECT_FALSE(writer_.must_close());
  const uint64_t sent_at_once = writer_.body_bytes_sent();
  EXPECT_LT(sent_at_once, kFileSize);
  ResponseWriter::Progress last;
  std::string why;
  const std::string response = drain_peer() + send_all_pending(&last, &why);
  EXPECT_EQ(last, ResponseWriter::Progress::kDone) << why;
  EXPECT_FALSE(writer_.holds_caller_bytes());
  EXPECT_EQ(writer_.body_bytes_sent(), kFileSize);
  EXPECT_TRUE(body_after_head(response) == content_) << "got " << response.size() << " bytes";
}

TEST_F(ResponseWriterFileTest, PendingChunkedBodyEndsWithItsTerminator) {
  start(/*with_length=*/false);
  ASSERT_TRUE(writer_.write(content_, /*last=*/false, /*caller_keeps_bytes=*/true));
  ASSERT_TRUE(writer_.has_pending());
  ASSERT_TRUE(writer_.finish());
  ResponseWriter::Progress last;
  std::string why;
  const std::string response = drain_peer() + send_all_pending(&last, &why);
  EXPECT_EQ(last, ResponseWriter::Progress::kDone) << why;
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zX\r\n", kFileSize);
  EXPECT_TRUE(body_after_head(response) == size_line + content_ + "\r\n0\r\n\r\n");
}

TEST_F(ResponseWriterFileTest, TheNextWriteWaitsForWhatIsPending) {
  // A reader that drains the peer as a client would, while the writer,
  // in wait mode, flushes the first body before it writes the second.
  start(/*with_length=*/false);
  conn_.set_wait_timeout(5000);
  std::string got;
  std::thread reader = read_peer_until(&got, [](const std::string& bytes) {
    return bytes.find("\r\n0\r\n\r\n") != std::string::npos;
  });
  ASSERT_TRUE(writer_.write(content_, /*last=*/false, /*caller_keeps_bytes=*/true));
  const std::string second(100, 'z');
  ASSERT_TRUE(writer_.write(second, /*last=*/true, /*caller_keeps_bytes=*/true));
  EXPECT_FALSE(writer_.holds_caller_bytes() && writer_.body_bytes_sent() < kFileSize);
  for (int i = 0; i < 10000 && writer_.has_pending(); ++i) {
    std::string why;
    if (writer_.send_pending(&why) == ResponseWriter::Progress::kFailed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  reader.join();
  EXPECT_FALSE(writer_.has_pending());
  EXPECT_EQ(writer_.body_bytes_sent(), kFileSize + second.size());
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zX\r\n", kFileSize);
  EXPECT_TRUE(body_after_head(got) == size_line + content_ + "\r\n64\r\n" + second + "\r\n0\r\n\r\n");
}

TEST_F(ResponseWriterFileTest, BytesTheCallerDoesNotKeepAreSentBeforeWriteReturns) {
  // As start_response's write(): the caller may free the bytes at once.
  start(/*with_length=*/true);
  conn_.set_wait_timeout(5000);
  std::string got;
  std::thread reader = read_peer_until(&got, [](const std::string& bytes) {
    return body_after_head(bytes).size() >= kFileSize;
  });
  {
    std::string temporary = content_;
    ASSERT_TRUE(writer_.write(temporary, /*last=*/false));
    EXPECT_FALSE(writer_.has_pending());
    EXPECT_EQ(writer_.body_bytes_sent(), kFileSize);
    temporary.assign(temporary.size(), '#');  // what a freed and reused buffer would show
  }
  reader.join();
  EXPECT_TRUE(body_after_head(got) == content_);
}

}  // namespace
}  // namespace qilin::worker
