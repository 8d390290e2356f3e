#include "sys/bind_address.h"

#include "core/strings.h"

namespace qilin::sys {

namespace {

Result<int> parse_port(std::string_view text) {
  auto port = parse_int(trim(text));
  if (!port || *port < 0 || *port > 65535) {
    return Result<int>::error("'" + std::string(text) + "' is not a valid port number.");
  }
  return int(*port);
}

}  // namespace

bool is_ipv6_literal(std::string_view host) { return host.find(':') != std::string_view::npos; }

Result<BindAddress> parse_bind_address(std::string_view text) {
  BindAddress addr;
  if (text.starts_with("unix:")) {
    addr.kind = BindAddress::Kind::kUnix;
    std::string_view path = text.substr(5);
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) return Result<BindAddress>::error("'" + std::string(text) + "' has no path");
    addr.path = std::string(path);
    return addr;
  }
  if (text.starts_with("fd://")) {
    auto fd = parse_int(text.substr(5));
    if (!fd || *fd < 0 || *fd > 1 << 30) {
      return Result<BindAddress>::error("'" + std::string(text.substr(5)) +
                                        "' is not a valid file descriptor.");
    }
    addr.kind = BindAddress::Kind::kFd;
    addr.fd = int(*fd);
    return addr;
  }
  std::string_view netloc = text;
  if (netloc.starts_with("tcp://")) netloc.remove_prefix(6);
  std::string_view host = netloc;
  std::string_view port = "8000";
  if (netloc.find('[') != std::string_view::npos && netloc.find(']') != std::string_view::npos) {
    size_t open = netloc.find('[');
    size_t close = netloc.find(']');
    if (close < open) return Result<BindAddress>::error("'" + std::string(text) + "' is not a valid address");
    host = netloc.substr(open + 1, close - open - 1);
    std::string_view rest = netloc.substr(close + 1);
    if (rest.starts_with(":")) port = rest.substr(1);
    else if (!rest.empty()) return Result<BindAddress>::error("'" + std::string(text) + "' is not a valid address");
  } else if (netloc.find(':') != std::string_view::npos) {
    size_t colon = netloc.find(':');
    host = netloc.substr(0, colon);
    port = netloc.substr(colon + 1);
  } else if (netloc.empty()) {
    host = "0.0.0.0";
  }
  auto parsed_port = parse_port(port);
  if (!parsed_port) return parsed_port.status();
  addr.host = to_lower(host);
  addr.port = *parsed_port;
  return addr;
}

}  // namespace qilin::sys
