#include "log/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <vector>
#include <cstring>

namespace qilin::log {

namespace {
// Every live LogFile, for reopen_all(). Touched at start-up and on USR1 only.
std::mutex g_registry_mutex;
std::vector<LogFile*>& registry() {
  static std::vector<LogFile*> files;
  return files;
}
std::vector<std::pair<void (*)(void*), void*>>& reopen_hooks() {
  static std::vector<std::pair<void (*)(void*), void*>> hooks;
  return hooks;
}
}  // namespace

LogFile::LogFile(int std_fd) : fd_(std_fd), std_fd_(std_fd) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  registry().push_back(this);
}

LogFile::~LogFile() {
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    auto& files = registry();
    files.erase(std::remove(files.begin(), files.end(), this), files.end());
  }
  if (owns_fd_) ::close(fd_);
}

Status LogFile::reopen_all() {
  std::vector<std::pair<void (*)(void*), void*>> hooks;
  Status first;
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    for (LogFile* f : registry()) {
      Status s = f->reopen();
      if (!s && first) first = s;
    }
    hooks = reopen_hooks();
  }
  for (auto [hook, context] : hooks) hook(context);  // outside the lock: they may log
  return first;
}

void LogFile::also_on_reopen_all(void (*hook)(void*), void* context) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  reopen_hooks().push_back({hook, context});
}

Status LogFile::open(const std::string& target) {
  if (target.empty() || target == "-") {
    path_.clear();
    return Status::ok();
  }
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("could not open log file '" + target + "': " + std::strerror(errno));
  if (owns_fd_) ::close(fd_);
  fd_ = fd;
  owns_fd_ = true;
  path_ = target;
  return Status::ok();
}

Status LogFile::reopen() {
  if (path_.empty()) return Status::ok();
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("could not reopen " + path_ + ": " + std::strerror(errno));
  // dup3 keeps the fd number, so nothing that captured it goes stale.
  ::dup3(fd, fd_, O_CLOEXEC);
  ::close(fd);
  for (int target : captured_) ::dup2(fd_, target);
  return Status::ok();
}

Status LogFile::capture_into(int target_fd) {
  if (path_.empty()) return Status::ok();
  if (::dup2(fd_, target_fd) < 0) {
    return Status::error("cannot capture fd " + std::to_string(target_fd) + ": " + std::strerror(errno));
  }
  captured_.push_back(target_fd);
  return Status::ok();
}

void LogFile::write(std::string_view bytes) const {
  const char* p = bytes.data();
  size_t left = bytes.size();
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
