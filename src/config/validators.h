// The validators the settings table points at, one per kind of gunicorn
// validator (validate_pos_int, validate_bool, validate_string_to_addr_list,
// ...). Each takes a value as the config file (a typed Value) or the command
// line (a std::string) gives it, and returns the value gunicorn would store,
// or an error naming the setting and the value:
//   Invalid value for workers: 'abc' (not an integer)
// Pure functions except for the filesystem checks of chdir and
// reload_extra_files and the user/group lookups (through Environment).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/setting_table.h"

namespace qilin::config {

// Python's int(text, base) for base 10 or 0 (0: 0x/0o/0b prefixes, no
// leading zeros): surrounding whitespace, a sign and single underscores
// between digits are accepted. nullopt when Python would raise, or on int64 overflow.
std::optional<int64_t> python_int(std::string_view text, int base);
// gunicorn's auto_int (umask, control_socket_mode): like python_int(text, 0),
// except that "0" followed by a digit is octal ("022" is 18).
std::optional<int64_t> auto_int(std::string_view text);
// Python's str.strip(): removes ASCII whitespace (including \x1c-\x1f) at both ends.
std::string_view python_strip(std::string_view text);

// "Invalid value for NAME: REPR (REASON)".
std::string invalid_value_message(const Setting& row, const Value& value, std::string_view reason);

Result<Value> validate_string(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_pos_int(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_bool(const Setting& row, const Value& value, const Environment& env);
// Lower-cased and stripped, must be one of row.choices; None gives the default.
Result<Value> validate_choice(const Setting& row, const Value& value, const Environment& env);
// reload_engine: exact match against row.choices.
Result<Value> validate_exact_choice(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_proxy_protocol(const Setting& row, const Value& value,
                                      const Environment& env);
Result<Value> validate_http2_cleartext(const Setting& row, const Value& value,
                                       const Environment& env);
Result<Value> validate_http_protocols(const Setting& row, const Value& value,
                                      const Environment& env);
Result<Value> validate_http2_frame_size(const Setting& row, const Value& value,
                                        const Environment& env);
// A list of strings; a single string is a one-item list; None/empty gives [].
Result<Value> validate_string_list(const Setting& row, const Value& value, const Environment& env);
// validate_string_list, and each item that is not a glob pattern must exist.
Result<Value> validate_files_or_patterns(const Setting& row, const Value& value,
                                         const Environment& env);
// A comma-separated string to a list (forwarder_headers).
Result<Value> validate_comma_list(const Setting& row, const Value& value, const Environment& env);
// validate_comma_list, and each item is "*" or an IP network (strict).
Result<Value> validate_address_list(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_map(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_object(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_class(const Setting& row, const Value& value, const Environment& env);
// A callable, as a PyHandle. The python layer resolves "module.func" strings
// and checks row.arity before it calls set_value; text is refused here.
Result<Value> validate_hook(const Setting& row, const Value& value, const Environment& env);
// A number, or a name looked up through env; None gives the effective id.
Result<Value> validate_user(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_group(const Setting& row, const Value& value, const Environment& env);
// An existing directory, made absolute against env.cwd and normalised.
Result<Value> validate_chdir(const Setting& row, const Value& value, const Environment& env);
Result<Value> validate_statsd_address(const Setting& row, const Value& value,
                                      const Environment& env);
Result<Value> validate_ssl_version(const Setting& row, const Value& value, const Environment& env);

}  // namespace qilin::config
