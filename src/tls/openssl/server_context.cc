#include "tls/openssl/server_context.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace qilin::tls::openssl {

namespace {

using Made = Result<std::shared_ptr<const ServerContext>>;

// Owns a reference to its SSL_CTX; adopt()'s `owner` is released after it.
class OpenSslServerContext final : public ServerContext {
 public:
  OpenSslServerContext(SSL_CTX* ctx, Settings settings, std::shared_ptr<const void> owner = nullptr)
      : ctx_(ctx), settings_(std::move(settings)), owner_(std::move(owner)) {}
  ~OpenSslServerContext() override { SSL_CTX_free(ctx_); }

  ssl_ctx_st* native() const override { return ctx_; }
  const Settings& settings() const override { return settings_; }

 private:
  SSL_CTX* ctx_;
  Settings settings_;
  std::shared_ptr<const void> owner_;
};

// The reason of the newest OpenSSL error ("no start line"), then clears the
// queue so the next check starts clean.
std::string openssl_reason() {
  unsigned long err = ERR_peek_last_error();
  const char* reason = err ? ERR_reason_error_string(err) : nullptr;
  std::string text = reason ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

// Whether `path` can be opened for reading; the error names the setting.
Status readable(const char* setting, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Status::error("Cannot read " + std::string(setting) + " '" + path +
                         "': " + std::strerror(errno));
  std::fclose(f);
  return Status::ok();
}

// OpenSSL's password callback: never answers, but remembers that a
// password was asked for, which is how an encrypted key shows itself.
int refuse_password(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

Status load_key(SSL_CTX* ctx, const std::string& keyfile, const std::string& certfile) {
  const std::string& path = keyfile.empty() ? certfile : keyfile;
  const char* setting = keyfile.empty() ? "certfile" : "keyfile";
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio)
    return Status::error("Cannot read " + std::string(setting) + " '" + path +
                         "': " + openssl_reason());
  bool asked = false;
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_password, &asked));
  if (asked) {
    ERR_clear_error();
    return Status::error(std::string(setting) + " '" + path +
                         "' holds an encrypted private key; qilin reads no password, so give it an "
                         "unencrypted key (openssl pkey -in KEY -out PLAIN_KEY), or load it with "
                         "its password in an ssl_context hook");
  }
  if (!key) {
    return Status::error(std::string(setting) + " '" + path + "' holds no PEM private key (" +
                         openssl_reason() + ")");
  }
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert || X509_check_private_key(cert, key.get()) != 1) {
    ERR_clear_error();
    return Status::error("certfile '" + certfile + "' and " + setting + " '" + path +
                         "' do not match (the private key is not the certificate's)");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    return Status::error("Cannot use the private key in '" + path + "': " + openssl_reason());
  }
  return Status::ok();
}

Status load_client_verification(SSL_CTX* ctx, const Settings& s) {
  if (!s.ca_certs.empty()) {
    if (Status ok = readable("ca_certs", s.ca_certs); !ok) return ok;
    if (SSL_CTX_load_verify_locations(ctx, s.ca_certs.c_str(), nullptr) != 1) {
      return Status::error("ca_certs '" + s.ca_certs + "' holds no usable PEM certificate (" +
                           openssl_reason() + ")");
    }
  } else {
    // Python's create_default_context(cafile=None) loads the default paths.
    SSL_CTX_set_default_verify_paths(ctx);
    ERR_clear_error();
  }
  int mode = SSL_VERIFY_NONE;
  if (s.cert_reqs == 1) mode = SSL_VERIFY_PEER;
  if (s.cert_reqs == 2) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return Status::ok();
}

}  // namespace

