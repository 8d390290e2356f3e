#include "tls/openssl/session.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

namespace qilin::tls::openssl {

namespace {

// OpenSSL's calls take an int length.
int clamp(size_t size) { return size > size_t(INT_MAX) ? INT_MAX : int(size); }

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

// What `print` writes into a memory BIO, as text.
template <typename Print>
std::string bio_text(Print print) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || !print(bio.get())) return "";
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, size_t(size)) : std::string();
}

std::string name_text(const X509_NAME* name) {
  // mod_ssl's default DN format since httpd 2.3.11: RFC 2253, UTF-8 kept.
  return bio_text([name](BIO* b) {
    return X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0;
  });
}

std::string time_text(const ASN1_TIME* t) {
  return bio_text([t](BIO* b) { return ASN1_TIME_print(b, t) == 1; });
}

std::string serial_text(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (!bn) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string common_name(const X509_NAME* name) {
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), size_t(n));
  OPENSSL_free(utf8);
  return out;
}

// The newest OpenSSL error as text ("wrong version number"), or "".
std::string last_reason() {
  unsigned long err = ERR_peek_last_error();
  const char* reason = err ? ERR_reason_error_string(err) : nullptr;
  return reason ? reason : "";
}

bool is_unexpected_eof(unsigned long err) {
  return ERR_GET_LIB(err) == ERR_LIB_SSL &&
         ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

// The tls/session.h contract over one SSL object, which it owns.
class OpenSslSession final : public Session {
 public:
  OpenSslSession(SSL* ssl, bool suppress_ragged_eofs)
      : ssl_(ssl), suppress_ragged_eofs_(suppress_ragged_eofs) {}
  ~OpenSslSession() override { SSL_free(ssl_); }

  Handshake handshake() override;
  bool established() const override { return established_; }
  ssize_t read(char* buffer, size_t size) override;
  ssize_t write(const char* data, size_t size) override;
  bool kernel_send() const override;
  ssize_t send_file(int file_fd, off_t offset, size_t count) override;
  bool wants_write() const override { return wants_write_; }
  bool has_pending() const override;
  void close_notify() override;
  const std::string& error() const override { return error_; }
  bool plain_http() const override { return plain_http_; }
  std::string description() const override;
  const std::vector<std::pair<const char*, std::string>>& environ_variables() override;

 private:
  // The handshake is complete: checks what ALPN chose.
  Handshake finished();
  // Maps a failed OpenSSL call to errno (and error_); -1.
  ssize_t failure(int ret, int broken_errno);

  SSL* ssl_;
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

}  // namespace

std::unique_ptr<Session> accept(const ServerContext& context, int fd) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context.native());
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    ERR_clear_error();
    return nullptr;
  }
  // Partial writes let a large write go out record by record on a
  // non-blocking socket (write()'s contract); a retried write may come from
  // a moved buffer. Set here so that an adopted context needs neither.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_accept_state(ssl);
  return std::unique_ptr<Session>(new OpenSslSession(ssl, context.settings().suppress_ragged_eofs));
}

Session::Handshake OpenSslSession::handshake() {
  if (failed_) return Handshake::kFailed;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return finished();
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      wants_write_ = false;
      return Handshake::kAgain;
    case SSL_ERROR_WANT_WRITE:
      wants_write_ = true;
      return Handshake::kAgain;
    case SSL_ERROR_SYSCALL:
      failed_ = true;
      error_ = saved_errno != 0 ? std::strerror(saved_errno) : "the client closed the connection";
      break;
    default: {
      failed_ = true;
      unsigned long err = ERR_peek_last_error();
      const int reason = ERR_GET_LIB(err) == ERR_LIB_SSL ? ERR_GET_REASON(err) : 0;
      plain_http_ = reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST;
      if (is_unexpected_eof(err)) {
        error_ = "the client closed the connection";
      } else {
        error_ = last_reason();
        long verify = SSL_get_verify_result(ssl_);
        if (verify != X509_V_OK) {
          error_ +=
              std::string(" (client certificate: ") + X509_verify_cert_error_string(verify) + ")";
        }
      }
      break;
    }
  }
  ERR_clear_error();
  return Handshake::kFailed;
}

Session::Handshake OpenSslSession::finished() {
  // A context's ALPN list (the ssl_context hook's) may offer a protocol
  // other than HTTP/1; a client that chose it would speak what no parser
  // here reads. No ALPN at all is HTTP/1.1 by default.
  const unsigned char* alpn = nullptr;
  unsigned int alpn_size = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &alpn_size);
  const std::string_view chosen(reinterpret_cast<const char*>(alpn), alpn_size);
  if (!chosen.empty() && chosen != "http/1.1" && chosen != "http/1.0") {
    failed_ = true;
    error_ = "ALPN chose '" + std::string(chosen) + "', which qilin does not serve (only HTTP/1)";
    return Handshake::kFailed;
  }
  established_ = true;
  return Handshake::kDone;
}

