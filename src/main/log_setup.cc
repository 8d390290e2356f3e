#include "main/log_setup.h"

#include "python/interpreter.h"

namespace qilin::main {

namespace {

// "gunicorn.<syslog_prefix, else the process name with ':' as '.'>.<kind>",
// gunicorn's program names, so existing syslog filters keep matching.
std::string syslog_program(const config::Config& cfg, std::string_view kind) {
  std::string prefix = cfg.is_none("syslog_prefix") ? "" : cfg.string("syslog_prefix");
  if (prefix.empty()) {
    prefix = cfg.process_name();
    for (char& c : prefix) {
      if (c == ':') c = '.';
    }
  }
  return "gunicorn." + prefix + "." + std::string(kind);
}

Status open_syslog(const config::Config& cfg, log::SyslogSink& sink) {
  auto facility = log::syslog_facility(cfg.string("syslog_facility"));
  if (!facility) return Status::error("Error: " + facility.message());
  auto address = log::parse_syslog_address(cfg.string("syslog_addr"));
  if (!address) return Status::error("Error: " + address.message());
  if (Status s = sink.open(*address, *facility); !s) return Status::error("Error: " + s.message());
  return Status::ok();
}

}  // namespace

Status open_log_outputs(const config::Config& cfg, LogOutputs& out) {
  auto level = log::parse_level(cfg.string("loglevel"));
  if (!level) return Status::error("Error: " + level.message());
  if (Status s = out.error.open(cfg.is_none("errorlog") ? "-" : cfg.string("errorlog"), *level); !s) {
    return s;
  }
  if (cfg.boolean("capture_output")) {
    python::flush_std_streams();
    if (Status s = out.error.capture_output(); !s) return Status::error("Error: " + s.message());
  }
  const bool syslog = cfg.boolean("syslog");
  if (syslog) {
    if (Status s = open_syslog(cfg, out.syslog); !s) return s;
    out.error.copy_to_syslog(&out.syslog, syslog_program(cfg, "error"));
  }
  const bool access_to_syslog = syslog && !cfg.boolean("disable_redirect_access_to_syslog");
  if (Status s = out.access.open(cfg.is_none("accesslog") ? "" : cfg.string("accesslog"),
                                 cfg.string("access_log_format"),
                                 access_to_syslog ? &out.syslog : nullptr,
                                 access_to_syslog ? syslog_program(cfg, "access") : "");
      !s) {
    return Status::error("Error: " + s.message());
  }
  if (!cfg.is_none("statsd_host")) {
    auto address = log::parse_statsd_address(cfg.string("statsd_host"));
    if (!address) return Status::error("Error: " + address.message());
    if (Status s = out.statsd.open(*address, cfg.string("statsd_prefix"), cfg.string("dogstatsd_tags")); !s) {
      // As gunicorn: a statsd socket that cannot be opened disables the metrics.
      out.error.warning("StatsD disabled: " + s.message());
    } else {
      out.error.count_in(&out.statsd);
    }
  }
  auto python_logger = python::PythonLogger::create(cfg);
  if (!python_logger) return python_logger.status();
  out.python = std::move(*python_logger);
  if (out.python) out.error.forward_to(out.python.get());
  return Status::ok();
}

}  // namespace qilin::main
