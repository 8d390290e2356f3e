#include "config/ip_network.h"

#include <optional>
#include <string>
#include <vector>

#include "core/strings.h"

namespace qilin::config {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Dotted quad, each octet 1-3 decimal digits, 0-255, no leading zero (Python >= 3.9.5).
std::optional<std::array<uint8_t, 4>> parse_v4(std::string_view text) {
  std::vector<std::string_view> parts = split(text, '.');
  if (parts.size() != 4) return std::nullopt;
  std::array<uint8_t, 4> out{};
  for (size_t i = 0; i < 4; ++i) {
    std::string_view part = parts[i];
    if (!all_digits(part) || part.size() > 3) return std::nullopt;
    if (part.size() > 1 && part[0] == '0') return std::nullopt;
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255) return std::nullopt;
    out[i] = static_cast<uint8_t>(value);
  }
  return out;
}

// RFC 4291 text: up to eight hextets, one "::", an IPv4 tail allowed.
std::optional<std::array<uint8_t, 16>> parse_v6(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::vector<uint16_t> head, tail;
  bool compressed = false;
  size_t pos = text.find("::");
  std::string_view left = text, right;
  if (pos != std::string_view::npos) {
    compressed = true;
    left = text.substr(0, pos);
    right = text.substr(pos + 2);
    if (right.find("::") != std::string_view::npos) return std::nullopt;
  }
  auto parse_groups = [](std::string_view s, std::vector<uint16_t>& out, bool allow_v4) {
    if (s.empty()) return true;
    std::vector<std::string_view> groups = split(s, ':');
    for (size_t i = 0; i < groups.size(); ++i) {
      std::string_view g = groups[i];
      if (allow_v4 && i + 1 == groups.size() && g.find('.') != std::string_view::npos) {
        auto v4 = parse_v4(g);
        if (!v4) return false;
        out.push_back(static_cast<uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
        out.push_back(static_cast<uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
        continue;
      }
      if (g.empty() || g.size() > 4) return false;
      uint16_t value = 0;
      for (char c : g) {
        int h = hex_value(c);
        if (h < 0) return false;
        value = static_cast<uint16_t>(value * 16 + h);
      }
      out.push_back(value);
    }
    return true;
  };
  if (!parse_groups(left, head, !compressed) || !parse_groups(right, tail, true)) {
    return std::nullopt;
  }
  size_t count = head.size() + tail.size();
  if (compressed ? count > 7 : count != 8) return std::nullopt;
  std::vector<uint16_t> all = head;
  all.resize(8 - tail.size(), 0);
  all.insert(all.end(), tail.begin(), tail.end());
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(all[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(all[i] & 0xff);
  }
  return out;
}

// The prefix length a contiguous mask stands for, or -1.
int mask_prefix(const std::array<uint8_t, 4>& mask, bool inverted) {
  uint32_t bits = (uint32_t(mask[0]) << 24) | (uint32_t(mask[1]) << 16) | (uint32_t(mask[2]) << 8) |
                  uint32_t(mask[3]);
  if (inverted) bits = ~bits;
  int prefix = 0;
  while (prefix < 32 && (bits & (0x80000000u >> prefix))) ++prefix;
  uint32_t expected = prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix);
  return bits == expected ? prefix : -1;
}

bool host_bits_clear(const std::array<uint8_t, 16>& address, int bytes, int prefix) {
  for (int bit = prefix; bit < bytes * 8; ++bit) {
    if (address[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

}  // namespace

bool IpNetwork::contains(bool address_v6, const uint8_t* address_bytes) const {
  if (address_v6 != v6) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((address[bit / 8] & m) != (address_bytes[bit / 8] & m)) return false;
  }
  return true;
}

Result<IpNetwork> parse_ip_network(std::string_view text) {
  std::string quoted = "'" + std::string(text) + "'";
  auto fail = [&] {
    return Result<IpNetwork>::error(quoted + " does not appear to be an IPv4 or IPv6 network");
  };
  std::vector<std::string_view> parts = split(text, '/');
  if (parts.size() > 2) return fail();
  std::string_view addr = parts[0];
  std::optional<std::string_view> prefix_text;
  if (parts.size() == 2) prefix_text = parts[1];

  IpNetwork net;
  int bytes = 0;
  if (auto v4 = parse_v4(addr)) {
    std::copy(v4->begin(), v4->end(), net.address.begin());
    bytes = 4;
    net.prefix = 32;
    if (prefix_text) {
      if (all_digits(*prefix_text)) {
        auto length = parse_int(*prefix_text);
        if (!length || *length > 32) return fail();
        net.prefix = static_cast<int>(*length);
      } else if (auto mask = parse_v4(*prefix_text)) {
        net.prefix = mask_prefix(*mask, false);
        if (net.prefix < 0) net.prefix = mask_prefix(*mask, true);
        if (net.prefix < 0) return fail();
      } else {
        return fail();
      }
    }
  } else if (auto v6 = parse_v6(addr)) {
    net.v6 = true;
    net.address = *v6;
    bytes = 16;
    net.prefix = 128;
    if (prefix_text) {
      auto length = all_digits(*prefix_text) ? parse_int(*prefix_text) : std::nullopt;
      if (!length || *length > 128) return fail();
      net.prefix = static_cast<int>(*length);
    }
  } else {
    return fail();
  }
  if (!host_bits_clear(net.address, bytes, net.prefix)) {
    return Result<IpNetwork>::error(std::string(addr) + "/" + std::to_string(net.prefix) +
                                    " has host bits set");
  }
  return net;
}

}  // namespace qilin::config
