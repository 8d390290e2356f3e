// One accepted client socket and its read buffer. The buffer is reused for
// every connection a worker serves, so steady-state serving allocates nothing.
//
// With TLS (start_tls), every read and write goes through the connection's
// tls::Session once its handshake is done; a plain connection pays one
// pointer check for that.
//
// Buffer layout while a request is alive:
//   [0, head_end)      the request head; http::Request views point here, so it
//                      is never moved or overwritten until the next request.
//   [pos, end)         bytes received but not yet consumed (body, next request).
// Not thread-safe: owned by one worker thread at a time.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "sys/fd.h"
#include "sys/listener.h"
#include "tls/session.h"

namespace qilin::worker {

struct PeerAddress {
  std::string addr;  // "" for unix-socket peers (as gunicorn)
  int port = -1;     // -1 for unix-socket peers
  bool is_unix = false;
};

// The peer of an accepted socket, from accept(2)'s address.
PeerAddress peer_of(const sockaddr_storage& address);

class Connection {
 public:
  explicit Connection(size_t initial_capacity = 64 * 1024, size_t max_capacity = 8 << 20);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Called on the waiting thread around every wait for the client (the
  // poll of a read or write that cannot complete at once). The python
  // layer releases the GIL there, so a write that completes at once keeps
  // it. Set once, before serving.
  struct WaitHooks {
    void (*before)() = nullptr;
    void (*after)() = nullptr;
  };
  static void set_wait_hooks(WaitHooks hooks);

  // Takes ownership of an accepted socket; resets the buffer.
  void attach(int fd, PeerAddress peer, const sys::Listener* listener);
  // Makes the attached connection a TLS server connection; the caller then
  // drives tls()->handshake() to its end before reading. False when OpenSSL
  // cannot make the session.
  bool start_tls(const tls::ServerContext& context);
  // The TLS session, or null for plain TCP. Its state (the handshake, the
  // cached environ variables) belongs to whichever thread holds the
  // connection, as the buffer does.
  tls::Session* tls() const { return tls_.get(); }
  // Closes the socket, after a TLS close_notify. With `linger`, half-closes
  // first and drains what the client still sends (bounded), so unread input
  // cannot turn the close into an RST that destroys the response in flight.
  void close(bool linger);
  // Half-closes: close_notify (TLS), then shutdown(SHUT_WR).
  void shutdown_write();
  bool open() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  const PeerAddress& peer() const { return peer_; }
  const sys::Listener* listener() const { return listener_; }

  char* data() { return buffer_.get(); }
  size_t capacity() const { return capacity_; }
  size_t head_end() const { return head_end_; }
  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  void set_head_end(size_t n) { head_end_ = pos_ = n; }
  void set_pos(size_t n) { pos_ = n; }
  // Drops consumed body bytes: the unread window restarts at head_end.
  void rewind_body_window() { pos_ = end_ = head_end_; }

  // Reads at most `max` bytes (0 = as many as fit) after `end`, growing the
  // buffer (up to the maximum) when it is full. Returns the number read, 0
  // at EOF, or -1 with errno set (EAGAIN on a non-blocking socket outside
  // wait mode, ETIMEDOUT when wait mode's bound passed).
  ssize_t read_more(size_t max = 0);
  // The last read filled all the room it had, so the socket may hold more.
  // Edge-triggered epoll does not announce bytes that were already there:
  // whoever waits for readiness next must read once first.
  bool may_hold_unread() const { return may_hold_unread_; }
  // Makes room for `total` bytes in all (at most the maximum) in one step.
  // True when the buffer moved: views into the old one are stale.
  bool reserve(size_t total);

  // After read_more() failed with EAGAIN: TLS needs the socket writable
  // before it can read on (else wait for it to be readable).
  bool read_wants_write() const { return tls_ && tls_->wants_write(); }
  // Bytes a read would return at once although the socket may not signal
  // them (TLS holds decrypted input).
  bool has_buffered_input() const { return tls_ && tls_->has_pending(); }

  // Writes everything (MSG_NOSIGNAL). Fails on a closed peer, or when a
  // non-blocking socket in wait mode stays full past the bound.
  //
  // `more`: another response follows at once (a pipelined request is
  // already here). On plain TCP the bytes are then queued with MSG_MORE, to
  // leave in one segment with the next response's; they wait until a write
  // without `more`, uncork(), or the close.
  Status write_all(const iovec* iov, int count, bool more = false);
  Status write_all(std::string_view bytes);
  // One non-blocking attempt to send a few bytes (an interim response, an
  // error page): whether they all went out.
  bool try_send(std::string_view bytes);
  // Whether send_file() can be used: always on plain TCP; under TLS only
  // when the kernel encrypts (kernel TLS), else the caller reads and writes.
  bool can_send_file() const { return !tls_ || tls_->kernel_send(); }
  // Sends `count` bytes of `file_fd` from `offset` with sendfile(2) (under
  // TLS, SSL_sendfile through kernel TLS).
  Status send_file(int file_fd, off_t offset, size_t count);
  // Plain TCP, never waiting (for a loop that sends while the socket is
  // writable): one sendfile(2) of at most `count` bytes from `*offset`,
  // which it advances, and one sendmsg(2) of `iov` (`more`: as write_all's). Each returns the bytes
  // sent, or -1 with errno (EAGAIN: the socket is full). sendfile(2) has no
  // MSG_NOSIGNAL: the process must ignore SIGPIPE, as workers do.
  ssize_t send_file_some(int file_fd, off_t* offset, size_t count);
  ssize_t send_some(const iovec* iov, int count, bool more);

  // Wait mode, for a non-blocking socket handed to a thread that wants
  // blocking semantics: reads and writes that would block wait in poll(2)
  // for at most `timeout_ms` each (0 = wait mode off: EAGAIN is returned).
  void set_wait_timeout(int timeout_ms) { wait_timeout_ms_ = timeout_ms; }

  // Sends what bytes written with `more` still wait at once (the next request was not ready after all).
  void uncork();

  // Keep-alive: moves the unread bytes (a pipelined next request) to the
  // front of the buffer and forgets the finished request's head; shrinks a
  // buffer that grew for a large request back to its initial size.
  void start_next_request();

 private:
  sys::Fd fd_;
  PeerAddress peer_;
  const sys::Listener* listener_ = nullptr;
  // Waits for `events` on the socket; false on timeout or error (errno set).
  bool wait_for(short events);
  // The TLS forms of write_all and send_file.
  Status tls_write_all(const iovec* iov, int count);
  Status tls_write(const char* data, size_t size);
  Status tls_send_file(int file_fd, off_t offset, size_t count);
  // Why the last TLS call failed: OpenSSL's reason, else errno's.
  std::string tls_failure() const;
  std::unique_ptr<tls::Session> tls_;
  bool corked_ = false;

  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t initial_capacity_;
  size_t max_capacity_;
  int wait_timeout_ms_ = 0;
  size_t head_end_ = 0, pos_ = 0, end_ = 0;
  bool may_hold_unread_ = false;
};

}  // namespace qilin::worker
