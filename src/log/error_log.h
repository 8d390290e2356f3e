// The error log, in gunicorn's format:
//   [2026-11-27 07:11:18 +0000] [1234] [INFO] Starting qilin 0.1.0
// Each line goes out in one write(2) on an O_APPEND fd, so lines from the
// master and workers sharing the file never interleave mid-line. Safe to call
// from several threads. `errorlog` "-" means stderr. With --log-syslog each
// line is also sent to syslog, and with --statsd-host every warning, error,
// exception and critical line is counted (gunicorn.log.<level>).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "log/log_file.h"

namespace qilin::log {

class Statsd;
class SyslogSink;

enum class Level { kDebug = 10, kInfo = 20, kWarning = 30, kError = 40, kCritical = 50 };

// "debug", "info", "warning", "error", "critical" (case-insensitive).
Result<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);  // "INFO"

// Where error-log lines go instead of the file and syslog when Python's
// logging is configured (python::PythonLogger). The sink decides what to keep.
class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void emit(Level level, std::string_view message) = 0;
};

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
  // Also send every line to `sink` as PROGRAM (outlives this log).
  void copy_to_syslog(SyslogSink* sink, std::string program) {
    syslog_ = sink;
    syslog_program_ = std::move(program);
  }
  // Send every line to `sink` (outlives this log) instead of the file and
  // syslog, whatever its level; null returns to the native outputs.
  void forward_to(LineSink* sink) { forward_ = sink; }
  bool forwarded() const { return forward_ != nullptr; }
  // Count lines by level in `statsd` (outlives this log); it is also the
  // process's metrics client, for whoever holds the log.
  void count_in(Statsd* statsd) { statsd_ = statsd; }
  Statsd* statsd() const { return statsd_; }
  // Sends from now on to where `other` sends besides its file: its syslog
  // sink and program, its StatsD client and its forward (HUP gives the
  // master's own log the outputs the reloaded settings made).
  void use_sinks_of(const ErrorLog& other) {
    syslog_ = other.syslog_;
    syslog_program_ = other.syslog_program_;
    statsd_ = other.statsd_;
    forward_ = other.forward_;
  }
  int fd() const { return file_.fd(); }
  Level level() const { return level_; }
  bool enabled(Level level) const { return forward_ != nullptr || level >= level_; }

  // `exception`: an error with its traceback (counted as gunicorn.log.exception).
  void log(Level level, std::string_view message, bool exception = false);
  void debug(std::string_view m) { log(Level::kDebug, m); }
  void info(std::string_view m) { log(Level::kInfo, m); }
  void warning(std::string_view m) { log(Level::kWarning, m); }
  void error(std::string_view m) { log(Level::kError, m); }
  void critical(std::string_view m) { log(Level::kCritical, m); }
  void exception(std::string_view m) { log(Level::kError, m, /*exception=*/true); }

 private:
  LogFile file_{2};
  Level level_ = Level::kInfo;
  SyslogSink* syslog_ = nullptr;
  std::string syslog_program_;
  Statsd* statsd_ = nullptr;
  LineSink* forward_ = nullptr;
};

// "[2026-11-27 07:11:18 +0000]" for the given time (local time zone).
std::string format_log_time(long long unix_seconds);

}  // namespace qilin::log
