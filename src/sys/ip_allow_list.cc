#include "sys/ip_allow_list.h"

#include <cstring>

#include "core/ip_text.h"
#include "core/strings.h"

namespace qilin::sys {

Result<IpAllowList> IpAllowList::parse(const std::vector<std::string>& entries) {
  IpAllowList list;
  for (const std::string& raw : entries) {
    std::string_view entry = trim(raw);
    if (entry.empty()) continue;
    if (entry == "*") {
      list.any_ = true;
      continue;
    }
    auto network = parse_ip_network(entry);
    if (!network) return Result<IpAllowList>::error(network.message());
    list.nets_.push_back(*network);
  }
  return list;
}

bool IpAllowList::contains(std::string_view address) const {
  if (any_) return true;
  uint8_t bytes[16];
  bool v6 = false;
  if (parse_ipv4(address, bytes)) {
    v6 = false;
  } else if (parse_ipv6(address, bytes)) {
    v6 = true;
    // An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 entries too.
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMapped, 12) == 0) {
      uint8_t v4[4];
      std::memcpy(v4, bytes + 12, 4);
      for (const IpNetwork& net : nets_) {
        if (!net.v6 && net.contains(false, v4)) return true;
      }
    }
  } else {
    return false;
  }
  for (const IpNetwork& net : nets_) {
    if (net.v6 == v6 && net.contains(v6, bytes)) return true;
  }
  return false;
}

}  // namespace qilin::sys
