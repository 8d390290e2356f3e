#include "sys/systemd.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/strings.h"
#include "sys/fd.h"

namespace qilin::sys {

namespace {

std::optional<int64_t> env_int(const char* name) {
  const char* text = std::getenv(name);
  if (!text) return std::nullopt;
  return parse_int(text);
}

}  // namespace

std::vector<int> take_listen_fds() {
  auto pid = env_int("LISTEN_PID");
  if (!pid || *pid != getpid()) return {};
  auto count = env_int("LISTEN_FDS");
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  std::vector<int> fds;
  for (int64_t i = 0; count && i < *count && i < 1024; ++i) {
    fds.push_back(kListenFdsStart + int(i));
    set_cloexec(fds.back(), true);  // as sd_listen_fds: not for the workers' exec()s
  }
  return fds;
}

Notifier::Notifier() {
  if (const char* socket = std::getenv("NOTIFY_SOCKET"); socket && *socket) address_ = socket;
  if (auto usec = env_int("WATCHDOG_USEC"); usec && *usec > 0) watchdog_usec_ = *usec;
  if (auto pid = env_int("WATCHDOG_PID"); pid && *pid > 0) watchdog_pid_ = pid_t(*pid);
}

bool Notifier::notify(std::string_view state) const {
  if (address_.empty()) return false;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (address_.size() >= sizeof(sun.sun_path)) return false;
  std::memcpy(sun.sun_path, address_.data(), address_.size());
  if (address_[0] == '@') sun.sun_path[0] = '\0';  // an abstract socket
  const socklen_t len =
      socklen_t(offsetof(sockaddr_un, sun_path) + address_.size() + (address_[0] == '@' ? 0 : 1));
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&sun), len);
  return sent == ssize_t(state.size());
}

std::optional<int64_t> Notifier::watchdog_interval_ms(bool as_main) const {
  if (watchdog_usec_ <= 0 || address_.empty()) return std::nullopt;
  if (!as_main && watchdog_pid_ != 0 && watchdog_pid_ != getpid()) return std::nullopt;
  return std::max<int64_t>(1, watchdog_usec_ / 2000);
}

std::string monotonic_usec_line() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return "MONOTONIC_USEC=" + std::to_string(int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000);
}

}  // namespace qilin::sys
