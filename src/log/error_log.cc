#include "log/error_log.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/strings.h"

namespace qilin::log {

Result<Level> parse_level(std::string_view name) {
  std::string n = to_lower(name);
  if (n == "debug") return Level::kDebug;
  if (n == "info") return Level::kInfo;
  if (n == "warning" || n == "warn") return Level::kWarning;
  if (n == "error") return Level::kError;
  if (n == "critical") return Level::kCritical;
  return Result<Level>::error("Invalid log level: '" + std::string(name) + "'");
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARNING";
    case Level::kError: return "ERROR";
    case Level::kCritical: return "CRITICAL";
  }
  return "INFO";
}

std::string format_log_time(long long unix_seconds) {
  time_t t = time_t(unix_seconds);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "[%Y-%m-%d %H:%M:%S %z]", &tm);
  return std::string(buf, n);
}

ErrorLog::~ErrorLog() {
  if (owns_fd_) ::close(fd_);
}

Status ErrorLog::open(const std::string& target, Level level) {
  level_ = level;
  if (target.empty() || target == "-") {
    path_.clear();
    return Status::ok();
  }
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::error("Error: could not open error log '" + target + "': " + std::strerror(errno));
  }
  if (owns_fd_) ::close(fd_);
  fd_ = fd;
  owns_fd_ = true;
  path_ = target;
  return Status::ok();
}

Status ErrorLog::reopen() {
  if (path_.empty()) return Status::ok();
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("could not reopen " + path_ + ": " + std::strerror(errno));
  // dup2 keeps the fd number stable for anything that captured it.
  ::dup3(fd, fd_, O_CLOEXEC);
  ::close(fd);
  return Status::ok();
}

void ErrorLog::log(Level level, std::string_view message) {
  if (!enabled(level)) return;
  std::string line = format_log_time(time(nullptr));
  line += " [";
  line += std::to_string(getpid());
  line += "] [";
  line += level_name(level);
  line += "] ";
  line += message;
  if (line.empty() || line.back() != '\n') line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= size_t(n);
  }
}

}  // namespace qilin::log
