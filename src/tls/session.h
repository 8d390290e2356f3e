// One server-side TLS connection over a non-blocking socket that its caller
// owns (worker::Connection). No call blocks: when OpenSSL needs the socket
// to be readable or writable first, the call returns EAGAIN (or kAgain) and
// wants_write() says which way to wait; the caller waits (in epoll, or in
// poll on an application thread) and calls again.
//
// OpenSSL writes with write(2): the process must ignore SIGPIPE (qilin's
// workers do), so that a gone peer is an EPIPE error rather than a signal.
//
// Used by one thread at a time: the worker loop during the handshake, then
// whichever thread holds the connection. OpenSSL's error queue is per
// thread and is cleared before every call.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tls/server_context.h"

struct ssl_st;  // OpenSSL's SSL

namespace qilin::tls {

class Session {
 public:
  // A session on `fd` in the server role, not yet shaken hands. Null when
  // OpenSSL cannot make one (out of memory).
  static std::unique_ptr<Session> accept(const ServerContext& context, int fd);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  enum class Handshake { kDone, kAgain, kFailed };
  // Advances the handshake. kFailed: error() says why, plain_http() whether
  // the client spoke plain HTTP instead of TLS. A handshake whose ALPN chose
  // a protocol other than http/1.1 or http/1.0 fails too.
  Handshake handshake();
  bool established() const { return established_; }

  // recv(2)'s contract: the number of bytes read; 0 at the end of the stream
  // (close_notify, or a TCP EOF without it when ragged EOFs are suppressed);
  // -1 with errno EAGAIN (wait, see wants_write()), or ECONNRESET / EPROTO
  // when the stream broke (error() says how).
  ssize_t read(char* buffer, size_t size);
  // send(2)'s contract: bytes written (maybe fewer than `size`), or -1 with
  // errno EAGAIN, or EPIPE / EPROTO when the stream broke.
  ssize_t write(const char* data, size_t size);

  // The kernel encrypts what this session sends (kernel TLS): send_file()
  // can then be used, and write() goes through the kernel too.
  bool kernel_send() const;
  // sendfile(2) through kernel TLS: write()'s contract. Only when kernel_send().
  ssize_t send_file(int file_fd, off_t offset, size_t count);

  // After EAGAIN or kAgain: whether OpenSSL waits for the socket to be
  // writable (else readable).
  bool wants_write() const { return wants_write_; }
  // Input is held inside OpenSSL (decrypted, or read but not yet decrypted):
  // the socket will not signal it again.
  bool has_pending() const;
  // Sends close_notify once, without waiting; nothing after a failure.
  void close_notify();

  const std::string& error() const { return error_; }
  bool plain_http() const { return plain_http_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log.
  std::string description() const;

  // The mod_ssl variables an application behind Apache finds in its
  // environment, for this connection: SSL_PROTOCOL, SSL_CIPHER,
  // SSL_CLIENT_VERIFY (SUCCESS, NONE or FAILED:<reason>), and with a client
  // certificate SSL_CLIENT_S_DN, SSL_CLIENT_S_DN_CN, SSL_CLIENT_I_DN
  // (RFC 2253 text), SSL_CLIENT_M_SERIAL (hex), SSL_CLIENT_V_START,
  // SSL_CLIENT_V_END ("Jun  1 12:00:00 2026 GMT") and SSL_CLIENT_CERT (PEM).
  // Made on the first call, then kept for the connection's later requests.
  const std::vector<std::pair<const char*, std::string>>& environ_variables();

 private:
  Session(ssl_st* ssl, bool suppress_ragged_eofs)
      : ssl_(ssl), suppress_ragged_eofs_(suppress_ragged_eofs) {}
  // The handshake is complete: checks what ALPN chose.
  Handshake finished();
  // Maps a failed OpenSSL call to errno (and error_); -1.
  ssize_t failure(int ret, int broken_errno);

  ssl_st* ssl_;
  bool suppress_ragged_eofs_;
  bool established_ = false;
  bool failed_ = false;  // a fatal error: no more I/O, no close_notify
  bool ended_ = false;   // read() saw the end of the stream
  bool notified_ = false;
  bool wants_write_ = false;
  bool plain_http_ = false;
  std::string error_;
  std::vector<std::pair<const char*, std::string>> environ_;
};

}  // namespace qilin::tls
