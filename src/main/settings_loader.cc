#include "main/settings_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "config/command_line.h"
#include "config/help_text.h"
#include "config/value_format.h"
#include "python/config_file.h"
#include "python/interpreter.h"

namespace qilin::main {
namespace {

void write_stderr(const std::string& text) {
  std::string line = text;
  if (line.empty() || line.back() != '\n') line += '\n';
  std::fflush(stdout);
  (void)!::write(2, line.data(), line.size());
}

// Parses one command line (argv or GUNICORN_CMD_ARGS); returns an exit code
// when the process must end here (usage error, -h, -v).
std::optional<int> parse(std::span<const std::string> words, config::CommandLine& out) {
  auto line = config::parse_command_line(words);
  if (!line) {
    write_stderr(config::usage_error_text(line.message()));
    return config::kExitUsageError;
  }
  if (line->help) {
    std::fputs(config::help_text(config::Environment::current()).c_str(), stdout);
    return 0;
  }
  if (line->version) {
    std::fputs(config::version_text().c_str(), stdout);
    return 0;
  }
  out = std::move(*line);
  return std::nullopt;
}

int config_error(const std::string& message) {
  write_stderr(message.starts_with("Error: ") ? message : "Error: " + message);
  return config::kExitConfigError;
}

// gunicorn's get_default_config_file: ./gunicorn.conf.py when it exists.
std::optional<std::string> default_config_file() {
  struct stat st;
  if (::stat("gunicorn.conf.py", &st) != 0) return std::nullopt;
  return std::string("gunicorn.conf.py");
}

// "No application module specified.", naming what GUNICORN_CMD_ARGS held in
// the APP_MODULE position, since users expect it to count there.
std::string no_application_message(const config::CommandLine& env_line) {
  std::string out = "Error: No application module specified.";
  if (auto ignored = env_line.app_module()) {
    out += " (GUNICORN_CMD_ARGS cannot name one; " + config::python_repr(*ignored) +
           " there is ignored, as gunicorn ignores it)";
  }
  return out;
}

}  // namespace

std::optional<int> load_settings(std::span<const std::string> args, const std::string& argv0,
                                 Settings& out) {
  config::CommandLine cli;
  if (auto code = parse(args, cli)) return code;

  auto made = config::Config::from_environment(config::Environment::current());
  if (!made) return config_error(made.message());
  config::Config cfg = std::move(*made);
  if (auto app = cli.app_module()) {
    if (Status s = cfg.set_from_text("default_proc_name", *app, config::Source::kApplication); !s) {
      return config_error(s.message());
    }
  }

  config::CommandLine env_line;
  if (const char* env_args = std::getenv("GUNICORN_CMD_ARGS"); env_args && *env_args) {
    auto words = config::split_shell_words(env_args);
    if (!words) return config_error(words.message());
    if (auto code = parse(*words, env_line)) return code;
  }

  std::vector<std::string> py_argv = {argv0};
  py_argv.insert(py_argv.end(), args.begin(), args.end());
  if (Status s = python::start_interpreter(py_argv); !s) return config_error(s.message());

  std::optional<std::string> config_file = cli.last("config");
  if (!config_file) config_file = env_line.last("config");
  if (!config_file) config_file = default_config_file();
  if (config_file) {
    if (Status s = python::load_config_file(*config_file, cfg); !s) {
      write_stderr(s.message());  // ready for stderr: one line, or a traceback
      return config::kExitConfigError;
    }
  }
  if (Status s = config::apply(env_line, config::Source::kEnvArgs, cfg); !s) return config_error(s.message());
  if (Status s = config::apply(cli, config::Source::kCommandLine, cfg); !s) return config_error(s.message());

  std::string app_spec = cli.app_module().value_or(cfg.string("wsgi_app"));
  if (app_spec.empty()) {
    write_stderr(no_application_message(env_line));
    return config::kExitConfigError;
  }
  out.config = std::move(cfg);
  out.app_spec = std::move(app_spec);
  return std::nullopt;
}

}  // namespace qilin::main
