// The resolved settings of one qilin run. Every value lives in one slot per
// row of THE settings table (setting_table.h); nothing else holds settings.
// Values arrive from, lowest to highest precedence: the table's defaults (with
// PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS applied), the config file,
// GUNICORN_CMD_ARGS, the command line. Each goes through its setting's
// validator. Built in the master before forking; read-only afterwards, so
// concurrent reads are safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace qilin::config {

// An opaque reference to a Python object (a hook, a class) owned by the
// python layer. The config layer only stores and compares it.
struct PyHandle {
  void* object = nullptr;
  bool operator==(const PyHandle&) const = default;
};

using StringMap = std::map<std::string, std::string>;
// Typed value of one setting. The alternative used is fixed per row.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string,
                           std::vector<std::string>, StringMap, PyHandle>;

enum class Source { kDefault, kConfigFile, kEnvArgs, kCommandLine };

class Config {
 public:
  Config();  // every row at its default

  // Typed reads. Asking for a name that is not in the table, or with the
  // wrong type, is a programming error (asserts).
  bool boolean(std::string_view name) const;
  int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  const std::string& string(std::string_view name) const;  // "" when None
  bool is_none(std::string_view name) const;                // value is None (monostate)
  const std::vector<std::string>& list(std::string_view name) const;
  const StringMap& map(std::string_view name) const;
  PyHandle handle(std::string_view name) const;
  const Value& value(std::string_view name) const;
  Source source(std::string_view name) const;  // where the current value came from

  // Sets from text, as the command line and GUNICORN_CMD_ARGS give it.
  // Repeatable (append) settings append when `source` is the same as the
  // previous one, and replace a value from a lower source. Error message
  // names the setting and the value.
  Status set_from_text(std::string_view name, std::string_view text, Source source);
  // Sets from a typed value (the config file, through the python layer).
  Status set_value(std::string_view name, Value value, Source source);
};

}  // namespace qilin::config