Made create(const Settings& s) {
  if (s.cert_reqs < 0 || s.cert_reqs > 2) {
    return Made::error("Invalid value for cert_reqs: " + std::to_string(s.cert_reqs) +
                       " (0: no client certificate, 1: optional, 2: required)");
  }
  if (s.certfile.empty())
    return Made::error("keyfile is set but certfile is not: TLS needs a certificate");
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Made::error("Cannot create the TLS context: " + openssl_reason());
  SSL_CTX* c = ctx.get();

  if (Status ok = readable("certfile", s.certfile); !ok) return ok;
  if (!s.keyfile.empty()) {
    if (Status ok = readable("keyfile", s.keyfile); !ok) return ok;
  }
  if (SSL_CTX_use_certificate_chain_file(c, s.certfile.c_str()) != 1) {
    return Made::error("certfile '" + s.certfile + "' holds no PEM certificate (" +
                       openssl_reason() + ")");
  }
  if (Status ok = load_key(c, s.keyfile, s.certfile); !ok) return ok;
  if (Status ok = load_client_verification(c, s); !ok) return ok;
  // The chain the server sends is completed from the CA store here, once,
  // rather than at every handshake (where OpenSSL would search the store,
  // a directory scan with the system paths). It holds what certfile gave,
  // plus whatever the store adds; a chain that does not verify is kept as is.
  SSL_CTX_build_cert_chain(c, SSL_BUILD_CHAIN_FLAG_UNTRUSTED | SSL_BUILD_CHAIN_FLAG_NO_ROOT |
                                  SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
                                  SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
  ERR_clear_error();

  const std::string ciphers = s.ciphers.empty() ? std::string(kDefaultCiphers) : s.ciphers;
  if (SSL_CTX_set_cipher_list(c, ciphers.c_str()) != 1) {
    ERR_clear_error();
    return Made::error("Invalid value for ciphers: '" + s.ciphers +
                       "' (OpenSSL selects no cipher from it)");
  }
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE |
                             SSL_OP_NO_RENEGOTIATION | SSL_OP_ENABLE_KTLS);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  // Needed for session resumption once clients are verified.
  static const unsigned char kSessionContext[] = "qilin";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof(kSessionContext) - 1);
  SSL_CTX_set_dh_auto(c, 1);
  return std::shared_ptr<const ServerContext>(new OpenSslServerContext(ctx.release(), s));
}

Made adopt(SSL_CTX* ctx, Settings settings, std::shared_ptr<const void> owner) {
  ERR_clear_error();
  // TLS_client_method() has no server side: every handshake would fail.
  if (SSL_CTX_get_ssl_method(ctx) == TLS_client_method()) {
    return Made::error("it is a client-side context, which cannot accept connections");
  }
  if (!SSL_CTX_get0_certificate(ctx)) return Made::error("it holds no certificate");
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Made::error("its private key is missing or is not its certificate's");
  }
  if (SSL_CTX_up_ref(ctx) != 1) return Made::error("OpenSSL refused a reference to it");
  SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
  SSL_CTX_set_keylog_callback(ctx, nullptr);
  SSL_CTX_set_msg_callback(ctx, nullptr);
  return std::shared_ptr<const ServerContext>(
      new OpenSslServerContext(ctx, std::move(settings), std::move(owner)));
}

unsigned long openssl_version_number() { return OpenSSL_version_num(); }

const char* openssl_version_text() { return OpenSSL_version(OPENSSL_VERSION); }

bool shares_libssl(const std::string& path) {
  void* module = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!module) return false;
  // dlsym on a handle searches the object, then what it links, in load
  // order: the function its own calls reach. TLS_server_method() returns a
  // table inside the libssl that defines it, so the two answers are the
  // same pointer only when it is the same library (a function's address in
  // the executable may be a PLT stub; the table's never is).
  using MethodFn = const SSL_METHOD* (*)();
  auto theirs = reinterpret_cast<MethodFn>(::dlsym(module, "TLS_server_method"));
  const bool same = theirs && theirs() == TLS_server_method();
  ::dlclose(module);
  return same;
}

}  // namespace qilin::tls::openssl
