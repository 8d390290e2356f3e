// PROXY protocol v1 and v2 in front of a request, byte-exact headers,
// through parse_request_head().
#include "http/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "http/parse_test_support.h"
#include "http/request_parser.h"

namespace qilin::http {
namespace {

using namespace test_support;

// --- PROXY protocol -----------------------------------------------------------

Configure proxy(ProxyProtocolMode mode, bool trusted = true, bool first = true) {
  return [=](ParserOptions& o, PeerContext& p) {
    o.proxy_protocol = mode;
    p.proxy_trusted = trusted;
    p.first_on_connection = first;
  };
}

const std::string kGet = head("GET /stuff HTTP/1.1", {"Host: h"});

TEST(ProxyV1, Accepted) {
  Outcome o = parse("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n" + kGet,
                    proxy(ProxyProtocolMode::kAuto));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_TRUE(o.proxy);
  EXPECT_EQ(o.proxy_protocol, "TCP4");
  EXPECT_EQ(o.src_addr, "192.168.0.1");
  EXPECT_EQ(o.dst_addr, "192.168.0.11");
  EXPECT_EQ(o.src_port, 56324);
  EXPECT_EQ(o.dst_port, 443);
  EXPECT_EQ(o.uri, "/stuff");
  EXPECT_EQ(o.consumed, 47 + kGet.size());

  o = parse("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n" + kGet, proxy(ProxyProtocolMode::kV1));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_EQ(o.proxy_protocol, "TCP6");
  EXPECT_EQ(o.src_addr, "2001:db8::1");
  EXPECT_EQ(o.dst_port, 65535);

  for (const char* unknown : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ::1 1 2\r\n"}) {
    o = parse(unknown + kGet, proxy(ProxyProtocolMode::kAuto));
    ASSERT_EQ(o.status, ParseResult::kComplete) << unknown;
    EXPECT_EQ(o.proxy_protocol, "UNKNOWN");
    EXPECT_EQ(o.src_addr, "");
  }
  // The header is optional even when enabled.
  o = parse(kGet, proxy(ProxyProtocolMode::kAuto));
  ASSERT_EQ(o.status, ParseResult::kComplete);
  EXPECT_FALSE(o.proxy);
}

TEST(ProxyV1, Refusals) {
  const Configure on = proxy(ProxyProtocolMode::kAuto);
  run_error_cases({
      {"truncated", "PROXY TCP4 192.168.0.1 192.16...\r\n", ErrorKind::kInvalidProxyLine,
       "Invalid PROXY line: 'PROXY TCP4 192.168.0.1 192.16...'", on},
      {"bad ports", "PROXY TCP4 192.168.0.1 192.168.0.11 65iii 100000\r\n" + kGet,
       ErrorKind::kInvalidProxyLine,
       "Invalid PROXY line: 'invalid port PROXY TCP4 192.168.0.1 192.168.0.11 65iii 100000'", on},
      {"port too big", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 1\r\n" + kGet,
       ErrorKind::kInvalidProxyLine, "", on},
      {"signed port", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 1\r\n" + kGet, ErrorKind::kInvalidProxyLine,
       "", on},
      {"not an address", "PROXY TCP4 not-an-ip 192.168.0.11 56324 443\r\n" + kGet,
       ErrorKind::kInvalidProxyLine, "", on},
      {"family mismatch", "PROXY TCP4 1.2.3.4 ::1 1 2\r\n" + kGet, ErrorKind::kInvalidProxyLine, "",
       on},
      {"leading zero", "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n" + kGet, ErrorKind::kInvalidProxyLine,
       "", on},
      {"protocol", "PROXY TCP5 a b 1 2\r\n" + kGet, ErrorKind::kInvalidProxyLine,
       "Invalid PROXY line: \"protocol 'TCP5' not supported\"", on},
      {"double space", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n" + kGet, ErrorKind::kInvalidProxyLine,
       "", on},
      {"bare LF ending", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n" + kGet, ErrorKind::kInvalidProxyLine,
       "", on},
      {"longer than 107 bytes", "PROXY TCP6 " + std::string(120, 'f'), ErrorKind::kInvalidProxyLine,
       "", on},
      {"untrusted peer", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + kGet,
       ErrorKind::kForbiddenProxyRequest, "", proxy(ProxyProtocolMode::kAuto, false)},
      {"off: parsed as HTTP", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + kGet,
       ErrorKind::kInvalidRequestLine, "", proxy(ProxyProtocolMode::kOff)},
      {"v2 only: parsed as HTTP", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + kGet,
       ErrorKind::kInvalidRequestLine, "", proxy(ProxyProtocolMode::kV2)},
      {"not the first request", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + kGet,
       ErrorKind::kInvalidRequestLine, "", proxy(ProxyProtocolMode::kAuto, true, false)},
  });
}

std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string& payload) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h.push_back(char(ver_cmd));
  h.push_back(char(fam));
  h.push_back(char(payload.size() >> 8));
  h.push_back(char(payload.size() & 255));
  return h + payload;
}

