#include "core/ip_text.h"

#include <cstring>

#include "core/strings.h"

namespace qilin {

bool parse_ipv4(std::string_view text, uint8_t out[4]) {
  int octets = 0;
  int value = -1;  // -1: no digit yet in the current octet
  uint8_t tmp[4] = {};
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (value == 0) return false;  // a leading zero
      value = (value < 0 ? 0 : value * 10) + (c - '0');
      if (value > 255) return false;
    } else if (c == '.' && value >= 0 && octets < 3) {
      tmp[octets++] = uint8_t(value);
      value = -1;
    } else {
      return false;
    }
  }
  if (value < 0 || octets != 3) return false;
  tmp[3] = uint8_t(value);
  std::memcpy(out, tmp, 4);
  return true;
}

bool parse_ipv6(std::string_view text, uint8_t out[16]) {
  uint8_t tmp[16] = {};
  size_t n = 0;  // bytes written to tmp
  int gap = -1;  // where "::" stands, in bytes
  size_t i = 0;
  if (text.size() >= 1 && text[0] == ':') {
    if (text.size() < 2 || text[1] != ':') return false;
    i = 1;  // the second ':' is handled as a separator below
  }
  size_t group_start = i;
  int digits = 0;
  unsigned value = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    int h = hex_value(c);
    if (h >= 0) {
      if (++digits > 4) return false;
      value = (value << 4) | unsigned(h);
      continue;
    }
    if (c == ':') {
      group_start = i + 1;
      if (digits == 0) {
        if (gap >= 0) return false;  // a second "::"
        gap = int(n);
        continue;
      }
      if (i + 1 == text.size()) return false;  // a trailing single ':'
      if (n + 2 > 16) return false;
      tmp[n++] = uint8_t(value >> 8);
      tmp[n++] = uint8_t(value);
      digits = 0;
      value = 0;
      continue;
    }
    if (c == '.' && n + 4 <= 16) {
      if (!parse_ipv4(text.substr(group_start), tmp + n)) return false;
      n += 4;
      digits = 0;
      break;
    }
    return false;
  }
  if (digits > 0) {
    if (n + 2 > 16) return false;
    tmp[n++] = uint8_t(value >> 8);
    tmp[n++] = uint8_t(value);
  }
  if (gap >= 0) {
    if (n == 16) return false;  // "::" must stand for at least one group
    size_t tail = n - size_t(gap);
    std::memmove(tmp + 16 - tail, tmp + gap, tail);
    std::memset(tmp + gap, 0, 16 - tail - size_t(gap));
    n = 16;
  }
  if (n != 16) return false;
  std::memcpy(out, tmp, 16);
  return true;
}

std::string format_ipv4(const uint8_t a[4]) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (i) out.push_back('.');
    out += std::to_string(a[i]);
  }
  return out;
}

std::string format_ipv6(const uint8_t a[16]) {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = (unsigned(a[2 * i]) << 8) | a[2 * i + 1];
  // The longest run of zero words (the first one on a tie), if at least 2.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = -1;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) out.push_back(':');
      continue;
    }
    if (i != 0) out.push_back(':');
    // IPv4-compatible and IPv4-mapped addresses end in a dotted quad.
    if (i == 6 && best == 0 &&
        (best_len == 6 || (best_len == 7 && words[7] != 1) ||
         (best_len == 5 && words[5] == 0xffff))) {
      out += format_ipv4(a + 12);
      return out;
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned nibble = (words[i] >> shift) & 15;
      if (nibble != 0 || started || shift == 0) {
        out.push_back(kHex[nibble]);
        started = true;
      }
    }
  }
  if (best >= 0 && best + best_len == 8) out.push_back(':');
  return out;
}

}  // namespace qilin
