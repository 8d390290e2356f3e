#include "config/validators.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>

#include "core/ip_network.h"
#include "config/value_format.h"
#include "core/strings.h"

namespace qilin::config {
namespace {

Result<Value> invalid(const Setting& row, const Value& value, std::string_view reason) {
  return Result<Value>::error(invalid_value_message(row, value, reason));
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  char l = ascii_lower(c);
  if (l >= 'a' && l <= 'z') return l - 'a' + 10;
  return 99;
}

bool is_python_digits(std::string_view s) {  // str.isdigit(), ASCII only
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Python truthiness of a value given to a list setting.
bool is_falsy(const Value& value) {
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return true;
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                             std::is_same_v<T, double>) {
          return v == 0;
        } else if constexpr (std::is_same_v<T, PyHandle>) {
          return false;
        } else {
          return v.empty();
        }
      },
      value);
}

// gunicorn's validate_string on one item: a str, stripped.
std::optional<std::string> stripped_string(const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return std::string(python_strip(*s));
  return std::nullopt;
}

// The text of a choice-like value, lower-cased and stripped; nullopt when not a str.
std::optional<std::string> folded_text(const Value& value) {
  if (auto s = stripped_string(value)) return to_lower(*s);
  return std::nullopt;
}

std::string choices_text(const Setting& row) {
  std::string out;
  for (std::string_view choice : row.choices) {
    if (!out.empty()) out += ", ";
    out += choice;
  }
  return out;
}

bool is_glob_pattern(std::string_view s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

std::string_view python_strip(std::string_view text) {
  auto is_space = [](char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
  };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<int64_t> python_int(std::string_view text, int base) {
  text = python_strip(text);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int radix = 10;
  bool prefixed = false;
  if (base == 0 && text.size() >= 2 && text[0] == '0') {
    char p = ascii_lower(text[1]);
    radix = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
    prefixed = radix != 10;
    if (prefixed) {
      text.remove_prefix(2);
      if (!text.empty() && text[0] == '_') text.remove_prefix(1);
    }
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') return std::nullopt;
  if (base == 0 && !prefixed && text[0] == '0' &&
      text.find_first_not_of("0_") != std::string_view::npos) {
    return std::nullopt;  // Python 3 forbids "010" when the base is guessed
  }
  uint64_t limit = negative ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                            : uint64_t(std::numeric_limits<int64_t>::max());
  uint64_t acc = 0;
  char previous = 0;
  for (char c : text) {
    if (c == '_') {
      if (previous == '_') return std::nullopt;
      previous = c;
      continue;
    }
    int d = digit_value(c);
    if (d >= radix) return std::nullopt;
    if (acc > (limit - uint64_t(d)) / uint64_t(radix)) return std::nullopt;
    acc = acc * uint64_t(radix) + uint64_t(d);
    previous = c;
  }
  if (negative) return acc == limit ? std::numeric_limits<int64_t>::min() : -int64_t(acc);
  return int64_t(acc);
}

std::optional<int64_t> auto_int(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && text[1] >= '0' && text[1] <= '9') {
    return python_int("0o" + std::string(text.substr(1)), 0);
  }
  return python_int(text, 0);
}

std::string invalid_value_message(const Setting& row, const Value& value, std::string_view reason) {
  std::string out = "Invalid value for " + std::string(row.name) + ": " + python_repr(value);
  if (!reason.empty()) out += " (" + std::string(reason) + ")";
  return out;
}

Result<Value> validate_string(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<std::monostate>(value)) return Value();
  if (auto s = stripped_string(value)) return Value(*s);
  return invalid(row, value, "not a string");
}

Result<Value> validate_pos_int(const Setting& row, const Value& value, const Environment&) {
  int64_t number = 0;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    number = *i;
  } else if (const auto* b = std::get_if<bool>(&value)) {
    number = *b ? 1 : 0;  // Python's bool is an int
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    auto parsed = python_int(*s, 0);
    if (!parsed) return invalid(row, value, "not an integer");
    number = *parsed;
  } else {
    return invalid(row, value, "not an integer");
  }
  if (number < 0) return invalid(row, value, "Value must be positive: " + std::to_string(number));
  return Value(number);
}

Result<Value> validate_bool(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<std::monostate>(value) || std::holds_alternative<bool>(value)) {
    return value;
  }
  if (auto s = folded_text(value)) {
    if (*s == "true") return Value(true);
    if (*s == "false") return Value(false);
    return invalid(row, value, "not a boolean: use true or false");
  }
  return invalid(row, value, "not a boolean");
}

