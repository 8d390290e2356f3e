// The resolved settings of one qilin run. Every value lives in one slot per
// row of THE settings table (setting_table.h); nothing else holds settings.
// Values arrive from, lowest to highest precedence: the table's defaults (with
// PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS applied), the application's own
// settings (default_proc_name from APP_MODULE, paste), the config file,
// GUNICORN_CMD_ARGS, the command line. Each goes through its setting's
// validator, and a setting qilin does not implement yet is refused when it is
// given anything but its default. Built in the master before forking;
// read-only afterwards, so concurrent reads are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/environment.h"
#include "core/result.h"

namespace qilin::config {

// An opaque reference to a Python object (a hook, a class) owned by the
// python layer. The config layer only stores and compares it.
struct PyHandle {
  void* object = nullptr;
  bool operator==(const PyHandle&) const = default;
};

// A Python dict of str to str, in insertion order (as --print-config shows
// it). Keys are unique; setting an existing key keeps its position.
using StringMap = std::vector<std::pair<std::string, std::string>>;
// Typed value of one setting. The alternative used is fixed per row (see
// ValueType in setting_table.h); None is std::monostate.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string,
                           std::vector<std::string>, StringMap, PyHandle>;

// Where a value came from, lowest precedence first. kApplication is what the
// application itself sets before the config file (gunicorn's init(): the
// default_proc_name taken from APP_MODULE, the paste file's logging config).
enum class Source { kDefault, kApplication, kConfigFile, kEnvArgs, kCommandLine };

class Config {
 public:
  Config();  // every row at its default, for the running process's environment
  // Every row at its default for `env`. A default that `env` makes invalid
  // (WEB_CONCURRENCY=abc) falls back to the table's plain default; use
  // from_environment to hear about it.
  explicit Config(const Environment& env);
  // Like Config(env), but an invalid environment default is an error:
  // "Invalid value for WEB_CONCURRENCY: 'abc' (not an integer)".
  static Result<Config> from_environment(const Environment& env);

  // Typed reads. Asking for a name that is not in the table, or with the
  // wrong type, is a programming error (aborts with a message).
  bool boolean(std::string_view name) const;  // None (sendfile unset) reads as false
  int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;              // an int setting reads as a double
  const std::string& string(std::string_view name) const;  // "" when None
  bool is_none(std::string_view name) const;               // value is None (monostate)
  const std::vector<std::string>& list(std::string_view name) const;
  const StringMap& map(std::string_view name) const;
  PyHandle handle(std::string_view name) const;
  const Value& value(std::string_view name) const;
  Source source(std::string_view name) const;  // where the current value came from

  // Sets from text, as the command line and GUNICORN_CMD_ARGS give it.
  // Repeatable (append) settings append when `source` is the same as the
  // previous one, and replace a value from a lower source. A value from a
  // lower source than the current one is validated, then ignored. Error
  // message names the setting and the value.
  Status set_from_text(std::string_view name, std::string_view text, Source source);
  // Sets from a typed value (the config file, through the python layer). A
  // list replaces the previous list. Same precedence rules as set_from_text.
  Status set_value(std::string_view name, Value value, Source source);

  // Derived reads, as gunicorn's Config properties compute them.
  // sendfile: an explicit setting wins; unset, $SENDFILE decides (1, y, yes,
  // true, any case, mean on; anything else off); neither set means on.
  bool sendfile_enabled() const;
  // proc_name when set, else default_proc_name.
  const std::string& process_name() const;
  // raw_env as KEY -> VALUE (split at the first '='); an item without '='
  // is an error: "environment setting 'FOO' invalid".
  Result<StringMap> environment_variables() const;

  const Environment& environment() const { return env_; }

 private:
  struct Slot {
    Value value;
    Source source = Source::kDefault;
  };
  const Slot& slot(std::string_view name) const;
  Status store(int index, Value value, Source source, bool append);

  Environment env_;
  std::vector<Slot> slots_;      // one per table row, in table order
  std::vector<Value> defaults_;  // the default of each row for env_
};

}  // namespace qilin::config
