// One server-side TLS connection over a non-blocking socket that its caller
// owns (worker::Connection). No call blocks: when OpenSSL needs the socket
// to be readable or writable first, the call returns EAGAIN (or kAgain) and
// wants_write() says which way to wait; the caller waits (in epoll, or in
// poll on an application thread) and calls again.
//
// OpenSSL writes with write(2): the process must ignore SIGPIPE (qilin's
// workers do), so that a gone peer is an EPIPE error rather than a signal.
//
// An interface, implemented in libqilin-tls.so (src/tls/openssl/session.cc);
// a session exists only on a ServerContext, which has loaded it. One
// virtual call per read or write, on TLS connections only.
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

namespace qilin::tls {

class Session {
 public:
  // A session on `fd` in the server role, not yet shaken hands. Null when
  // OpenSSL cannot make one (out of memory).
  static std::unique_ptr<Session> accept(const ServerContext& context, int fd);
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  enum class Handshake { kDone, kAgain, kFailed };
  // Advances the handshake. kFailed: error() says why, plain_http() whether
  // the client spoke plain HTTP instead of TLS. A handshake whose ALPN chose
  // a protocol other than http/1.1 or http/1.0 fails too.
  virtual Handshake handshake() = 0;
  virtual bool established() const = 0;

  // recv(2)'s contract: the number of bytes read; 0 at the end of the stream
  // (close_notify, or a TCP EOF without it when ragged EOFs are suppressed);
  // -1 with errno EAGAIN (wait, see wants_write()), or ECONNRESET / EPROTO
  // when the stream broke (error() says how).
  virtual ssize_t read(char* buffer, size_t size) = 0;
  // send(2)'s contract: bytes written (maybe fewer than `size`), or -1 with
  // errno EAGAIN, or EPIPE / EPROTO when the stream broke.
  virtual ssize_t write(const char* data, size_t size) = 0;

  // The kernel encrypts what this session sends (kernel TLS): send_file()
  // can then be used, and write() goes through the kernel too.
  virtual bool kernel_send() const = 0;
  // sendfile(2) through kernel TLS: write()'s contract. Only when kernel_send().
  virtual ssize_t send_file(int file_fd, off_t offset, size_t count) = 0;

  // After EAGAIN or kAgain: whether OpenSSL waits for the socket to be
  // writable (else readable).
  virtual bool wants_write() const = 0;
  // Input is held inside OpenSSL (decrypted, or read but not yet decrypted):
  // the socket will not signal it again.
  virtual bool has_pending() const = 0;
  // Sends close_notify once, without waiting; nothing after a failure.
  virtual void close_notify() = 0;

  virtual const std::string& error() const = 0;
  virtual bool plain_http() const = 0;
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log.
  virtual std::string description() const = 0;

  // The mod_ssl variables an application behind Apache finds in its
  // environment, for this connection: SSL_PROTOCOL, SSL_CIPHER,
  // SSL_CLIENT_VERIFY (SUCCESS, NONE or FAILED:<reason>), and with a client
  // certificate SSL_CLIENT_S_DN, SSL_CLIENT_S_DN_CN, SSL_CLIENT_I_DN
  // (RFC 2253 text), SSL_CLIENT_M_SERIAL (hex), SSL_CLIENT_V_START,
  // SSL_CLIENT_V_END ("Jun  1 12:00:00 2026 GMT") and SSL_CLIENT_CERT (PEM).
  // Made on the first call, then kept for the connection's later requests.
  virtual const std::vector<std::pair<const char*, std::string>>& environ_variables() = 0;

 protected:
  Session() = default;
};

}  // namespace qilin::tls
