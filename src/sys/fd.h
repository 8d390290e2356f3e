// An owned file descriptor. Closes on destruction; move-only. Not thread-safe
// (one owner), but the fd number may be shared with a forked child.
#pragma once

#include <unistd.h>

#include <utility>

namespace qilin::sys {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Sets O_NONBLOCK / FD_CLOEXEC; true on success.
bool set_nonblocking(int fd, bool on);
bool set_cloexec(int fd, bool on);

}  // namespace qilin::sys
