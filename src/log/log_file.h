// An append-only log destination: a file opened O_APPEND, or a standard
// stream for "-". Each write() is one write(2) of a whole line, so lines
// from several processes sharing the file never interleave. reopen() follows
// a logrotate rename, keeping the fd number. Safe to write from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace qilin::log {

class LogFile {
 public:
  explicit LogFile(int std_fd);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // `target` is a path, or "-" / "" for the standard stream given at construction.
  Status open(const std::string& target);
  Status reopen();
  int fd() const { return fd_; }

  // Makes `target_fd` (1 or 2: --capture-output) write to this file too,
  // now and after every reopen. No-op for a standard stream.
  Status capture_into(int target_fd);

  // Reopens every LogFile of this process that writes to a path (USR1:
  // "reopen every log file"). Returns the first failure.
  static Status reopen_all();
  // Also run `hook` on every reopen_all() of this process (log files that
  // are not LogFiles, such as Python logging's handlers).
  static void also_on_reopen_all(void (*hook)(void*), void* context);
  // Writes the bytes in one go (retrying short writes); errors are dropped.
  void write(std::string_view bytes) const;

 private:
  int fd_;
  int std_fd_;
  bool owns_fd_ = false;
  std::string path_;
  std::vector<int> captured_;  // fds dup'ed onto this file
};

}  // namespace qilin::log
