#include "http/proxy_protocol.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "core/strings.h"
#include "http/detail_text.h"
#include "http/header_rules.h"
#include "core/ip_text.h"

namespace qilin::http {
namespace {

constexpr char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                   '\n', 'Q',  'U',  'I',  'T',  '\n'};
constexpr std::string_view kV1Prefix = "PROXY ";
// The spec's longest v1 line: "PROXY TCP6 " + 2 * 39 + 2 * 5 + 3 spaces + CRLF.
constexpr size_t kV1MaxLine = 107;

// 0: `data` cannot start with `prefix`; 1: it may (too short to tell); 2: it does.
int prefix_match(const char* data, size_t len, std::string_view prefix) {
  size_t n = std::min(len, prefix.size());
  if (std::memcmp(data, prefix.data(), n) != 0) return 0;
  return n == prefix.size() ? 2 : 1;
}

ProxyParse incomplete() {
  ProxyParse r;
  r.status = ProxyParse::kIncomplete;
  return r;
}

ProxyParse error(ErrorKind kind, std::string detail) {
  ProxyParse r;
  r.status = ProxyParse::kError;
  r.error = kind;
  r.detail = std::move(detail);
  return r;
}

ProxyParse v1_error(std::string_view text) {
  return error(ErrorKind::kInvalidProxyLine, "Invalid PROXY line: " + py_repr(text));
}

ProxyParse v2_error(std::string text) {
  return error(ErrorKind::kInvalidProxyHeader, "Invalid PROXY header: " + text);
}

bool parse_port(std::string_view s, int* port) {
  if (s.empty()) return false;
  unsigned value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + unsigned(c - '0');
    if (value > 65535) return false;
  }
  *port = int(value);
  return true;
}

ProxyParse parse_v1(const char* data, size_t len, ProxyInfo* out) {
  size_t cr = find_crlf(data, 0, 0, std::min(len, kV1MaxLine));
  if (cr == std::string_view::npos) {
    if (len < kV1MaxLine) return incomplete();
    return v1_error(std::string_view(data, kV1MaxLine));
  }
  std::string_view line(data, cr);
  std::vector<std::string_view> bits = split(line, ' ');
  ProxyParse done;
  done.status = ProxyParse::kComplete;
  done.consumed = cr + 2;
  if (bits.size() >= 2 && bits[1] == "UNKNOWN") {
    out->present = true;
    out->protocol = "UNKNOWN";
    return done;
  }
  if (bits.size() != 6) return v1_error(line);
  std::string_view proto = bits[1];
  if (proto != "TCP4" && proto != "TCP6") {
    return v1_error("protocol '" + std::string(proto) + "' not supported");
  }
  uint8_t addr[16];
  bool v4 = proto == "TCP4";
  for (int i = 2; i <= 3; ++i) {
    if (!(v4 ? parse_ipv4(bits[i], addr) : parse_ipv6(bits[i], addr))) return v1_error(line);
  }
  int src_port = 0, dst_port = 0;
  if (!parse_port(bits[4], &src_port) || !parse_port(bits[5], &dst_port)) {
    return v1_error("invalid port " + std::string(line));
  }
  out->present = true;
  out->protocol.assign(proto);
  out->src_addr.assign(bits[2]);
  out->dst_addr.assign(bits[3]);
  out->src_port = src_port;
  out->dst_port = dst_port;
  return done;
}

int be16(const char* p) {
  return (int(static_cast<unsigned char>(p[0])) << 8) | static_cast<unsigned char>(p[1]);
}

ProxyParse parse_v2(const char* data, size_t len, ProxyInfo* out) {
  if (len < 16) return incomplete();
  const auto ver_cmd = static_cast<unsigned char>(data[12]);
  const auto fam_proto = static_cast<unsigned char>(data[13]);
  if ((ver_cmd >> 4) != 2) return v2_error("unsupported version " + std::to_string(ver_cmd >> 4));
  const int command = ver_cmd & 15;
  if (command != 0 && command != 1) {
    return v2_error("unsupported command " + std::to_string(command));
  }
  const size_t length = size_t(be16(data + 14));
  if (len < 16 + length) return incomplete();
  ProxyParse done;
  done.status = ProxyParse::kComplete;
  done.consumed = 16 + length;
  if (command == 0) {  // LOCAL: the proxy's own connection (health check)
    out->present = true;
    out->protocol = "LOCAL";
    return done;
  }
  if ((fam_proto & 15) != 1) return v2_error("only TCP protocol is supported");
  const auto* a = reinterpret_cast<const uint8_t*>(data + 16);
  const int family = fam_proto >> 4;
  if (family == 1 && length < 12) return v2_error("insufficient address data for IPv4");
  if (family == 2 && length < 36) return v2_error("insufficient address data for IPv6");
  if (family > 2) return v2_error("unsupported address family " + std::to_string(family));
  out->present = true;
  if (family == 0) {
    out->protocol = "UNSPEC";
  } else if (family == 1) {
    out->protocol = "TCP4";
    out->src_addr = format_ipv4(a);
    out->dst_addr = format_ipv4(a + 4);
    out->src_port = be16(data + 24);
    out->dst_port = be16(data + 26);
  } else {
    out->protocol = "TCP6";
    out->src_addr = format_ipv6(a);
    out->dst_addr = format_ipv6(a + 16);
    out->src_port = be16(data + 48);
    out->dst_port = be16(data + 50);
  }
  return done;
}

}  // namespace

ProxyParse parse_proxy_header(ProxyProtocolMode mode, bool trusted, const char* data, size_t len,
                              ProxyInfo* out) {
  const bool v1 = mode == ProxyProtocolMode::kV1 || mode == ProxyProtocolMode::kAuto;
  const bool v2 = mode == ProxyProtocolMode::kV2 || mode == ProxyProtocolMode::kAuto;
  const int m2 = v2 ? prefix_match(data, len, std::string_view(kV2Signature, 12)) : 0;
  const int m1 = v1 ? prefix_match(data, len, kV1Prefix) : 0;
  if (m1 == 0 && m2 == 0) return ProxyParse{};
  if (m1 != 2 && m2 != 2) return incomplete();
  if (!trusted) return error(ErrorKind::kForbiddenProxyRequest, "Proxy request not allowed");
  return m2 == 2 ? parse_v2(data, len, out) : parse_v1(data, len, out);
}

}  // namespace qilin::http
