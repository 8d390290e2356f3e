#include "core/ip_network.h"

#include <optional>
#include <string>
#include <vector>

#include "core/ip_text.h"
#include "core/strings.h"

namespace qilin {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Address text through the one parser (core/ip_text.h), as arrays.
std::optional<std::array<uint8_t, 4>> parse_v4(std::string_view text) {
  std::array<uint8_t, 4> out{};
  if (!parse_ipv4(text, out.data())) return std::nullopt;
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_v6(std::string_view text) {
  std::array<uint8_t, 16> out{};
  if (!parse_ipv6(text, out.data())) return std::nullopt;
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

}  // namespace qilin
