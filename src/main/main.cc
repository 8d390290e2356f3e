// qilin's front door. load_settings (settings_loader.h) turns the command
// line, GUNICORN_CMD_ARGS and the config file into settings, in gunicorn's
// order and precedence; then main prepares the process (env, chdir,
// sys.path), answers --print-config / --check-config, and hands over to the
// master, with a SettingsReloader for HUP (the same loader, run again) and
// what a USR2 needs to start the same master again. Every
// failure here is one line on stderr and gunicorn's exit code; nothing below
// main() prints usage errors.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "arbiter/arbiter.h"
#include "arbiter/arbiter_options.h"
#include "config/command_line.h"
#include "config/config.h"
#include "config/print_config.h"
#include "main/log_setup.h"
#include "main/process_setup.h"
#include "main/settings_loader.h"
#include "main/settings_reloader.h"
#include "sys/proc_title.h"
#include "python/config_file.h"
#include "python/interpreter.h"
#include "python/python_hooks.h"
#include "python/ssl_context_hook.h"
#include "python/worker_runtime.h"

namespace {

using namespace qilin;

int fail(int code, const std::string& message) {
  std::string line = message + "\n";
  (void)!::write(2, line.data(), line.size());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // USR2 executes this again: the command line, directory and environment
  // as they are now. Then the sockets systemd or an old master handed over,
  // taken out of the environment before the interpreter copies it.
  arbiter::StartContext start = arbiter::StartContext::capture(argc, argv);
  arbiter::Inheritance inherited = arbiter::Inheritance::take();
  sys::init_proc_title(argc, argv);  // before anything reads argv[0] or environ
  main::Settings settings;
  if (auto code = main::load_settings(args, argv[0], settings)) return *code;
  const config::Config& cfg = settings.config;
  const std::string& app_spec = settings.app_spec;
  if (cfg.value("ssl_version") != config::Value(int64_t(2))) {  // gunicorn's validator warns so
    std::fputs("Warning: option `ssl_version` is deprecated and it is ignored. "
               "Use ssl_context instead.\n", stderr);
  }

  // As gunicorn: chdir and pythonpath first, so relative log paths and a
  // logger class resolve from the configured directory and path.
  main::ProcessSetup process;
  if (Status s = process.apply(cfg); !s) return fail(config::kExitConfigError, s.message());
  main::LogOutputs logs;
  if (Status s = main::open_log_outputs(cfg, logs); !s) return fail(config::kExitConfigError, s.message());
  log::ErrorLog& error_log = logs.error;
  auto options = arbiter::arbiter_options_from(cfg, python::tls_context_maker(error_log));
  if (!options) return fail(config::kExitConfigError, "Error: " + options.message());

  python::PythonHooks hooks(cfg, error_log);
  python::PythonRuntime runtime(main::runtime_options_for(settings, *options, logs), hooks);

  const bool print_config = cfg.boolean("print_config");
  if (print_config) std::fputs(config::print_config_text(cfg, python::format_handle).c_str(), stdout);
  if (print_config || cfg.boolean("check_config")) {
    std::fflush(stdout);
    return python::load_app_or_report(app_spec, error_log) ? 0 : 1;
  }
  // A master a USR2 executed is detached already, as its parent was; it
  // stays that parent's child so that it sees it exit (gunicorn skips
  // daemonize() for it too).
  if (cfg.boolean("daemon") && inherited.old_master == 0) {
    if (std::getenv("NOTIFY_SOCKET")) {
      std::fputs("Warning: you shouldn't specify `daemon = True` when launching by systemd "
                 "with `Type = notify`\n", stderr);
    }
    if (Status s = python::daemonize(cfg.boolean("enable_stdio_inheritance")); !s) {
      return fail(1, "Error: " + s.message());
    }
  }
  if (cfg.boolean("preload_app")) {
    python::PyRef app = python::load_app_or_report(app_spec, error_log);
    if (!app) return 4;
    runtime.set_preloaded_app(std::move(app));
  }
  main::SettingsReloader reloader(args, settings, process, logs, hooks, runtime);
  arbiter::Arbiter master(std::move(*options), error_log, runtime, hooks, reloader,
                          std::move(start), std::move(inherited));
  python::GilRelease unlocked;  // threads a hook starts in the master can run; hooks take the GIL
  return master.run();
}
