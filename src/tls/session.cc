#include "tls/session.h"

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

namespace qilin::tls {

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

}  // namespace

std::unique_ptr<Session> Session::accept(const ServerContext& context, int fd) {
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
  return std::unique_ptr<Session>(new Session(ssl, context.settings().suppress_ragged_eofs));
}

Session::~Session() { SSL_free(ssl_); }

Session::Handshake Session::handshake() {
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

Session::Handshake Session::finished() {
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

ssize_t Session::failure(int ret, int broken_errno) {
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

ssize_t Session::read(char* buffer, size_t size) {
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

ssize_t Session::write(const char* data, size_t size) {
  if (failed_) {
    errno = EPIPE;
    return -1;
  }
  ERR_clear_error();
  int n = SSL_write(ssl_, data, clamp(size));
  if (n > 0) return n;
  return failure(n, EPIPE);
}

bool Session::kernel_send() const {
#ifndef OPENSSL_NO_KTLS
  return BIO_get_ktls_send(SSL_get_wbio(ssl_));
#else
  return false;
#endif
}

ssize_t Session::send_file(int file_fd, off_t offset, size_t count) {
  if (failed_) {
    errno = EPIPE;
    return -1;
  }
  ERR_clear_error();
  ossl_ssize_t n = SSL_sendfile(ssl_, file_fd, offset, count, 0);
  if (n >= 0) return n;
  return failure(int(n), EPIPE);
}

bool Session::has_pending() const { return SSL_has_pending(ssl_) == 1; }

void Session::close_notify() {
  if (failed_ || !established_ || notified_) return;
  notified_ = true;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // one try: the socket is about to close anyway
  ERR_clear_error();
}

std::string Session::description() const {
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

const std::vector<std::pair<const char*, std::string>>& Session::environ_variables() {
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

}  // namespace qilin::tls
