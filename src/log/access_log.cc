#include "log/access_log.h"

#include "log/syslog.h"

namespace qilin::log {

Status AccessLog::open(const std::string& target, std::string_view format, SyslogSink* syslog,
                       std::string program) {
  if (target.empty() && !syslog) return Status::ok();
  auto compiled = AccessLogFormat::compile(format);
  if (!compiled) return compiled.status();
  if (!target.empty()) {
    if (Status s = file_.open(target); !s) return s;
    to_file_ = true;
  }
  syslog_ = syslog;
  syslog_program_ = std::move(program);
  format_ = std::move(*compiled);
  return Status::ok();
}

void AccessLog::write(const AccessRecord& record) const {
  if (!format_) return;
  thread_local std::string line;
  line.clear();
  format_->render(record, &line);
  line.push_back('\n');
  write_line(line);
}

void AccessLog::write_line(std::string_view line) const {
  if (to_file_) file_.write(line);
  if (syslog_) syslog_->send(Level::kInfo, syslog_program_, line);
}

}  // namespace qilin::log
