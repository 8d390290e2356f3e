// qilin's front door: turns the command line, GUNICORN_CMD_ARGS and the
// config file into settings (in gunicorn's order and precedence), prepares
// the interpreter and the process (env, chdir, sys.path), then hands over to
// the master. Every failure here is one line on stderr and gunicorn's exit
// code; nothing below main() prints usage errors.
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
#include "config/help_text.h"
#include "config/print_config.h"
#include "core/strings.h"
#include "log/error_log.h"
#include "python/config_file.h"
#include "python/interpreter.h"
#include "python/worker_runtime.h"

namespace {

using namespace qilin;

int fail(int code, const std::string& message) {
  std::string line = message + "\n";
  (void)!::write(2, line.data(), line.size());
  return code;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Parses one command line (argv or GUNICORN_CMD_ARGS); returns an exit code
// when the process must end here (error, -h, -v).
std::optional<int> parse(std::span<const std::string> words, config::CommandLine* out) {
  auto line = config::parse_command_line(words);
  if (!line) {
    std::string text = config::usage_error_text(line.message());
    (void)!::write(2, text.data(), text.size());
    return config::kExitUsageError;
  }
  if (line->help) {
    std::string text = config::help_text(config::Environment::current());
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (line->version) {
    std::fputs(config::version_text().c_str(), stdout);
    return 0;
  }
  *out = std::move(*line);
  return std::nullopt;
}

// --env, --chdir, --pythonpath, as gunicorn applies them before the app loads.
Status prepare_process(const config::Config& cfg) {
  auto vars = cfg.environment_variables();
  if (!vars) return vars.status();
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
  config::CommandLine cli;
  if (auto code = parse(args, &cli)) return *code;

  const config::Environment env = config::Environment::current();
  auto made = config::Config::from_environment(env);
  if (!made) return fail(config::kExitConfigError, "Error: " + made.message());
  config::Config cfg = std::move(*made);
  if (auto app = cli.app_module()) {
    (void)cfg.set_from_text("default_proc_name", *app, config::Source::kApplication);
  }

  config::CommandLine env_cli;
  if (const char* env_args = std::getenv("GUNICORN_CMD_ARGS"); env_args && *env_args) {
    auto words = config::split_shell_words(env_args);
    if (!words) return fail(config::kExitConfigError, "Error: " + words.message());
    if (auto code = parse(*words, &env_cli)) return *code;
  }

  std::vector<std::string> py_argv = {argv[0]};
  py_argv.insert(py_argv.end(), args.begin(), args.end());
  if (Status s = python::start_interpreter(py_argv); !s) return fail(1, "Error: " + s.message());

  std::optional<std::string> config_file = cli.last("config");
  if (!config_file) config_file = env_cli.last("config");
  if (!config_file && file_exists("gunicorn.conf.py")) config_file = "gunicorn.conf.py";
  if (config_file) {
    if (Status s = python::load_config_file(*config_file, cfg); !s) {
      return fail(config::kExitConfigError, s.message());
    }
  }
  if (Status s = config::apply(env_cli, config::Source::kEnvArgs, cfg); !s) {
    return fail(config::kExitConfigError, "Error: " + s.message());
  }
  if (Status s = config::apply(cli, config::Source::kCommandLine, cfg); !s) {
    return fail(config::kExitConfigError, "Error: " + s.message());
  }
  std::string app_spec = cli.app_module().value_or(cfg.is_none("wsgi_app") ? "" : cfg.string("wsgi_app"));
  if (app_spec.empty()) return fail(config::kExitConfigError, "Error: No application module specified.");

  log::ErrorLog error_log;
  auto level = log::parse_level(cfg.string("loglevel"));
  if (!level) return fail(config::kExitConfigError, "Error: " + level.message());
  if (Status s = error_log.open(cfg.is_none("errorlog") ? "-" : cfg.string("errorlog"), *level); !s) {
    return fail(config::kExitConfigError, s.message());
  }
  if (Status s = prepare_process(cfg); !s) return fail(config::kExitConfigError, s.message());
  auto options = arbiter::arbiter_options_from(cfg);
  if (!options) return fail(config::kExitConfigError, "Error: " + options.message());

  python::RuntimeOptions runtime_options;
  runtime_options.app_spec = app_spec;
  runtime_options.multiprocess = options->workers > 1;
  runtime_options.sendfile = options->worker.sendfile;
  python::PythonRuntime runtime(runtime_options);

  const bool print_config = cfg.boolean("print_config");
  if (print_config) std::fputs(config::print_config_text(cfg).c_str(), stdout);
  if (print_config || cfg.boolean("check_config")) {
    std::fflush(stdout);
    return python::load_app_or_report(app_spec, error_log) ? 0 : 1;
  }
  if (cfg.boolean("preload_app")) {
    python::PyRef app = python::load_app_or_report(app_spec, error_log);
    if (!app) return 4;
    runtime.set_preloaded_app(std::move(app));
  }
  arbiter::Arbiter master(std::move(*options), error_log, runtime);
  return master.run();
}
