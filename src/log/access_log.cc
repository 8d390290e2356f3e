#include "log/access_log.h"

namespace qilin::log {

Status AccessLog::open(const std::string& target, std::string_view format) {
  if (target.empty()) return Status::ok();
  auto compiled = AccessLogFormat::compile(format);
  if (!compiled) return compiled.status();
  if (Status s = file_.open(target); !s) return s;
  format_ = std::move(*compiled);
  return Status::ok();
}

void AccessLog::write(const AccessRecord& record) const {
  if (!format_) return;
  thread_local std::string line;
  line.clear();
  format_->render(record, &line);
  line.push_back('\n');
  file_.write(line);
}

}  // namespace qilin::log
