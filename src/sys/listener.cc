#include "sys/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qilin::sys {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

Result<Listener> fail(const std::string& what, int err, int* last_errno) {
  if (last_errno) *last_errno = err;
  return Result<Listener>::error(what + ": " + errno_text(err));
}

// Resolves a TCP host the way gunicorn's socket classes do: an IPv6 literal
// binds AF_INET6, anything else AF_INET ("" is the wildcard).
Result<sockaddr_storage> resolve(const BindAddress& address, socklen_t* len) {
  sockaddr_storage storage{};
  const bool v6 = is_ipv6_literal(address.host);
  addrinfo hints{};
  hints.ai_family = v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(address.port);
  int rc = getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(), &hints,
                       &found);
  if (rc != 0 || !found) {
    return Result<sockaddr_storage>::error("Invalid address: " + describe_bind_address(address) +
                                           " (" + gai_strerror(rc) + ")");
  }
  std::memcpy(&storage, found->ai_addr, found->ai_addrlen);
  *len = found->ai_addrlen;
  freeaddrinfo(found);
  return storage;
}

}  // namespace

std::string describe_bind_address(const BindAddress& address) {
  switch (address.kind) {
    case BindAddress::Kind::kUnix: return "unix:" + address.path;
    case BindAddress::Kind::kFd: return "fd://" + std::to_string(address.fd);
    case BindAddress::Kind::kTcp:
      if (is_ipv6_literal(address.host)) return "[" + address.host + "]:" + std::to_string(address.port);
      return address.host + ":" + std::to_string(address.port);
  }
  return "";
}

Result<Listener> Listener::open(const BindAddress& address, const ListenOptions& options,
                                int* last_errno) {
  Listener l;
  if (last_errno) *last_errno = 0;
  if (address.kind == BindAddress::Kind::kFd) {
    auto adopted = adopt(address.fd, options, /*owns_file=*/false);
    if (!adopted && last_errno) *last_errno = ENOTSOCK;
    return adopted;
  }

  if (address.kind == BindAddress::Kind::kUnix) {
    sockaddr_un sun{};
    if (address.path.size() >= sizeof(sun.sun_path)) {
      return fail("unix:" + address.path, ENAMETOOLONG, last_errno);
    }
    struct stat st;
    if (::lstat(address.path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return Result<Listener>::error("'" + address.path + "' is not a socket");
      }
      ::unlink(address.path.c_str());  // a stale socket from an earlier run
    }
    l.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!l.fd_.valid()) return fail("socket", errno, last_errno);
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, address.path.c_str(), address.path.size());
    mode_t old_mask = ::umask(mode_t(options.umask));
    int rc = ::bind(l.fd(), reinterpret_cast<sockaddr*>(&sun), sizeof(sun));
    int err = errno;
    ::umask(old_mask);
    if (rc != 0) return fail("unix:" + address.path, err, last_errno);
    if ((options.uid != 0 || options.gid != 0) &&
        ::chown(address.path.c_str(), options.uid ? uid_t(options.uid) : uid_t(-1),
                options.gid ? gid_t(options.gid) : gid_t(-1)) != 0) {
      return fail("chown unix:" + address.path, errno, last_errno);
    }
    l.is_unix_ = true;
    l.unix_path_ = address.path;
  } else {
    socklen_t len = 0;
    auto sa = resolve(address, &len);
    if (!sa) return Result<Listener>::error(sa.message());
    l.fd_.reset(::socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!l.fd_.valid()) return fail("socket", errno, last_errno);
    int one = 1;
    setsockopt(l.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (options.reuse_port) setsockopt(l.fd(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (sa->ss_family == AF_INET6) setsockopt(l.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (::bind(l.fd(), reinterpret_cast<sockaddr*>(&*sa), len) != 0) {
      return fail(describe_bind_address(address), errno, last_errno);
    }
  }
  if (::listen(l.fd(), options.backlog) != 0) return fail("listen", errno, last_errno);
  if (Status s = l.describe(); !s) return Result<Listener>::error(s.message());
  return l;
}

Result<Listener> Listener::adopt(int fd, const ListenOptions& options, bool owns_file) {
  int type = 0;
  socklen_t tlen = sizeof(type);
  const int err = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ? errno : ENOTSOCK;
  if (type != SOCK_STREAM) {
    return Result<Listener>::error("fd://" + std::to_string(fd) + " is not a stream socket: " +
                                   errno_text(err));
  }
  Listener l;
  l.fd_.reset(fd);
  l.owns_file_ = owns_file;
  set_cloexec(l.fd(), true);
  ::listen(l.fd(), options.backlog);  // harmless when already listening
  if (Status s = l.describe(); !s) return Result<Listener>::error(s.message());
  return l;
}

bool Listener::serves(const BindAddress& address) const {
  switch (address.kind) {
    case BindAddress::Kind::kFd: return address.fd == fd();
    case BindAddress::Kind::kUnix: return is_unix_ && address.path == unix_path_;
    case BindAddress::Kind::kTcp: break;
  }
  if (is_unix_) return false;
  socklen_t want_len = 0;
  auto want = resolve(address, &want_len);
  sockaddr_storage have{};
  socklen_t have_len = sizeof(have);
  if (!want || getsockname(fd(), reinterpret_cast<sockaddr*>(&have), &have_len) != 0 ||
      want->ss_family != have.ss_family) {
    return false;
  }
  if (have.ss_family == AF_INET) {
    auto* w = reinterpret_cast<const sockaddr_in*>(&*want);
    auto* h = reinterpret_cast<const sockaddr_in*>(&have);
    return w->sin_addr.s_addr == h->sin_addr.s_addr &&
           (w->sin_port == 0 || w->sin_port == h->sin_port);
  }
  auto* w = reinterpret_cast<const sockaddr_in6*>(&*want);
  auto* h = reinterpret_cast<const sockaddr_in6*>(&have);
  return std::memcmp(&w->sin6_addr, &h->sin6_addr, sizeof(in6_addr)) == 0 &&
         (w->sin6_port == 0 || w->sin6_port == h->sin6_port);
}

Status Listener::describe() {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Status::error(std::string("getsockname: ") + errno_text(errno));
  }
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_UNIX) {
    auto* sun = reinterpret_cast<sockaddr_un*>(&ss);
    is_unix_ = true;
    if (unix_path_.empty() && len > offsetof(sockaddr_un, sun_path)) unix_path_ = sun->sun_path;
    url_ = "unix:" + unix_path_;
    server_name_ = unix_path_;
    server_port_ = "";
  } else if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
    server_name_ = host;
    server_port_ = std::to_string(ntohs(sin->sin_port));
    url_ = "http://" + server_name_ + ":" + server_port_;
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
    server_name_ = host;
    server_port_ = std::to_string(ntohs(sin6->sin6_port));
    url_ = "http://[" + server_name_ + "]:" + server_port_;
  } else {
    return Status::error("unsupported socket family");
  }
  return Status::ok();
}

void Listener::close(bool keep_file) {
  if (!fd_.valid()) return;
  fd_.reset();
  if (is_unix_ && !keep_file && owns_file_ && !unix_path_.empty()) ::unlink(unix_path_.c_str());
}

int listen_queue_length(int fd) {
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return int(info.tcpi_unacked);
}

}  // namespace qilin::sys
