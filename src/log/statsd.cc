#include "log/statsd.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

namespace qilin::log {

Result<StatsdAddress> parse_statsd_address(std::string_view text) {
  StatsdAddress a;
  if (text.starts_with("unix://")) {
    a.path = std::string(text.substr(7));
    return a;
  }
  if (text.starts_with("unix:")) {
    std::string_view rest = text.substr(5);
    bool digits = !rest.empty();
    for (char c : rest) digits = digits && c >= '0' && c <= '9';
    if (!digits) {
      a.path = std::string(rest);
      return a;
    }
    // gunicorn keeps "unix:PORT" meaning host "unix", for old configs.
    a.host = "unix";
    a.port = std::stoi(std::string(rest));
    return a;
  }
  std::string_view rest = text.starts_with("tcp://") ? text.substr(6) : text;
  std::string_view port;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Result<StatsdAddress>::error("invalid statsd address");
    a.host = std::string(rest.substr(1, close - 1));
    if (rest.substr(close + 1).starts_with(":")) port = rest.substr(close + 2);
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    a.host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
  } else {
    a.host = std::string(rest);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  if (!port.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
      return Result<StatsdAddress>::error("invalid statsd port '" + std::string(port) + "'");
    }
    a.port = value;
  }
  return a;
}

std::string statsd_prefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '.') prefix.remove_suffix(1);
  if (prefix.empty()) return "";
  return std::string(prefix) + ".";
}

std::string statsd_milliseconds(int64_t duration_us) {
  char buf[64];
  const double ms = double(duration_us / 1000000) * 1000 + double(duration_us % 1000000) / 1000;
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), ms, std::chars_format::fixed);
  std::string out(buf, ec == std::errc() ? end : buf);
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

Statsd::~Statsd() {
  if (fd_ >= 0) ::close(fd_);
}

Status Statsd::open(const StatsdAddress& address, std::string_view prefix, std::string_view tags) {
  prefix_ = statsd_prefix(prefix);
  tags_ = std::string(tags);
  int fd = -1;
  if (!address.path.empty()) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (address.path.size() >= sizeof(sun.sun_path)) return Status::error("statsd socket path too long");
    std::memcpy(sun.sun_path, address.path.data(), address.path.size());
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0) {
      ::close(fd);
      return Status::error("cannot connect to statsd socket '" + address.path + "': " + std::strerror(errno));
    }
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found);
    if (rc != 0 || !found) {
      return Status::error("cannot resolve statsd host '" + address.host + "': " + gai_strerror(rc));
    }
    fd = ::socket(found->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
    ::freeaddrinfo(found);
  }
  if (fd < 0) return Status::error(std::string("cannot open the statsd socket: ") + std::strerror(errno));
  fd_ = fd;
  return Status::ok();
}

void Statsd::send_metric(std::string_view name, std::string_view value, std::string_view type) {
  if (fd_ < 0) return;
  char buf[512];
  std::string big;
  size_t need = prefix_.size() + name.size() + value.size() + type.size() + tags_.size() + 8;
  char* p = buf;
  if (need > sizeof(buf)) {
    big.resize(need);
    p = big.data();
  }
  char* out = p;
  auto put = [&out](std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    out += s.size();
  };
  put(prefix_);
  put(name);
  put(":");
  put(value);
  put("|");
  put(type);
  if (!tags_.empty()) {
    put("|#");
    put(tags_);
  }
  (void)::send(fd_, p, size_t(out - p), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void Statsd::increment(std::string_view name, long long value) {
  send_metric(name, std::to_string(value), "c|@1.0");
}

void Statsd::gauge(std::string_view name, long long value) { send_metric(name, std::to_string(value), "g"); }

void Statsd::histogram(std::string_view name, long long value) {
  send_metric(name, std::to_string(value), "h");
}

void Statsd::timer(std::string_view name, std::string_view milliseconds) {
  send_metric(name, milliseconds, "ms");
}

void Statsd::request_done(int status, int64_t duration_us) {
  if (fd_ < 0) return;
  timer("gunicorn.request.duration", statsd_milliseconds(duration_us));
  increment("gunicorn.requests");
  char name[48];
  auto [end, ec] = std::to_chars(name, name + sizeof(name), status);
  (void)ec;
  std::string metric = "gunicorn.request.status.";
  metric.append(name, end);
  increment(metric);
}

}  // namespace qilin::log
