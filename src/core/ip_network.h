// An IPv4 or IPv6 network as Python's ipaddress.ip_network(text) reads it in
// strict mode: "ADDR" or "ADDR/PREFIX" (PREFIX a length, or for IPv4 a dotted
// netmask or hostmask), with no host bits set beyond the prefix. Used to check
// forwarded_allow_ips, proxy_allow_ips and uwsgi_allow_ips; whoever matches
// peers against those lists can use `contains`. Pure, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace qilin {

struct IpNetwork {
  bool v6 = false;
  std::array<uint8_t, 16> address{};  // network address; IPv4 uses the first 4 bytes
  int prefix = 0;                     // 0..32 or 0..128

  // Whether `address` (4 bytes for IPv4, 16 for IPv6) lies in this network.
  bool contains(bool address_v6, const uint8_t* address_bytes) const;
};

// Parses like ipaddress.ip_network(text). Errors carry Python's wording:
// "'x' does not appear to be an IPv4 or IPv6 network", "1.2.3.4/24 has host bits set".
Result<IpNetwork> parse_ip_network(std::string_view text);

}  // namespace qilin
