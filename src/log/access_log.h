// The access log: gunicorn's `--access-logfile` ("-" = stdout) with the
// format compiled once. One line per request, written in one write(2) on an
// O_APPEND fd, so it costs the request path one buffered write. With
// --log-syslog (and without --disable-redirect-access-to-syslog) lines also
// go to syslog, and then an access log exists even without a file, as in
// gunicorn. Disabled unless configured. Safe to call from any thread.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "log/access_log_format.h"
#include "log/log_file.h"

namespace qilin::log {

class SyslogSink;

class AccessLog {
 public:
  AccessLog() = default;
  // `target` empty: no access log file. Otherwise a path or "-". `syslog`
  // (may be null) gets every line too, as PROGRAM.
  Status open(const std::string& target, std::string_view format, SyslogSink* syslog = nullptr,
              std::string program = "");
  bool enabled() const { return format_.has_value(); }
  const AccessLogFormat& format() const { return *format_; }
  void write(const AccessRecord& record) const;
  // A line already rendered with format(), newline included.
  void write_line(std::string_view line) const;
  Status reopen() { return file_.reopen(); }

 private:
  LogFile file_{1};
  bool to_file_ = false;
  SyslogSink* syslog_ = nullptr;
  std::string syslog_program_;
  std::optional<AccessLogFormat> format_;
};

}  // namespace qilin::log
