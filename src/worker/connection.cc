#include "worker/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sys/heartbeat_table.h"

namespace qilin::worker {

PeerAddress peer_of(const sockaddr_storage& ss) {
  PeerAddress peer;
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
    peer.addr = host;
    peer.port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
    peer.addr = host;
    peer.port = ntohs(sin6->sin6_port);
  } else {
    peer.is_unix = true;
  }
  return peer;
}


Connection::Connection(size_t initial_capacity, size_t max_capacity)
    : buffer_(new char[initial_capacity]),
      capacity_(initial_capacity),
      initial_capacity_(initial_capacity),
      max_capacity_(max_capacity) {}

namespace {
Connection::WaitHooks g_wait_hooks;
}  // namespace

void Connection::set_wait_hooks(WaitHooks hooks) { g_wait_hooks = hooks; }

bool Connection::wait_for(short events) {
  if (wait_timeout_ms_ <= 0) return false;  // errno stays EAGAIN
  pollfd p{fd_.get(), events, 0};
  if (g_wait_hooks.before) g_wait_hooks.before();
  int rc;
  do {
    rc = ::poll(&p, 1, wait_timeout_ms_);
  } while (rc < 0 && errno == EINTR);
  const int saved_errno = rc == 0 ? ETIMEDOUT : errno;
  if (g_wait_hooks.after) g_wait_hooks.after();
  errno = saved_errno;
  return rc > 0;
}

void Connection::start_next_request() {
  size_t left = end_ - pos_;
  if (capacity_ > initial_capacity_ && left <= initial_capacity_) {
    std::unique_ptr<char[]> smaller(new char[initial_capacity_]);
    std::memcpy(smaller.get(), buffer_.get() + pos_, left);
    buffer_ = std::move(smaller);
    capacity_ = initial_capacity_;
  } else if (left > 0 && pos_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + pos_, left);
  }
  head_end_ = pos_ = 0;
  end_ = left;
}

void Connection::attach(int fd, PeerAddress peer, const sys::Listener* listener) {
  tls_.reset();
  fd_.reset(fd);
  wait_timeout_ms_ = 0;
  peer_ = std::move(peer);
  listener_ = listener;
  corked_ = false;
  head_end_ = pos_ = end_ = 0;
  may_hold_unread_ = false;
}

bool Connection::start_tls(const tls::ServerContext& context) {
  tls_ = tls::Session::accept(context, fd_.get());
  return tls_ != nullptr;
}

void Connection::shutdown_write() {
  if (tls_) tls_->close_notify();
  ::shutdown(fd_.get(), SHUT_WR);
}

void Connection::close(bool linger) {
  if (!fd_.valid()) return;
  if (tls_ && !linger) tls_->close_notify();
  if (linger) {
    shutdown_write();
    // Drain up to 64 KiB for up to 2 s, as a lingering close does.
    char sink[4096];
    size_t drained = 0;
    const int64_t deadline = sys::monotonic_ms() + 2000;
    while (drained < 64 * 1024) {
      int64_t left = deadline - sys::monotonic_ms();
      if (left <= 0) break;
      pollfd p{fd_.get(), POLLIN, 0};
      int rc = ::poll(&p, 1, int(left));
      if (rc <= 0) break;
      ssize_t n = ::recv(fd_.get(), sink, sizeof(sink), MSG_DONTWAIT);
      if (n <= 0) break;
      drained += size_t(n);
    }
  }
  fd_.reset();
  tls_.reset();
  corked_ = false;
}

bool Connection::reserve(size_t total) {
  total = std::min(total, max_capacity_);
  if (total <= capacity_) return false;
  std::unique_ptr<char[]> bigger(new char[total]);
  std::memcpy(bigger.get(), buffer_.get(), end_);
  buffer_ = std::move(bigger);
  capacity_ = total;
  return true;
}

ssize_t Connection::read_more(size_t max) {
  if (end_ == capacity_) {
    if (capacity_ >= max_capacity_) {
      errno = ENOBUFS;
      return -1;
    }
    size_t grown = std::min(capacity_ * 2, max_capacity_);
    std::unique_ptr<char[]> bigger(new char[grown]);
    std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
  }
  size_t room = capacity_ - end_;
  if (max != 0 && max < room) room = max;
  while (true) {
    ssize_t n = tls_ ? tls_->read(buffer_.get() + end_, room)
                     : ::recv(fd_.get(), buffer_.get() + end_, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && wait_for(read_wants_write() ? POLLOUT : POLLIN)) continue;
    may_hold_unread_ = n > 0 && size_t(n) == room;
    if (n > 0) end_ += size_t(n);
    return n;
  }
}

