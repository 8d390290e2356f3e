// Small string helpers shared by every layer. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qilin {

inline char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? char(c - 32) : c; }
inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
// The value of a hexadecimal digit, or -1.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s, std::string_view chars = " \t");
// Splits on `sep`; keeps empty fields.
std::vector<std::string_view> split(std::string_view s, char sep);
// Parses a whole decimal integer (optional sign); nullopt on any junk or overflow.
std::optional<int64_t> parse_int(std::string_view s);

}  // namespace qilin
