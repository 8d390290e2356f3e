// The error log, in gunicorn's format:
//   [2026-11-27 07:11:18 +0000] [1234] [INFO] Starting qilin 0.1.0
// Each line goes out in one write(2) on an O_APPEND fd, so lines from the
// master and workers sharing the file never interleave mid-line. Safe to call
// from several threads. `errorlog` "-" means stderr.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "log/log_file.h"

namespace qilin::log {

enum class Level { kDebug = 10, kInfo = 20, kWarning = 30, kError = 40, kCritical = 50 };

// "debug", "info", "warning", "error", "critical" (case-insensitive).
Result<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);  // "INFO"

class ErrorLog {
 public:
  ErrorLog() = default;  // stderr, level info
  ErrorLog(const ErrorLog&) = delete;
  ErrorLog& operator=(const ErrorLog&) = delete;

  // Opens `target` ("-" = stderr) for appending.
  Status open(const std::string& target, Level level);
  // Reopens the file (after a logrotate rename); no-op for stderr.
  Status reopen();
  // --capture-output: stdout and stderr (of the app, and of C extensions)
  // go to the error log file; no-op when the error log is stderr.
  Status capture_output() {
    Status s = file_.capture_into(1);
    return s ? file_.capture_into(2) : s;
  }
  int fd() const { return file_.fd(); }
  Level level() const { return level_; }
  bool enabled(Level level) const { return level >= level_; }

  void log(Level level, std::string_view message);
  void debug(std::string_view m) { log(Level::kDebug, m); }
  void info(std::string_view m) { log(Level::kInfo, m); }
  void warning(std::string_view m) { log(Level::kWarning, m); }
  void error(std::string_view m) { log(Level::kError, m); }
  void critical(std::string_view m) { log(Level::kCritical, m); }

 private:
  LogFile file_{2};
  Level level_ = Level::kInfo;
};

// "[2026-11-27 07:11:18 +0000]" for the given time (local time zone).
std::string format_log_time(long long unix_seconds);

}  // namespace qilin::log
