// A bind address as the `bind` setting spells it, parsed the way gunicorn
// parses it: "HOST", "HOST:PORT", "[V6]:PORT", "tcp://HOST:PORT",
// "unix:PATH", "unix://PATH", "fd://N". Pure; no sockets are touched.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace qilin::sys {

struct BindAddress {
  enum class Kind { kTcp, kUnix, kFd } kind = Kind::kTcp;
  std::string host;  // kTcp: lower-cased host or address, "" = any; brackets removed
  int port = 8000;   // kTcp
  std::string path;  // kUnix
  int fd = -1;       // kFd

  bool operator==(const BindAddress&) const = default;
};

Result<BindAddress> parse_bind_address(std::string_view text);

// True when `host` is an IPv6 literal (contains ':').
bool is_ipv6_literal(std::string_view host);

}  // namespace qilin::sys
