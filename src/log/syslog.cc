#include "log/syslog.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/strings.h"
#include "sys/heartbeat_table.h"  // monotonic_ms

namespace qilin::log {

Result<SyslogAddress> parse_syslog_address(std::string_view text) {
  SyslogAddress a;
  if (text.starts_with("unix://")) {
    a.kind = SyslogAddress::Kind::kUnix;
    std::string_view rest = text.substr(7);
    if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
      a.unix_stream_allowed = rest.substr(hash + 1) != "dgram";
      rest = rest.substr(0, hash);
    }
    a.path = std::string(rest);
    return a;
  }
  std::string_view rest;
  if (text.starts_with("udp://")) {
    rest = text.substr(6);
  } else if (text.starts_with("tcp://")) {
    a.kind = SyslogAddress::Kind::kTcp;
    rest = text.substr(6);
  } else {
    return Result<SyslogAddress>::error("invalid syslog address");
  }
  size_t open = rest.find('['), close = rest.find(']');
  if (open != std::string_view::npos && close != std::string_view::npos) {
    a.host = to_lower(rest.substr(open + 1, close > open ? close - open - 1 : 0));
    rest = rest.substr(close + 1);
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    a.host = to_lower(rest.substr(0, colon));
    rest = rest.substr(colon);
  } else {
    a.host = rest.empty() ? "localhost" : to_lower(rest);
    rest = {};
  }
  if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    bool digits = !port.empty();
    for (char c : port) digits = digits && c >= '0' && c <= '9';
    if (!digits || port.size() > 5 || std::stoi(std::string(port)) > 65535) {
      return Result<SyslogAddress>::error("'" + std::string(port) + "' is not a valid port number.");
    }
    a.port = std::stoi(std::string(port));
  }
  return a;
}

Result<int> syslog_facility(std::string_view name) {
  static const std::pair<std::string_view, int> kFacilities[] = {
      {"auth", 4},    {"authpriv", 10}, {"cron", 9},    {"daemon", 3},  {"ftp", 11},
      {"kern", 0},    {"lpr", 6},       {"mail", 2},    {"news", 7},    {"security", 4},
      {"syslog", 5},  {"user", 1},      {"uucp", 8},    {"local0", 16}, {"local1", 17},
      {"local2", 18}, {"local3", 19},   {"local4", 20}, {"local5", 21}, {"local6", 22},
      {"local7", 23}};
  const std::string lower = to_lower(name);
  for (const auto& [n, code] : kFacilities) {
    if (lower == n) return code;
  }
  return Result<int>::error("unknown facility name");
}

int syslog_severity(Level level) {
  switch (level) {
    case Level::kDebug: return 7;
    case Level::kInfo: return 6;
    case Level::kWarning: return 4;
    case Level::kError: return 3;
    case Level::kCritical: return 2;
  }
  return 6;
}

std::string syslog_message(int facility, Level level, std::string_view program, int pid,
                           std::string_view message) {
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  std::string out = "<" + std::to_string(facility * 8 + syslog_severity(level)) + ">";
  out += program;
  out += ": [";
  out += std::to_string(pid);
  out += "] ";
  out += message;
  out.push_back('\0');
  return out;
}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status SyslogSink::open(const SyslogAddress& address, int facility) {
  std::lock_guard<std::mutex> lock(mutex_);
  address_ = address;
  facility_ = facility;
  if (address.kind != SyslogAddress::Kind::kUnix) {
    addrinfo hints{};
    hints.ai_socktype = address.kind == SyslogAddress::Kind::kTcp ? SOCK_STREAM : SOCK_DGRAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found);
    if (rc != 0 || !found) {
      return Status::error("cannot resolve syslog host '" + address.host + "': " + gai_strerror(rc));
    }
    resolved_.assign(reinterpret_cast<const char*>(found->ai_addr), found->ai_addrlen);
    family_ = found->ai_family;
    ::freeaddrinfo(found);
  }
  (void)connect_locked();
  return Status::ok();
}

bool SyslogSink::connect_locked() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (address_.kind == SyslogAddress::Kind::kUnix) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (address_.path.size() >= sizeof(sun.sun_path)) return false;
    std::memcpy(sun.sun_path, address_.path.data(), address_.path.size());
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      if (type == SOCK_STREAM && !address_.unix_stream_allowed) break;
      int fd = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) == 0) {
        fd_ = fd;
        return true;
      }
      ::close(fd);
    }
    return false;
  }
  const int type = address_.kind == SyslogAddress::Kind::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  int fd = ::socket(family_, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(resolved_.data()), socklen_t(resolved_.size()));
  if (rc != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

void SyslogSink::send(Level level, std::string_view program, std::string_view message) {
  const std::string datagram = syslog_message(facility_, level, program, int(::getpid()), message);
  std::lock_guard<std::mutex> lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0) {
      const int64_t now = sys::monotonic_ms();
      if (now < retry_after_ms_) return;
      if (!connect_locked()) {
        retry_after_ms_ = now + 1000;
        return;
      }
    }
    ssize_t n = ::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == ssize_t(datagram.size())) return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // full: dropped
    if (n < 0 && address_.kind == SyslogAddress::Kind::kUdp) return;  // e.g. ICMP refused
    // A broken stream, a partial write, or a unix socket that went away:
    // start over on a fresh connection (once now, then at most once a second).
    ::close(fd_);
    fd_ = -1;
    if (n >= 0) return;
  }
}

}  // namespace qilin::log