TEST(ProxyV2, Accepted) {
  // The corpus's pp_04: 192.168.1.10:12345 -> 192.168.1.1:443.
  const std::string ipv4("\xC0\xA8\x01\x0A\xC0\xA8\x01\x01\x30\x39\x01\xBB", 12);
  Outcome o = parse(v2(0x21, 0x11, ipv4) + kGet, proxy(ProxyProtocolMode::kAuto));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_EQ(o.proxy_protocol, "TCP4");
  EXPECT_EQ(o.src_addr, "192.168.1.10");
  EXPECT_EQ(o.src_port, 12345);
  EXPECT_EQ(o.dst_addr, "192.168.1.1");
  EXPECT_EQ(o.dst_port, 443);
  EXPECT_EQ(o.consumed, 28 + kGet.size());

  // pp_05: 2001:db8::1:54321 -> 2001:db8::2:80, plus a TLV that is skipped.
  std::string ipv6(
      "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x01\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x02"
      "\xD4\x31\x00\x50",
      36);
  std::string tlv(
      "\x04\x00\x03"
      "abc",
      6);
  o = parse(v2(0x21, 0x21, ipv6 + tlv) + kGet, proxy(ProxyProtocolMode::kV2));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_EQ(o.proxy_protocol, "TCP6");
  EXPECT_EQ(o.src_addr, "2001:db8::1");
  EXPECT_EQ(o.src_port, 54321);
  EXPECT_EQ(o.dst_addr, "2001:db8::2");
  EXPECT_EQ(o.dst_port, 80);
  EXPECT_EQ(o.consumed, 16 + 42 + kGet.size());

  o = parse(v2(0x20, 0x00, "") + kGet, proxy(ProxyProtocolMode::kAuto));  // LOCAL
  ASSERT_EQ(o.status, ParseResult::kComplete);
  EXPECT_EQ(o.proxy_protocol, "LOCAL");
  o = parse(v2(0x20, 0x11, ipv4) + kGet,
            proxy(ProxyProtocolMode::kAuto));  // LOCAL ignores the rest
  EXPECT_EQ(o.proxy_protocol, "LOCAL");
  o = parse(v2(0x21, 0x01, "") + kGet, proxy(ProxyProtocolMode::kAuto));  // PROXY, AF_UNSPEC
  EXPECT_EQ(o.proxy_protocol, "UNSPEC");
}

TEST(ProxyV2, Refusals) {
  const Configure on = proxy(ProxyProtocolMode::kAuto);
  const std::string ipv4(12, '\1');
  run_error_cases({
      {"version 3", v2(0x31, 0x11, ipv4) + kGet, ErrorKind::kInvalidProxyHeader,
       "Invalid PROXY header: unsupported version 3", on},
      {"command 2", v2(0x22, 0x11, ipv4) + kGet, ErrorKind::kInvalidProxyHeader,
       "Invalid PROXY header: unsupported command 2", on},
      {"datagram", v2(0x21, 0x12, ipv4) + kGet, ErrorKind::kInvalidProxyHeader,
       "Invalid PROXY header: only TCP protocol is supported", on},
      {"unix", v2(0x21, 0x31, std::string(216, 'a')) + kGet, ErrorKind::kInvalidProxyHeader,
       "Invalid PROXY header: unsupported address family 3", on},
      {"short IPv4", v2(0x21, 0x11, std::string(11, 'a')) + kGet, ErrorKind::kInvalidProxyHeader,
       "Invalid PROXY header: insufficient address data for IPv4", on},
      {"short IPv6", v2(0x21, 0x21, std::string(35, 'a')) + kGet, ErrorKind::kInvalidProxyHeader,
       "Invalid PROXY header: insufficient address data for IPv6", on},
      {"untrusted", v2(0x21, 0x11, ipv4) + kGet, ErrorKind::kForbiddenProxyRequest, "",
       proxy(ProxyProtocolMode::kAuto, false)},
      {"v1 only", v2(0x21, 0x11, ipv4) + kGet, ErrorKind::kInvalidRequestLine, "",
       proxy(ProxyProtocolMode::kV1)},
  });
  // A header whose addresses have not all arrived is incomplete.
  EXPECT_EQ(parse(v2(0x21, 0x11, ipv4).substr(0, 20), on).status, ParseResult::kIncomplete);
}

}  // namespace
}  // namespace qilin::http