Result<Value> validate_choice(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<std::monostate>(value)) return row.default_value;
  auto s = folded_text(value);
  if (!s) return invalid(row, value, "not a string");
  for (std::string_view choice : row.choices) {
    if (*s == choice) return Value(*s);
  }
  return invalid(row, value, "expected one of: " + choices_text(row));
}

Result<Value> validate_exact_choice(const Setting& row, const Value& value, const Environment&) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    for (std::string_view choice : row.choices) {
      if (*s == choice) return value;
    }
  }
  return invalid(row, value, "expected one of: " + choices_text(row));
}

Result<Value> validate_proxy_protocol(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<std::monostate>(value)) return Value(std::string("off"));
  if (const auto* b = std::get_if<bool>(&value)) return Value(std::string(*b ? "auto" : "off"));
  auto s = folded_text(value);
  if (!s) return invalid(row, value, "not a string");
  static const std::pair<std::string_view, std::string_view> kSpellings[] = {
      {"off", "off"},   {"false", "off"}, {"0", "off"}, {"none", "off"}, {"auto", "auto"},
      {"true", "auto"}, {"1", "auto"},    {"v1", "v1"}, {"v2", "v2"},
  };
  for (const auto& [spelling, mode] : kSpellings) {
    if (*s == spelling) return Value(std::string(mode));
  }
  return invalid(row, value, "expected one of: off, v1, v2, auto");
}

Result<Value> validate_http2_cleartext(const Setting& row, const Value& value,
                                       const Environment& env) {
  if (const auto* b = std::get_if<bool>(&value)) {
    return Value(std::string(*b ? "prior-knowledge" : "off"));
  }
  return validate_choice(row, value, env);
}

Result<Value> validate_http_protocols(const Setting& row, const Value& value, const Environment&) {
  std::vector<std::string> protocols;
  if (const auto* s = std::get_if<std::string>(&value)) {
    for (std::string_view part : split(*s, ',')) {
      std::string_view item = python_strip(part);
      if (!item.empty()) protocols.push_back(to_lower(item));
    }
  } else if (!std::holds_alternative<std::monostate>(value)) {
    return invalid(row, value, "not a string");
  }
  if (protocols.empty()) return Value(std::vector<std::string>{"h1"});
  std::set<std::string> seen;
  for (const std::string& protocol : protocols) {
    if (std::find(row.choices.begin(), row.choices.end(), protocol) == row.choices.end()) {
      return invalid(row, value, "unknown protocol '" + protocol + "'; use " + choices_text(row));
    }
    if (!seen.insert(protocol).second) return invalid(row, value, "a protocol is repeated");
  }
  return Value(std::move(protocols));
}

Result<Value> validate_http2_frame_size(const Setting& row, const Value& value,
                                        const Environment& env) {
  Result<Value> number = validate_pos_int(row, value, env);
  if (!number) return number;
  int64_t size = std::get<int64_t>(*number);
  if (size < 16384 || size > 16777215) return invalid(row, value, "must be 16384 to 16777215");
  return number;
}

Result<Value> validate_string_list(const Setting& row, const Value& value, const Environment&) {
  if (is_falsy(value)) return Value(std::vector<std::string>{});
  if (auto s = stripped_string(value)) return Value(std::vector<std::string>{*s});
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    std::vector<std::string> out;
    for (const std::string& item : *list) out.emplace_back(python_strip(item));
    return Value(std::move(out));
  }
  return invalid(row, value, "not a list of strings");
}

Result<Value> validate_files_or_patterns(const Setting& row, const Value& value,
                                         const Environment& env) {
  Result<Value> list = validate_string_list(row, value, env);
  if (!list) return list;
  for (const std::string& item : std::get<std::vector<std::string>>(*list)) {
    if (is_glob_pattern(item)) continue;  // re-expanded by the reloader each time
    std::error_code ec;
    std::filesystem::path path = std::filesystem::path(env.cwd) / item;
    if (!std::filesystem::exists(path, ec)) {
      return invalid(row, value, "file " + python_repr(item) + " does not exist");
    }
  }
  return list;
}

Result<Value> validate_comma_list(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<std::monostate>(value)) return Value(std::vector<std::string>{});
  auto s = stripped_string(value);
  if (!s) return invalid(row, value, "not a comma-separated string");
  std::vector<std::string> out;
  if (s->empty()) return Value(std::move(out));
  for (std::string_view part : split(*s, ',')) {
    if (!part.empty()) out.emplace_back(python_strip(part));  // " " stays, as ''
  }
  return Value(std::move(out));
}