void Connection::uncork() {
  if (!corked_) return;
  corked_ = false;
  // Setting TCP_NODELAY (again) pushes the queued frames out.
  int one = 1;
  (void)::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Status Connection::write_all(const iovec* iov_in, int count, bool more) {
  if (tls_) return tls_write_all(iov_in, count);
  // MSG_MORE means something only to TCP.
  more = more && listener_ && !listener_->is_unix();
  iovec iov[16];
  if (count > 16) {
    for (int i = 0; i < count; ++i) {
      Status s = write_all(iov_in + i, 1, more && i == count - 1);
      if (!s) return s;
    }
    return Status::ok();
  }
  std::memcpy(iov, iov_in, sizeof(iovec) * size_t(count));
  corked_ = more;
  const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
  int first = 0;
  while (first < count) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = size_t(count - first);
    ssize_t n = ::sendmsg(fd_.get(), &msg, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && wait_for(POLLOUT)) continue;
      return Status::error(std::strerror(errno));
    }
    size_t left = size_t(n);
    while (first < count && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < count) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return Status::ok();
}

Status Connection::write_all(std::string_view bytes) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  return write_all(&iov, 1);
}

bool Connection::try_send(std::string_view bytes) {
  corked_ = false;  // a send without MSG_MORE pushes what waits too
  if (tls_) return tls_->write(bytes.data(), bytes.size()) == ssize_t(bytes.size());
  return ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
         ssize_t(bytes.size());
}

Status Connection::send_file(int file_fd, off_t offset, size_t count) {
  corked_ = false;
  if (tls_) return tls_send_file(file_fd, offset, count);
  while (count > 0) {
    ssize_t n = ::sendfile(fd_.get(), file_fd, &offset, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && wait_for(POLLOUT)) continue;
      return Status::error(std::strerror(errno));
    }
    if (n == 0) return Status::error("file shorter than the response length");
    count -= size_t(n);
  }
  return Status::ok();
}

ssize_t Connection::send_file_some(int file_fd, off_t* offset, size_t count) {
  corked_ = false;
  ssize_t n;
  do {
    n = ::sendfile(fd_.get(), file_fd, offset, count);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t Connection::send_some(const iovec* iov, int count, bool more) {
  more = more && listener_ && !listener_->is_unix();
  corked_ = more;
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = size_t(count);
  const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
  ssize_t n;
  do {
    n = ::sendmsg(fd_.get(), &msg, flags);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace qilin::worker

namespace qilin::worker {

// ---- TLS

std::string Connection::tls_failure() const {
  return tls_->error().empty() ? std::string(std::strerror(errno)) : tls_->error();
}

Status Connection::tls_write(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = tls_->write(data, size);
    if (n > 0) {
      data += n;
      size -= size_t(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN && wait_for(tls_->wants_write() ? POLLOUT : POLLIN)) continue;
    return Status::error(tls_failure());
  }
  return Status::ok();
}

Status Connection::tls_write_all(const iovec* iov, int count) {
  // Small pieces are gathered, so that a head and a short body go out in
  // one TLS record (one write, one MAC) instead of one record each; a piece
  // of a full record or more goes out as it is.
  constexpr size_t kRecord = 16 * 1024;
  char stage[kRecord];
  size_t staged = 0;
  for (int i = 0; i < count; ++i) {
    const char* piece = static_cast<const char*>(iov[i].iov_base);
    const size_t len = iov[i].iov_len;
    if (staged + len <= kRecord) {
      std::memcpy(stage + staged, piece, len);
      staged += len;
      continue;
    }
    if (staged > 0) {
      if (Status s = tls_write(stage, staged); !s) return s;
      staged = 0;
    }
    if (len < kRecord) {
      std::memcpy(stage, piece, len);
      staged = len;
    } else if (Status s = tls_write(piece, len); !s) {
      return s;
    }
  }
  return staged > 0 ? tls_write(stage, staged) : Status::ok();
}

Status Connection::tls_send_file(int file_fd, off_t offset, size_t count) {
  while (count > 0) {
    ssize_t n = tls_->send_file(file_fd, offset, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && wait_for(POLLOUT)) continue;
      return Status::error(tls_failure());
    }
    if (n == 0) return Status::error("file shorter than the response length");
    offset += n;
    count -= size_t(n);
  }
  return Status::ok();
}

}  // namespace qilin::worker