ssize_t OpenSslSession::failure(int ret, int broken_errno) {
  const int saved_errno = errno;
  const int kind = SSL_get_error(ssl_, ret);
  if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
    wants_write_ = kind == SSL_ERROR_WANT_WRITE;
    errno = EAGAIN;
    return -1;
  }
  failed_ = true;
  if (kind == SSL_ERROR_ZERO_RETURN) {  // close_notify while writing
    error_ = "the client closed the TLS stream";
    errno = broken_errno;
  } else if (kind == SSL_ERROR_SYSCALL) {
    error_ =
        saved_errno != 0 ? std::strerror(saved_errno) : "EOF occurred in violation of protocol";
    errno = saved_errno != 0 ? saved_errno : broken_errno;
  } else {
    unsigned long err = ERR_peek_last_error();
    error_ = is_unexpected_eof(err) ? "EOF occurred in violation of protocol" : last_reason();
    errno = broken_errno;
  }
  ERR_clear_error();
  return -1;
}

ssize_t OpenSslSession::read(char* buffer, size_t size) {
  if (ended_) return 0;  // the end of the stream stays the end, as on a socket
  if (failed_) {
    errno = ECONNRESET;
    return -1;
  }
  ERR_clear_error();
  int n = SSL_read(ssl_, buffer, clamp(size));
  if (n > 0) return n;
  const int saved_errno = errno;
  const int kind = SSL_get_error(ssl_, n);
  if (kind == SSL_ERROR_ZERO_RETURN) {  // close_notify: a clean end
    ended_ = true;
    return 0;
  }
  // An EOF without close_notify (a "ragged" EOF): with suppress_ragged_eofs
  // it ends the stream like close_notify, as Python's ssl module does.
  const bool ragged = (kind == SSL_ERROR_SSL && is_unexpected_eof(ERR_peek_last_error())) ||
                      (kind == SSL_ERROR_SYSCALL && saved_errno == 0);
  if (ragged && suppress_ragged_eofs_) {
    ended_ = failed_ = true;  // the stream is over; no close_notify after it
    ERR_clear_error();
    return 0;
  }
  errno = saved_errno;
  return failure(n, ECONNRESET);
}

ssize_t OpenSslSession::write(const char* data, size_t size) {
  if (failed_) {
    errno = EPIPE;
    return -1;
  }
  ERR_clear_error();
  int n = SSL_write(ssl_, data, clamp(size));
  if (n > 0) return n;
  return failure(n, EPIPE);
}

bool OpenSslSession::kernel_send() const {
#ifndef OPENSSL_NO_KTLS
  return BIO_get_ktls_send(SSL_get_wbio(ssl_));
#else
  return false;
#endif
}

ssize_t OpenSslSession::send_file(int file_fd, off_t offset, size_t count) {
  if (failed_) {
    errno = EPIPE;
    return -1;
  }
  ERR_clear_error();
  ossl_ssize_t n = SSL_sendfile(ssl_, file_fd, offset, count, 0);
  if (n >= 0) return n;
  return failure(int(n), EPIPE);
}

bool OpenSslSession::has_pending() const { return SSL_has_pending(ssl_) == 1; }

void OpenSslSession::close_notify() {
  if (failed_ || !established_ || notified_) return;
  notified_ = true;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // one try: the socket is about to close anyway
  ERR_clear_error();
}

std::string OpenSslSession::description() const {
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

const std::vector<std::pair<const char*, std::string>>& OpenSslSession::environ_variables() {
  if (!environ_.empty()) return environ_;
  environ_.emplace_back("SSL_PROTOCOL", SSL_get_version(ssl_));
  environ_.emplace_back("SSL_CIPHER", SSL_get_cipher_name(ssl_));
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) {
    environ_.emplace_back("SSL_CLIENT_VERIFY", "NONE");
    return environ_;
  }
  long verify = SSL_get_verify_result(ssl_);
  environ_.emplace_back("SSL_CLIENT_VERIFY",
                        verify == X509_V_OK
                            ? std::string("SUCCESS")
                            : std::string("FAILED:") + X509_verify_cert_error_string(verify));
  environ_.emplace_back("SSL_CLIENT_S_DN", name_text(X509_get_subject_name(cert)));
  environ_.emplace_back("SSL_CLIENT_S_DN_CN", common_name(X509_get_subject_name(cert)));
  environ_.emplace_back("SSL_CLIENT_I_DN", name_text(X509_get_issuer_name(cert)));
  environ_.emplace_back("SSL_CLIENT_M_SERIAL", serial_text(X509_get0_serialNumber(cert)));
  environ_.emplace_back("SSL_CLIENT_V_START", time_text(X509_get0_notBefore(cert)));
  environ_.emplace_back("SSL_CLIENT_V_END", time_text(X509_get0_notAfter(cert)));
  environ_.emplace_back("SSL_CLIENT_CERT",
                        bio_text([cert](BIO* b) { return PEM_write_bio_X509(b, cert) == 1; }));
  ERR_clear_error();
  return environ_;
}

}  // namespace qilin::tls::openssl