Result<Value> validate_address_list(const Setting& row, const Value& value,
                                    const Environment& env) {
  Result<Value> list = validate_comma_list(row, value, env);
  if (!list) return list;
  for (const std::string& item : std::get<std::vector<std::string>>(*list)) {
    if (item == "*") continue;
    Result<IpNetwork> network = parse_ip_network(item);
    if (!network) return invalid(row, value, network.message());
  }
  return list;
}

Result<Value> validate_map(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<StringMap>(value)) return value;
  return invalid(row, value, "not a dictionary of strings");
}

Result<Value> validate_object(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<PyHandle>(value)) return value;
  if (const auto* map = std::get_if<StringMap>(&value); map && map->empty())
    return Value(PyHandle{});
  return invalid(row, value, "not a dictionary");
}

Result<Value> validate_class(const Setting& row, const Value& value, const Environment& env) {
  if (std::holds_alternative<PyHandle>(value)) return value;
  return validate_string(row, value, env);
}

Result<Value> validate_hook(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<PyHandle>(value)) return value;
  return invalid(row, value, "not callable; define the hook in the config file");
}

namespace {

Result<Value> validate_id(const Setting& row, const Value& value, int64_t effective,
                          std::optional<int64_t> (*lookup)(std::string_view),
                          std::string_view what) {
  if (std::holds_alternative<std::monostate>(value)) return Value(effective);
  if (std::holds_alternative<int64_t>(value)) return value;
  const auto* s = std::get_if<std::string>(&value);
  if (s == nullptr) return invalid(row, value, "not a name or a number");
  if (is_python_digits(*s)) {
    auto number = python_int(*s, 10);
    if (!number) return invalid(row, value, "number out of range");
    return Value(*number);
  }
  std::optional<int64_t> id = lookup ? lookup(*s) : std::nullopt;
  if (!id) return invalid(row, value, "no such " + std::string(what));
  return Value(*id);
}

}  // namespace

Result<Value> validate_user(const Setting& row, const Value& value, const Environment& env) {
  return validate_id(row, value, env.euid, env.lookup_user, "user");
}

Result<Value> validate_group(const Setting& row, const Value& value, const Environment& env) {
  return validate_id(row, value, env.egid, env.lookup_group, "group");
}

Result<Value> validate_chdir(const Setting& row, const Value& value, const Environment& env) {
  auto s = stripped_string(value);
  if (!s) return invalid(row, value, "not a string");
  // os.path.abspath(os.path.normpath(os.path.join(cwd, value)))
  std::filesystem::path path = std::filesystem::path(env.cwd) / *s;
  std::string normal = path.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  std::error_code ec;
  if (!std::filesystem::exists(normal, ec)) return invalid(row, value, "no such directory");
  return Value(normal);
}

Result<Value> validate_statsd_address(const Setting& row, const Value& value,
                                      const Environment& env) {
  Result<Value> text = validate_string(row, value, env);
  if (!text || std::holds_alternative<std::monostate>(*text)) return text;
  const std::string& address = std::get<std::string>(*text);
  if (address.starts_with("unix:")) return text;
  // HOST, HOST:PORT, [V6]:PORT, tcp://HOST:PORT: the port must be a number.
  std::string_view rest = address;
  if (rest.starts_with("tcp://")) rest.remove_prefix(6);
  std::string_view port;
  if (rest.find('[') != std::string_view::npos && rest.find(']') != std::string_view::npos) {
    size_t close = rest.find("]:");
    if (close != std::string_view::npos) port = rest.substr(close + 2);
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    port = rest.substr(colon + 1);
    port = port.substr(0, port.find(':'));
  }
  if (!port.empty() && !python_int(port, 10)) {
    return invalid(row, value, "expected HOST:PORT or unix://PATH");
  }
  return text;
}

Result<Value> validate_ssl_version(const Setting& row, const Value& value, const Environment&) {
  if (std::holds_alternative<int64_t>(value)) return value;
  if (const auto* s = std::get_if<std::string>(&value)) {
    if (auto number = python_int(*s, 10)) return Value(*number);
    return value;  // gunicorn keeps any text here (and ignores it)
  }
  return invalid(row, value, "not a protocol number");
}

}  // namespace qilin::config
