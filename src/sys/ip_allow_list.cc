#include "sys/ip_allow_list.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/strings.h"

namespace qilin::sys {

namespace {

// Parses an address into IPv4-mapped-IPv6 form; `is_v4` tells which it was.
bool to_bytes(std::string_view text, std::array<uint8_t, 16>* out, bool* is_v4) {
  std::string s(text);
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out->fill(0);
    (*out)[10] = (*out)[11] = 0xff;
    std::memcpy(out->data() + 12, &v4, 4);
    *is_v4 = true;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out->data(), &v6, 16);
    *is_v4 = false;
    return true;
  }
  return false;
}

}  // namespace

Result<IpAllowList> IpAllowList::parse(const std::vector<std::string>& entries) {
  IpAllowList list;
  for (const std::string& raw : entries) {
    std::string_view entry = trim(raw);
    if (entry.empty()) continue;
    if (entry == "*") {
      list.any_ = true;
      continue;
    }
    Net net;
    std::string_view addr = entry;
    int prefix = -1;
    if (size_t slash = entry.find('/'); slash != std::string_view::npos) {
      addr = entry.substr(0, slash);
      auto p = parse_int(entry.substr(slash + 1));
      if (!p) return Result<IpAllowList>::error("Invalid IP network: '" + std::string(entry) + "'");
      prefix = int(*p);
    }
    bool is_v4 = false;
    if (!to_bytes(addr, &net.bytes, &is_v4)) {
      return Result<IpAllowList>::error("Invalid IP address: '" + std::string(entry) + "'");
    }
    int max = is_v4 ? 32 : 128;
    if (prefix < 0) prefix = max;
    if (prefix > max) return Result<IpAllowList>::error("Invalid IP network: '" + std::string(entry) + "'");
    net.prefix = is_v4 ? prefix + 96 : prefix;
    list.nets_.push_back(net);
  }
  return list;
}

bool IpAllowList::contains(std::string_view address) const {
  if (any_) return true;
  std::array<uint8_t, 16> bytes;
  bool is_v4 = false;
  if (!to_bytes(address, &bytes, &is_v4)) return false;
  for (const Net& net : nets_) {
    int full = net.prefix / 8, rest = net.prefix % 8;
    if (std::memcmp(bytes.data(), net.bytes.data(), size_t(full)) != 0) continue;
    if (rest && ((bytes[full] ^ net.bytes[full]) & uint8_t(0xff << (8 - rest)))) continue;
    return true;
  }
  return false;
}

}  // namespace qilin::sys
