#include "config/config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "config/setting_table.h"
#include "config/value_format.h"
#include "core/strings.h"

namespace qilin::config {
namespace {

[[noreturn]] void misuse(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "qilin: internal error: %.*s '%.*s'\n", int(what.size()), what.data(),
               int(name.size()), name.data());
  std::abort();
}

template <typename T>
const T& get_or_die(const Value& value, std::string_view name) {
  const T* typed = std::get_if<T>(&value);
  if (typed == nullptr) misuse("setting read with the wrong type:", name);
  return *typed;
}

std::string not_supported_message(const Setting& row) {
  std::string out = "setting '" + std::string(row.name) + "'";
  if (!row.flags.empty()) out += " (" + row.flags_text() + ")";
  return out + " is not supported yet";
}

}  // namespace

Config::Config() : Config(Environment::current()) {}

Config::Config(const Environment& env) : env_(env) {
  std::span<const Setting> table = setting_table();
  slots_.reserve(table.size());
  defaults_.reserve(table.size());
  for (const Setting& row : table) {
    Result<Value> value = row.initial_value(env_);
    if (!value) value = row.validate(row, row.default_value, env_);
    defaults_.push_back(value ? *value : row.default_value);
    slots_.push_back(Slot{defaults_.back(), Source::kDefault});
  }
}

Result<Config> Config::from_environment(const Environment& env) {
  for (const Setting& row : setting_table()) {
    Result<Value> value = row.initial_value(env);
    if (!value) return value.status();
  }
  return Config(env);
}

const Config::Slot& Config::slot(std::string_view name) const {
  int index = setting_index(name);
  if (index < 0) misuse("no such setting:", name);
  return slots_[size_t(index)];
}

bool Config::boolean(std::string_view name) const {
  const Value& v = slot(name).value;
  if (std::holds_alternative<std::monostate>(v)) return false;
  return get_or_die<bool>(v, name);
}

int64_t Config::integer(std::string_view name) const {
  return get_or_die<int64_t>(slot(name).value, name);
}

double Config::number(std::string_view name) const {
  const Value& v = slot(name).value;
  if (const auto* i = std::get_if<int64_t>(&v)) return double(*i);
  return get_or_die<double>(v, name);
}

const std::string& Config::string(std::string_view name) const {
  static const std::string kEmpty;
  const Value& v = slot(name).value;
  if (std::holds_alternative<std::monostate>(v)) return kEmpty;
  return get_or_die<std::string>(v, name);
}

bool Config::is_none(std::string_view name) const {
  return std::holds_alternative<std::monostate>(slot(name).value);
}

const std::vector<std::string>& Config::list(std::string_view name) const {
  return get_or_die<std::vector<std::string>>(slot(name).value, name);
}

const StringMap& Config::map(std::string_view name) const {
  return get_or_die<StringMap>(slot(name).value, name);
}

PyHandle Config::handle(std::string_view name) const {
  return get_or_die<PyHandle>(slot(name).value, name);
}

const Value& Config::value(std::string_view name) const { return slot(name).value; }

Source Config::source(std::string_view name) const { return slot(name).source; }

Status Config::set_from_text(std::string_view name, std::string_view text, Source source) {
  int index = setting_index(name);
  if (index < 0) return Status::error("No configuration setting for: " + std::string(name));
  const Setting& row = setting_table()[size_t(index)];
  Result<Value> value = row.validate(row, Value(std::string(text)), env_);
  if (!value) return value.status();
  return store(index, std::move(*value), source, row.action == Action::kAppend);
}

Status Config::set_value(std::string_view name, Value value, Source source) {
  int index = setting_index(name);
  if (index < 0) return Status::error("No configuration setting for: " + std::string(name));
  const Setting& row = setting_table()[size_t(index)];
  Result<Value> validated = row.validate(row, value, env_);
  if (!validated) return validated.status();
  return store(index, std::move(*validated), source, false);
}

Status Config::store(int index, Value value, Source source, bool append) {
  const Setting& row = setting_table()[size_t(index)];
  Slot& current = slots_[size_t(index)];
  if (source < current.source) return Status::ok();  // a higher source already decided
  if (append && source == current.source && source != Source::kDefault) {
    auto& items = std::get<std::vector<std::string>>(value);
    std::vector<std::string> joined = std::get<std::vector<std::string>>(current.value);
    joined.insert(joined.end(), items.begin(), items.end());
    value = std::move(joined);
  }
  if (row.support == Support::kUnsupported && value != defaults_[size_t(index)]) {
    return Status::error(not_supported_message(row));
  }
  if (row.limit != nullptr) {
    if (Status allowed = row.limit(row, value); !allowed) return allowed;
  }
  current = Slot{std::move(value), source};
  return Status::ok();
}

bool Config::sendfile_enabled() const {
  const Value& v = slot("sendfile").value;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (auto env = env_.get("SENDFILE")) {
    std::string s = to_lower(*env);
    return s == "y" || s == "1" || s == "yes" || s == "true";
  }
  return true;
}

const std::string& Config::process_name() const {
  if (!is_none("proc_name")) return string("proc_name");
  return string("default_proc_name");
}

Result<StringMap> Config::environment_variables() const {
  StringMap out;
  for (const std::string& item : list("raw_env")) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Result<StringMap>::error("environment setting " + python_repr(item) + " invalid");
    }
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == key; });
    if (same != out.end()) {
      same->second = std::move(value);  // os.environ[key] = value: the last one wins
    } else {
      out.emplace_back(std::move(key), std::move(value));
    }
  }
  return out;
}

}  // namespace qilin::config
