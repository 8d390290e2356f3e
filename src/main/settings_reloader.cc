#include "main/settings_reloader.h"

#include "python/interpreter.h"
#include "python/py_ref.h"
#include "python/ssl_context_hook.h"

namespace qilin::main {

namespace {

std::string error_log_target(const config::Config& cfg) {
  return cfg.is_none("errorlog") ? "-" : cfg.string("errorlog");
}

}  // namespace

python::RuntimeOptions runtime_options_for(const Settings& settings,
                                           const arbiter::ArbiterOptions& options,
                                           const LogOutputs& logs) {
  python::RuntimeOptions out;
  out.app_spec = settings.app_spec;
  out.multiprocess = options.workers > 1;
  out.sendfile = options.worker.sendfile;
  out.access_log = &logs.access;
  out.python_logger = logs.python.get();
  out.spew = settings.config.boolean("spew");
  return out;
}

SettingsReloader::SettingsReloader(std::vector<std::string> args, Settings& settings,
                                   ProcessSetup& process, LogOutputs& logs,
                                   python::PythonHooks& hooks, python::PythonRuntime& runtime)
    : args_(std::move(args)),
      settings_(settings),
      process_(process),
      logs_(logs),
      hooks_(hooks),
      runtime_(runtime) {}

Result<arbiter::ArbiterOptions> SettingsReloader::read() {
  python::GilAcquire gil;
  pending_.reset();
  pending_runtime_.reset();
  pending_logs_.reset();
  pending_app_ = python::PyRef();

  // As gunicorn: the variables --env set are put back first, so the
  // environment defaults (PORT, WEB_CONCURRENCY...) are read from the
  // environment qilin started in. The running settings' are set again right
  // after: nothing changes before commit().
  (void)process_.restore_environment();
  Settings next;
  Status loaded = reload_settings(args_, next);
  (void)process_.apply_environment(settings_.config);
  if (!loaded) return loaded;
  if (Status s = ProcessSetup::check(next.config); !s) return s;
  auto options = arbiter::arbiter_options_from(next.config, python::tls_context_maker(logs_.error));
  if (!options) return Status::error("Error: " + options.message());
  auto logs = std::make_unique<LogOutputs>();
  if (Status s = open_log_outputs(next.config, *logs); !s) return s;
  // An application the master preloaded stays: it is not imported again.
  if (next.config.boolean("preload_app") && !runtime_.has_preloaded_app()) {
    pending_app_ = python::load_app_or_report(next.app_spec, logs_.error);
    if (!pending_app_) return Status::error("Error: the application could not be preloaded");
  }
  pending_runtime_ = runtime_options_for(next, *options, *logs);
  pending_logs_ = std::move(logs);
  pending_ = std::move(next);
  return options;
}

void SettingsReloader::commit() {
  if (!pending_) return;
  python::GilAcquire gil;
  update_error_log(pending_->config);
  settings_ = std::move(*pending_);
  pending_.reset();
  if (Status s = process_.restore_environment(); !s) logs_.error.error(s.message());
  if (Status s = process_.apply(settings_.config); !s) logs_.error.error(s.message());
  hooks_.settings_changed();
  if (pending_app_) runtime_.set_preloaded_app(std::move(pending_app_));
  runtime_.set_options(std::move(*pending_runtime_));
  pending_runtime_.reset();
  // The master's own error log now sends to the new syslog, StatsD and
  // Python logging too (its file and level changed in update_error_log).
  logs_.error.use_sinks_of(pending_logs_->error);
  reloaded_logs_ = std::move(pending_logs_);  // the previous ones are no longer referenced
}

void SettingsReloader::update_error_log(const config::Config& next) {
  const config::Config& now = settings_.config;
  const std::string target = error_log_target(next);
  if (target == error_log_target(now) && next.string("loglevel") == now.string("loglevel")) return;
  auto level = log::parse_level(next.string("loglevel"));  // read() checked it
  if (!level) return;
  if (Status s = logs_.error.open(target, *level); !s) {
    logs_.error.error(s.message() + "; the error log stays where it was");
    return;
  }
  if (next.boolean("capture_output")) {
    python::flush_std_streams();
    if (Status s = logs_.error.capture_output(); !s) logs_.error.error("Error: " + s.message());
  }
}

}  // namespace qilin::main
