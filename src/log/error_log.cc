#include "log/error_log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/strings.h"
#include "log/statsd.h"
#include "log/syslog.h"

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

Status ErrorLog::open(const std::string& target, Level level) {
  level_ = level;
  Status s = file_.open(target);
  if (!s) return Status::error("Error: " + s.message());
  return s;
}

Status ErrorLog::reopen() { return file_.reopen(); }

void ErrorLog::log(Level level, std::string_view message, bool exception) {
  if (statsd_ && level >= Level::kWarning) {
    statsd_->increment(exception                  ? "gunicorn.log.exception"
                       : level == Level::kWarning ? "gunicorn.log.warning"
                       : level == Level::kError   ? "gunicorn.log.error"
                                                  : "gunicorn.log.critical");
  }
  if (forward_) {
    forward_->emit(level, message);
    return;
  }
  if (!enabled(level)) return;
  if (syslog_) syslog_->send(level, syslog_program_, message);
  std::string line = format_log_time(time(nullptr));
  line += " [";
  line += std::to_string(getpid());
  line += "] [";
  line += level_name(level);
  line += "] ";
  line += message;
  if (line.empty() || line.back() != '\n') line += '\n';
  file_.write(line);
}

}  // namespace qilin::log
