// The TLS server context of a qilin run: certificate chain, private key,
// client-certificate policy and cipher list, loaded once from the settings
// (in the master, before forking, so a bad file is refused at start-up; each
// worker process then serves every connection from its inherited copy).
//
// Defaults follow what gunicorn's default context gets from Python's
// ssl.create_default_context(Purpose.CLIENT_AUTH): TLS 1.2 at least,
// Python's cipher list, no compression, the server's cipher order, and the
// system's CA paths when ca_certs is unset. On top of that: renegotiation
// is refused; the certificate chain is completed from the CA store once,
// here, not at every handshake; and kernel TLS is asked for
// (SSL_OP_ENABLE_KTLS), so that a file response can still go out with
// sendfile where the kernel allows it.
//
// adopt() serves instead from a context made elsewhere in this process (the
// ssl.SSLContext the ssl_context hook returns), with that context's own
// settings.
//
// An interface: the implementation, and OpenSSL with it, is in
// libqilin-tls.so (src/tls/openssl/), which the static functions below load
// on their first call (tls/library.h). A process that never calls them
// never maps libssl or libcrypto.
//
// Immutable after create() or adopt(): any number of threads may start
// sessions on it.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace qilin::tls {

// What the settings say (gunicorn's SSL section), as plain data.
struct Settings {
  std::string certfile;              // PEM certificate, then its chain
  std::string keyfile;               // PEM private key; "" when it is in certfile
  std::string ca_certs;              // PEM CA bundle for client certificates; "": system paths
  int cert_reqs = 0;                 // 0 none, 1 optional, 2 required (ssl.CERT_*)
  std::string ciphers;               // OpenSSL cipher list (TLS 1.2 and below); "": Python's
  bool suppress_ragged_eofs = true;  // an EOF without close_notify reads as a clean EOF
};

// Python's default cipher list (3.10 and later), which gunicorn's default
// context inherits.
inline constexpr const char* kDefaultCiphers =
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";

class ServerContext {
 public:
  // Loads and checks everything. The error is one line naming the setting
  // and the file: unreadable, not PEM, an encrypted key (no password source
  // is supported), a key that is not the certificate's, a cert_reqs other
  // than 0/1/2, a cipher list OpenSSL matches nothing with; or that
  // libqilin-tls.so cannot be loaded.
  static Result<std::shared_ptr<const ServerContext>> create(const Settings& settings);

  // Serves from `ctx`, a context made in this process by other code linked
  // to the same libssl (check with shares_libssl()): takes a reference to
  // it (SSL_CTX_up_ref) and keeps `owner` alive as long as this object,
  // because callbacks `ctx` holds may point into it (Python's ALPN selection
  // reads the protocol list its SSLContext object holds). Certificates,
  // verification, versions, ciphers, options and ALPN stay as `ctx` has
  // them. Added: kernel TLS. Removed: the key-log and message callbacks,
  // which need their maker's per-connection data (qilin's connections have
  // none). `settings` gives what a context does not hold
  // (suppress_ragged_eofs). The error is one line: a client-side context, no
  // certificate, a key that is not the certificate's, libqilin-tls.so
  // cannot be loaded.
  static Result<std::shared_ptr<const ServerContext>> adopt(ssl_ctx_st* ctx, Settings settings,
                                                            std::shared_ptr<const void> owner);

  virtual ~ServerContext() = default;
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // The OpenSSL context sessions are made from; this object holds a
  // reference to it.
  virtual ssl_ctx_st* native() const = 0;
  virtual const Settings& settings() const = 0;

 protected:
  ServerContext() = default;
};

// The libssl qilin serves with: OpenSSL_version_num() and its text
// ("OpenSSL 3.0.19 27 Jan 2026"). They load libqilin-tls.so; when it cannot
// be loaded, 0 and a text saying so.
unsigned long openssl_version_number();
const char* openssl_version_text();
// Whether the shared object at `path`, already loaded in this process,
// calls into the very libssl qilin serves with (not another copy, even of
// the same version), so that a context it made can be adopted. False when
// it is not loaded, or when libqilin-tls.so cannot be.
bool shares_libssl(const std::string& path);

}  // namespace qilin::tls
