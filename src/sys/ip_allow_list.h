// A list of trusted peer addresses as forwarded_allow_ips and
// proxy_allow_ips spell them: IPv4/IPv6 addresses, networks (parsed as
// Python's ipaddress.ip_network does, core/ip_network.h), or "*".
// Built once; matching is read-only and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_network.h"
#include "core/result.h"

namespace qilin::sys {

class IpAllowList {
 public:
  // Entries as given (already split on commas); surrounding spaces ignored.
  static Result<IpAllowList> parse(const std::vector<std::string>& entries);
  bool allows_all() const { return any_; }
  // `address` is a textual IPv4 or IPv6 address (IPv4-mapped IPv6 matches
  // IPv4 entries). Anything unparsable is not allowed.
  bool contains(std::string_view address) const;

 private:
  bool any_ = false;
  std::vector<IpNetwork> nets_;
};

}  // namespace qilin::sys
