#include "sys/signal_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

namespace qilin::sys {

namespace {
int g_write_fd = -1;

void on_signal(int signo) {
  int saved = errno;
  unsigned char byte = static_cast<unsigned char>(signo);
  if (g_write_fd >= 0) (void)!::write(g_write_fd, &byte, 1);
  errno = saved;
}
}  // namespace

bool SignalQueue::install(std::initializer_list<int> signals) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  read_.reset(fds[0]);
  write_.reset(fds[1]);
  g_write_fd = write_.get();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int s : signals) {
    if (sigaction(s, &sa, nullptr) != 0) return false;
    installed_.push_back(s);
  }
  return true;
}

void SignalQueue::reset() {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int s : installed_) sigaction(s, &sa, nullptr);
  installed_.clear();
  g_write_fd = -1;
  read_.reset();
  write_.reset();
}

std::vector<int> SignalQueue::drain() {
  std::vector<int> out;
  unsigned char buf[64];
  while (true) {
    ssize_t n = ::read(read_.get(), buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != 0) out.push_back(buf[i]);
    }
  }
  return out;
}

void SignalQueue::wake() {
  unsigned char zero = 0;
  (void)!::write(write_.get(), &zero, 1);
}

}  // namespace qilin::sys
