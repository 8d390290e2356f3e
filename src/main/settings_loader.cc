#include "main/settings_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "config/command_line.h"
#include "config/help_text.h"
#include "config/value_format.h"
#include "python/app_loader.h"
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

// Where reading the settings stopped: the exit code, and the text for
// stdout (-h, -v) or stderr (everything else).
struct Stop {
  int code;
  std::string text;
  bool to_stdout = false;
};

// Parses one command line (argv or GUNICORN_CMD_ARGS); a Stop when the
// process must end here (usage error, -h, -v).
std::optional<Stop> parse(std::span<const std::string> words, config::CommandLine& out) {
  auto line = config::parse_command_line(words);
  if (!line) return Stop{config::kExitUsageError, config::usage_error_text(line.message())};
  if (line->help) return Stop{0, config::help_text(config::Environment::current()), true};
  if (line->version) return Stop{0, config::version_text(), true};
  out = std::move(*line);
  return std::nullopt;
}

Stop config_error(const std::string& message) {
  return Stop{config::kExitConfigError, message.starts_with("Error: ") ? message : "Error: " + message};
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

// Whether an ini file has a [NAME] section header (as configparser reads one).
bool ini_has_section(const std::string& path, std::string_view name) {
  std::ifstream in(path);
  std::string line;
  const std::string header = "[" + std::string(name) + "]";
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with(header)) return true;
  }
  return false;
}

// --paste FILE[#SECTION], from the command line as gunicorn reads it: the
// app comes from the ini file, which also names the process and, when it
// has a [loggers] section, is the logging configuration (a framework
// setting: the config file, GUNICORN_CMD_ARGS and the command line win).
// The result is paste.deploy's config URI, made absolute.
Result<std::string> apply_paste(const std::string& paste, config::Config& cfg) {
  std::string uri = std::filesystem::absolute(paste).lexically_normal().string();
  std::string file = uri.substr(0, uri.find('#'));
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return Result<std::string>::error("Error: " + config::python_repr(file) + " not found");
  }
  if (Status s = cfg.set_from_text("default_proc_name", file, config::Source::kApplication); !s) {
    return Result<std::string>::error(s.message());
  }
  if (ini_has_section(file, "loggers")) {
    if (Status s = cfg.set_from_text("logconfig", file, config::Source::kApplication); !s) {
      return Result<std::string>::error(s.message());
    }
  }
  return uri;
}

// Both load_settings and reload_settings. `argv0` is set at start-up only:
// the interpreter is started then (sys.argv), and is running already on HUP.
std::optional<Stop> read_settings(std::span<const std::string> args, const std::string* argv0,
                                  Settings& out) {
  config::CommandLine cli;
  if (auto stop = parse(args, cli)) return stop;

  auto made = config::Config::from_environment(config::Environment::current());
  if (!made) return config_error(made.message());
  config::Config cfg = std::move(*made);
  if (auto app = cli.app_module()) {
    if (Status s = cfg.set_from_text("default_proc_name", *app, config::Source::kApplication); !s) {
      return config_error(s.message());
    }
  }

  std::optional<std::string> paste_uri;
  if (auto paste = cli.last("paste")) {
    auto uri = apply_paste(*paste, cfg);
    if (!uri) return Stop{config::kExitConfigError, uri.message()};
    paste_uri = std::move(*uri);
  }

  config::CommandLine env_line;
  if (const char* env_args = std::getenv("GUNICORN_CMD_ARGS"); env_args && *env_args) {
    auto words = config::split_shell_words(env_args);
    if (!words) return config_error(words.message());
    if (auto stop = parse(*words, env_line)) return stop;
  }

  if (argv0) {
    std::vector<std::string> py_argv = {*argv0};
    py_argv.insert(py_argv.end(), args.begin(), args.end());
    if (Status s = python::start_interpreter(py_argv); !s) return config_error(s.message());
  }

  std::optional<std::string> config_file = cli.last("config");
  if (!config_file) config_file = env_line.last("config");
  if (!config_file) config_file = default_config_file();
  if (config_file) {
    if (Status s = python::load_config_file(*config_file, cfg); !s) {
      return Stop{config::kExitConfigError, s.message()};  // one line, or a traceback
    }
  }
  if (Status s = config::apply(env_line, config::Source::kEnvArgs, cfg); !s) return config_error(s.message());
  if (Status s = config::apply(cli, config::Source::kCommandLine, cfg); !s) return config_error(s.message());

  std::string app_spec = paste_uri ? python::paste_app_spec(*paste_uri)
                                   : cli.app_module().value_or(cfg.string("wsgi_app"));
  python::set_paste_global_conf(cfg.list("raw_paste_global_conf"));
  if (app_spec.empty()) return Stop{config::kExitConfigError, no_application_message(env_line)};
  out.config = std::move(cfg);
  out.app_spec = std::move(app_spec);
  return std::nullopt;
}

}  // namespace

std::optional<int> load_settings(std::span<const std::string> args, const std::string& argv0,
                                 Settings& out) {
  std::optional<Stop> stop = read_settings(args, &argv0, out);
  if (!stop) return std::nullopt;
  if (stop->to_stdout) {
    std::fputs(stop->text.c_str(), stdout);
  } else {
    write_stderr(stop->text);
  }
  return stop->code;
}

Status reload_settings(std::span<const std::string> args, Settings& out) {
  Settings fresh;
  if (std::optional<Stop> stop = read_settings(args, nullptr, fresh)) {
    // -h or -v can only come from a GUNICORN_CMD_ARGS changed since start-up.
    return Status::error(stop->to_stdout ? "Error: GUNICORN_CMD_ARGS asks for -h or -v" : stop->text);
  }
  out = std::move(fresh);
  return Status::ok();
}

}  // namespace qilin::main
