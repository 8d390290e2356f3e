// HUP's half that knows where the settings come from (arbiter::Reloader).
// read() runs the loader start-up used (settings_loader.h) over the same
// command line, with GUNICORN_CMD_ARGS, the environment defaults and the
// config file read again, converts the result as start-up does, opens the
// log outputs it names, and (with --preload newly on) preloads the
// application. commit() then makes it current: the Config object everyone
// reads is assigned the new settings, the environment, --chdir and
// --pythonpath are applied again, the error log follows a changed level or
// file, new workers get the new access log, hooks and application spec
// (without --preload they import the application afresh after fork).
// Master thread only; both calls take the GIL.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arbiter/arbiter_options.h"
#include "arbiter/reloader.h"
#include "main/log_setup.h"
#include "main/process_setup.h"
#include "main/settings_loader.h"
#include "python/python_hooks.h"
#include "python/worker_runtime.h"

namespace qilin::main {

// What the workers run with, from the settings (start-up and HUP alike).
python::RuntimeOptions runtime_options_for(const Settings& settings,
                                           const arbiter::ArbiterOptions& options,
                                           const LogOutputs& logs);

class SettingsReloader final : public arbiter::Reloader {
 public:
  // Everything here must outlive this object. `settings` is the object the
  // hooks' `cfg` reads; commit() assigns the new settings into it. `logs`
  // are the outputs opened at start-up (the error log stays this object).
  SettingsReloader(std::vector<std::string> args, Settings& settings, ProcessSetup& process,
                   LogOutputs& logs, python::PythonHooks& hooks, python::PythonRuntime& runtime);

  Result<arbiter::ArbiterOptions> read() override;
  void commit() override;

 private:
  // Points the running error log at a changed errorlog or loglevel.
  void update_error_log(const config::Config& next);

  std::vector<std::string> args_;
  Settings& settings_;
  ProcessSetup& process_;
  LogOutputs& logs_;
  python::PythonHooks& hooks_;
  python::PythonRuntime& runtime_;

  // From the last successful read(), until commit().
  std::optional<Settings> pending_;
  std::optional<python::RuntimeOptions> pending_runtime_;
  std::unique_ptr<LogOutputs> pending_logs_;
  python::PyRef pending_app_;
  // The outputs of the last reload, which new workers' access log uses
  // (null until a reload: the start-up ones in `logs_`).
  std::unique_ptr<LogOutputs> reloaded_logs_;
};

}  // namespace qilin::main
