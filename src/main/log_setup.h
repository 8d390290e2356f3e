// The server's log outputs, made from the settings once in the master before
// any worker forks (workers inherit them), as gunicorn's Logger.setup does:
// the error log (file, level, --capture-output), the access log, syslog
// (--log-syslog), StatsD (--statsd-host), and Python's logging when a logging
// configuration or logger class is set (with the GIL held). A bad setting is one line,
// "Error: ...", for the caller to print before exiting 1.
#pragma once

#include "config/config.h"
#include "core/result.h"
#include "log/access_log.h"
#include "log/error_log.h"
#include "log/statsd.h"
#include "log/syslog.h"
#include "python/python_logger.h"

namespace qilin::main {

struct LogOutputs {
  log::SyslogSink syslog;  // declared first: the logs below hold pointers to these
  log::Statsd statsd;
  log::ErrorLog error;
  log::AccessLog access;
  // Set when the settings ask for Python's logging (logconfig*, logger_class):
  // then the error log forwards every line to it and requests go to its access().
  std::unique_ptr<python::PythonLogger> python;
};

Status open_log_outputs(const config::Config& cfg, LogOutputs& out);

}  // namespace qilin::main
