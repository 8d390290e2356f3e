// qilin's front door. load_settings (settings_loader.h) turns the command
// line, GUNICORN_CMD_ARGS and the config file into settings, in gunicorn's
// order and precedence; then main prepares the process (env, chdir,
// sys.path), answers --print-config / --check-config, and hands over to the
// master. Every failure here is one line on stderr and gunicorn's exit code;
// nothing below main() prints usage errors.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "arbiter/arbiter.h"
#include "arbiter/arbiter_options.h"
#include "config/command_line.h"
#include "config/config.h"
#include "config/print_config.h"
#include "config/value_format.h"
#include "core/strings.h"
#include "log/access_log.h"
#include "log/error_log.h"
#include "main/settings_loader.h"
#include "sys/proc_title.h"
#include "python/config_file.h"
#include "python/interpreter.h"
#include "python/python_hooks.h"
#include "python/worker_runtime.h"

namespace {

using namespace qilin;

int fail(int code, const std::string& message) {
  std::string line = message + "\n";
  (void)!::write(2, line.data(), line.size());
  return code;
}

// --env, --chdir, --pythonpath, as gunicorn applies them before the app loads.
Status prepare_process(const config::Config& cfg) {
  auto vars = cfg.environment_variables();
  if (!vars) return Status::error("Error: " + vars.message());
  for (const auto& [k, v] : *vars) {
    if (Status s = python::set_environment_variable(k, v); !s) return s;
  }
  if (!cfg.is_none("chdir") && !cfg.string("chdir").empty()) {
    const std::string& dir = cfg.string("chdir");
    if (::chdir(dir.c_str()) != 0) {
      return Status::error("Error: can't chdir to '" + dir + "': " + std::strerror(errno));
    }
    if (Status s = python::prepend_sys_path(dir); !s) return s;
  }
  if (!cfg.is_none("worker_tmp_dir")) {
    // No heartbeat file is made there (the heartbeat is shared memory), but
    // a directory gunicorn's workers could not use is refused all the same.
    const std::string& dir = cfg.string("worker_tmp_dir");
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::access(dir.c_str(), W_OK | X_OK) != 0) {
      return Status::error("Error: worker_tmp_dir " + config::python_repr(dir) +
                           " is not a writable directory");
    }
  }
  if (!cfg.is_none("pythonpath") && !cfg.string("pythonpath").empty()) {
    for (std::string_view part : split(cfg.string("pythonpath"), ',')) {
      std::string path(trim(part));
      if (path.empty()) continue;
      char resolved[4096];
      if (::realpath(path.c_str(), resolved)) path = resolved;
      if (Status s = python::prepend_sys_path(path); !s) return s;
    }
  }
  return Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  sys::init_proc_title(argc, argv);  // before anything reads argv[0] or environ
  main::Settings settings;
  if (auto code = main::load_settings(args, argv[0], settings)) return *code;
  const config::Config& cfg = settings.config;
  const std::string& app_spec = settings.app_spec;

  log::ErrorLog error_log;
  auto level = log::parse_level(cfg.string("loglevel"));
  if (!level) return fail(config::kExitConfigError, "Error: " + level.message());
  if (Status s = error_log.open(cfg.is_none("errorlog") ? "-" : cfg.string("errorlog"), *level); !s) {
    return fail(config::kExitConfigError, s.message());
  }
  if (cfg.boolean("capture_output")) {
    python::flush_std_streams();
    if (Status s = error_log.capture_output(); !s) return fail(config::kExitConfigError, "Error: " + s.message());
  }
  log::AccessLog access_log;
  if (Status s = access_log.open(cfg.is_none("accesslog") ? "" : cfg.string("accesslog"),
                                 cfg.string("access_log_format"));
      !s) {
    return fail(config::kExitConfigError, "Error: " + s.message());
  }
  if (Status s = prepare_process(cfg); !s) return fail(config::kExitConfigError, s.message());
  auto options = arbiter::arbiter_options_from(cfg);
  if (!options) return fail(config::kExitConfigError, "Error: " + options.message());

  python::RuntimeOptions runtime_options;
  runtime_options.app_spec = app_spec;
  runtime_options.multiprocess = options->workers > 1;
  runtime_options.sendfile = options->worker.sendfile;
  runtime_options.access_log = &access_log;
  python::PythonHooks hooks(cfg, error_log);
  python::PythonRuntime runtime(runtime_options, hooks);

  const bool print_config = cfg.boolean("print_config");
  if (print_config) std::fputs(config::print_config_text(cfg, python::format_handle).c_str(), stdout);
  if (print_config || cfg.boolean("check_config")) {
    std::fflush(stdout);
    return python::load_app_or_report(app_spec, error_log) ? 0 : 1;
  }
  if (cfg.boolean("daemon")) {
    if (Status s = python::daemonize(cfg.boolean("enable_stdio_inheritance")); !s) {
      return fail(1, "Error: " + s.message());
    }
  }
  if (cfg.boolean("preload_app")) {
    python::PyRef app = python::load_app_or_report(app_spec, error_log);
    if (!app) return 4;
    runtime.set_preloaded_app(std::move(app));
  }
  arbiter::Arbiter master(std::move(*options), error_log, runtime, hooks);
  python::GilRelease unlocked;  // threads a hook starts in the master can run; hooks take the GIL
  return master.run();
}
