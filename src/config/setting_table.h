// THE settings table: one row per gunicorn 26 setting (119), in the order of
// gunicorn's config.py, plus qilin's own settings (`qilin_only`), each next to
// the gunicorn setting it belongs with. Everything about settings is made from these rows and
// from nowhere else: the command-line parser, -h, GUNICORN_CMD_ARGS, the checks
// the config-file reader applies, --print-config and docs/settings.md.
//
// A row says how a setting is spelled (name, flags, metavar), what it holds
// (value type, validator, default, environment rule), how it is documented
// (one-line help, longer doc) and whether qilin implements it yet (`support`).
// The table is built once on first use and is immutable afterwards, so it may
// be read from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/environment.h"
#include "core/result.h"

namespace qilin::config {

// gunicorn's settings sections, in the order they first appear in the table.
enum class Section {
  kConfigFile,
  kServerSocket,
  kWorkerProcesses,
  kSecurity,
  kDebugging,
  kServerMechanics,
  kLogging,
  kProcessNaming,
  kServerHooks,
  kSsl,
  kHttp2,
  kDirtyArbiters,
  kDirtyArbiterHooks,
  kControl,
};
std::string_view section_name(Section section);  // "Server Socket", ...

// What a setting's value is, and so which Value alternative holds it.
enum class ValueType {
  kString,  // std::string, or None (monostate)
  kInt,     // int64_t, never negative
  kBool,    // bool (sendfile alone may also be None)
  kChoice,  // std::string, one of the row's `choices`, normalised
  kList,    // std::vector<std::string>
  kMap,     // StringMap (secure_scheme_headers: a flat dict of str to str)
  kObject,  // PyHandle to a Python dict that has no flat form (logconfig_dict);
            // a null handle is the default, {}
  kHook,    // PyHandle to a callable; null is gunicorn's built-in default
  kClass,   // std::string (short name or dotted path), or PyHandle to a class
};

// How the command line fills the setting (argparse's `action` and `nargs`).
enum class Action {
  kStore,          // FLAG VALUE: the last one wins
  kAppend,         // FLAG VALUE, repeatable: every value is kept, in order
  kStoreTrue,      // FLAG: sets true
  kStoreConst,     // FLAG: sets `const_text` (--no-sendfile)
  kStoreOptional,  // FLAG [VALUE]: without a value sets `const_text` (--proxy-protocol)
};

// argparse's `type`: how the command-line text is converted before the
// validator sees it. A failure here is an argparse error (exit 2).
enum class ArgType {
  kText,     // as given
  kInt,      // Python int(text): decimal only
  kAutoInt,  // gunicorn's auto_int: 0o/0x/0b prefixes, and a leading 0 means octal
};

// Whether qilin implements the setting yet. An unsupported setting is still
// parsed and validated; giving it any value other than its default fails
// with "setting 'X' (--flag) is not supported yet".
enum class Support { kSupported, kUnsupported };

struct Setting;

// Checks and normalises a value for one row, the way gunicorn's validator for
// that setting does. Text from the command line arrives as a std::string.
// The error names the setting and the value.
using Validator = Result<Value> (*)(const Setting& row, const Value& value, const Environment& env);
// A raw default that depends on the environment (PORT, WEB_CONCURRENCY, the cwd, ...).
using EnvDefault = Result<Value> (*)(const Setting& row, const Environment& env);
// Narrows a supported setting to the values qilin implements so far (for
// example worker_class: only "sync"). Ok, or the one-line refusal.
using SupportLimit = Status (*)(const Setting& row, const Value& value);

struct Setting {
  std::string_view name;
  Section section = Section::kServerMechanics;
  std::vector<std::string_view> flags;  // command-line spellings; empty: config file only
  std::string_view meta;                // argparse metavar; empty: NAME upper-cased
  ValueType type = ValueType::kString;
  Action action = Action::kStore;
  ArgType arg_type = ArgType::kText;
  std::string_view const_text;            // the value of kStoreConst / kStoreOptional
  std::vector<std::string_view> choices;  // kChoice (and http_protocols' items)
  std::pair<int, int> arity = {0, 0};     // kHook: accepted numbers of arguments
  // kHook: the __qualname__ of gunicorn's built-in default ("OnStarting.on_starting"),
  // which --print-config shows as "<OnStarting.on_starting()>".
  std::string_view default_qualname;
  Validator validate = nullptr;
  // gunicorn's `default`: the raw value that the validator turns into the
  // initial value (the text "127.0.0.1,::1" becomes a list). -h shows it raw.
  Value default_value;
  EnvDefault env_default = nullptr;  // when set, computes the raw default instead
  std::string_view default_doc;      // how docs show the default; empty: default_value
  Support support = Support::kUnsupported;
  SupportLimit limit = nullptr;
  bool qilin_only = false;  // qilin's own setting: gunicorn has no such name
  std::string_view help;  // one line, for -h
  std::string_view doc;   // a paragraph or two, for docs/settings.md

  bool takes_value() const {
    return action == Action::kStore || action == Action::kAppend ||
           action == Action::kStoreOptional;
  }
  // The metavar argparse shows: `meta`, or the name upper-cased.
  std::string metavar() const;
  // "-w/--workers" as argparse names an option in its errors; "" without flags.
  std::string flags_text() const;
  // The raw default for this environment (env_default, else default_value).
  Result<Value> default_for(const Environment& env) const;
  // default_for, through the validator: the value a fresh Config holds.
  Result<Value> initial_value(const Environment& env) const;
};

// All rows, in gunicorn's definition order.
std::span<const Setting> setting_table();
// The row index of `name`, or -1.
int setting_index(std::string_view name);
// The row of `name`, or nullptr.
const Setting* find_setting(std::string_view name);
// Every section, in table order.
std::span<const Section> all_sections();

}  // namespace qilin::config
