// The command line, parsed exactly as gunicorn's argparse parser parses it
// (Python 3.11's argparse): `--workers 2`, `--workers=2`, `-w 2`, `-w2`,
// `-w=2`, unambiguous prefixes of long options, bundled switches (`-DR`),
// `--`, repeatable options, `-h`, `-v`, and the positional APP_MODULE. The
// option strings come from THE settings table and nothing else.
//
// Parsing only turns text into (setting, text) assignments; `apply` then puts
// them into a Config, through the validators. GUNICORN_CMD_ARGS goes through
// the same parser after split_shell_words. Pure functions, thread-safe.
//
// How main uses this, in gunicorn's order:
//   1. parse_command_line(argv). Error: print usage_error_text(msg) to stderr,
//      exit kExitUsageError (2). help/version: print help_text() or
//      version_text() to stdout, exit 0.
//   2. default_proc_name = app_module() (Source::kApplication).
//   3. split_shell_words($GUNICORN_CMD_ARGS) (error: "Error: MSG", exit 1),
//      then parse_command_line on the words (handled as in 1; positionals
//      there are ignored, as gunicorn ignores them).
//   4. the config file: last("config") of the command line, else of
//      GUNICORN_CMD_ARGS, else ./gunicorn.conf.py when it exists.
//   5. apply(env_args, Source::kEnvArgs), then apply(argv, Source::kCommandLine).
//      Error: "Error: MSG", exit kExitConfigError (1).
//   6. no app_module() and no wsgi_app: "Error: No application module specified.", exit 1.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/shell_words.h"  // split_shell_words, for GUNICORN_CMD_ARGS
#include "core/result.h"

namespace qilin::config {

inline constexpr std::string_view kProgramName = "qilin";
inline constexpr int kExitUsageError = 2;   // argparse errors
inline constexpr int kExitConfigError = 1;  // bad values, unsupported settings, shlex errors

struct Assignment {
  std::string name;  // the setting's name
  std::string text;  // its value as text, after argparse's type conversion
                     // (ints in decimal, switches "true"/"false", bare --proxy-protocol "auto")
};

struct CommandLine {
  std::vector<Assignment> assignments;   // in command-line order
  std::vector<std::string> positionals;  // APP_MODULE first; gunicorn ignores any others
  bool help = false;                     // -h/--help was reached; parsing stopped there
  bool version = false;                  // -v/--version was reached; parsing stopped there

  std::optional<std::string> app_module() const;
  // The text of the last assignment to `name`, if any (e.g. "config").
  std::optional<std::string> last(std::string_view name) const;
};

// Parses arguments (argv without argv[0]). The error message is argparse's,
// without prefix: "argument -w/--workers: invalid int value: 'abc'".
Result<CommandLine> parse_command_line(std::span<const std::string> args);
Result<CommandLine> parse_command_line(int argc, const char* const* argv);  // skips argv[0]

// Puts the assignments into `config` at `source`, as gunicorn does with
// argparse's namespace: settings in table order, the last value of a plain
// option, every value of a repeatable one (replacing lower sources). The
// first failure is returned.
Status apply(const CommandLine& line, Source source, Config& config);

// "usage: qilin [OPTIONS] [APP_MODULE]\n"
std::string usage_line();
// usage_line() + "qilin: error: MESSAGE\n", what argparse prints before exit 2.
std::string usage_error_text(std::string_view message);
// "qilin (version 0.1.0)\n"
std::string version_text();

}  // namespace qilin::config
