// Loading libqilin-tls.so (from beside this test binary), ServerContext's
// checks of the files and of an adopted context, and a Session driven over a
// non-blocking socketpair against an OpenSSL client in the same thread: the
// handshake's kAgain steps, reads and writes, the ends of a stream
// (close_notify, a ragged EOF with and without suppress_ragged_eofs), plain
// HTTP where a ClientHello should be, and what ALPN may choose on an adopted
// context.
#include "tls/session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tls/library.h"
#include "tls/server_context.h"

namespace qilin::tls {
namespace {

namespace fs = std::filesystem;

EVP_PKEY* new_key() { return EVP_EC_gen("P-256"); }

// A self-signed certificate for CN=localhost with `key`.
X509* self_signed(EVP_PKEY* key) {
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 42);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  return cert;
}

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qilin-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    EVP_PKEY* key = new_key();
    EVP_PKEY* other = new_key();
    X509* cert = self_signed(key);
    write("cert.pem", [&](FILE* f) { return PEM_write_X509(f, cert); });
    write("key.pem", [&](FILE* f) {
      return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    });
    write("other.pem", [&](FILE* f) {
      return PEM_write_PrivateKey(f, other, nullptr, nullptr, 0, nullptr, nullptr);
    });
    write("encrypted.pem", [&](FILE* f) {
      static char pass[] = "secret";
      return PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), reinterpret_cast<unsigned char*>(pass),
                                  6, nullptr, nullptr);
    });
    write("text.pem", [](FILE* f) { return std::fputs("not a certificate\n", f) >= 0 ? 1 : 0; });
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
  }
  void TearDown() override { fs::remove_all(dir_); }

  template <typename Fn>
  void write(const char* name, Fn fn) {
    FILE* f = std::fopen(path(name).c_str(), "w");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fn(f), 1) << name;
    std::fclose(f);
  }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  Settings settings(const char* cert = "cert.pem", const char* key = "key.pem") const {
    Settings s;
    s.certfile = path(cert);
    s.keyfile = key ? path(key) : "";
    return s;
  }

  fs::path dir_;
};

TEST_F(Files, LoadsAMatchingPair) {
  auto made = ServerContext::create(settings());
  ASSERT_TRUE(made) << made.message();
  EXPECT_NE((*made)->native(), nullptr);
}

TEST_F(Files, RefusesWhatCannotServe) {
  struct Case {
    Settings settings;
    std::string says;
  };
  Settings no_ciphers = settings();
  no_ciphers.ciphers = "NOTHING-AT-ALL";
  Settings bad_reqs = settings();
  bad_reqs.cert_reqs = 3;
  Settings missing_ca = settings();
  missing_ca.ca_certs = path("nope.pem");
  const Case cases[] = {
      {settings("nope.pem"),
       "Cannot read certfile '" + path("nope.pem") + "': No such file or directory"},
      {settings("cert.pem", "nope.pem"), "Cannot read keyfile '" + path("nope.pem") + "'"},
      {settings("text.pem"), "certfile '" + path("text.pem") + "' holds no PEM certificate"},
      {settings("cert.pem", "other.pem"), "do not match"},
      {settings("cert.pem", "encrypted.pem"), "holds an encrypted private key"},
      {settings("cert.pem", "text.pem"), "holds no PEM private key"},
      {settings("cert.pem", nullptr), "holds no PEM private key"},  // no key inside certfile
      {no_ciphers, "Invalid value for ciphers: 'NOTHING-AT-ALL'"},
      {bad_reqs, "Invalid value for cert_reqs: 3"},
      {missing_ca, "Cannot read ca_certs"},
  };
  for (const Case& c : cases) {
    auto made = ServerContext::create(c.settings);
    ASSERT_FALSE(made) << c.says;
    EXPECT_NE(made.message().find(c.says), std::string::npos) << made.message();
    EXPECT_EQ(made.message().find('\n'), std::string::npos) << made.message();
  }
}

// A server context made outside ServerContext, as Python's ssl module makes
// one: the certificate and key from the files, ALPN offering h2 then
// http/1.1 in the server's order of preference.
int select_h2_first(SSL*, const unsigned char** out, unsigned char* out_size,
                    const unsigned char* offered, unsigned int offered_size, void*) {
  static const unsigned char kServer[] = "\x02h2\x08http/1.1";
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_size, kServer, sizeof(kServer) - 1, offered,
                            offered_size) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* foreign_context(const std::string& cert, const std::string& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!cert.empty()) SSL_CTX_use_certificate_chain_file(ctx, cert.c_str());
  if (!key.empty()) SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_alpn_select_cb(ctx, select_h2_first, nullptr);
  return ctx;
}

TEST_F(Files, AdoptRefusesAContextThatCannotServe) {
  struct Case {
    SSL_CTX* ctx;
    std::string says;
  };
  const Case cases[] = {
      {SSL_CTX_new(TLS_client_method()), "client-side"},
      {foreign_context("", ""), "no certificate"},
      {foreign_context(path("cert.pem"), ""), "private key is missing"},
  };
  for (const Case& c : cases) {
    auto made = ServerContext::adopt(c.ctx, settings(), nullptr);
    ASSERT_FALSE(made) << c.says;
    EXPECT_NE(made.message().find(c.says), std::string::npos) << made.message();
    SSL_CTX_free(c.ctx);
  }
}

TEST_F(Files, AdoptKeepsItsOwnerAsLongAsTheContext) {
  SSL_CTX* ctx = foreign_context(path("cert.pem"), path("key.pem"));
  auto owner = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owner;
  {
    auto made = ServerContext::adopt(ctx, settings(), std::move(owner));
    ASSERT_TRUE(made) << made.message();
    SSL_CTX_free(ctx);  // the maker lets go; the adopted context holds its own reference
    EXPECT_EQ((*made)->native(), ctx);
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

TEST(Library, LoadedFromBesideThisBinary) {
  const auto& library = tls::library();
  ASSERT_TRUE(library) << library.message();
  EXPECT_EQ((*library)->abi, kLibraryAbi);
  EXPECT_EQ(&tls::library(), &library);  // once per process
}

TEST(Library, OnlyALoadedObjectOnThisLibsslShares) {
  EXPECT_TRUE(shares_libssl("libssl.so.3"));  // loaded: this test links it
  EXPECT_FALSE(shares_libssl("/nonexistent/_ssl.so"));
  EXPECT_EQ(openssl_version_number(), OpenSSL_version_num());
}

// A server Session and an OpenSSL client on the two ends of a socketpair,
// both non-blocking, pumped in turn in this one thread.
class Pair : public Files {
 protected:
  void SetUp() override {
    Files::SetUp();
    ::signal(SIGPIPE, SIG_IGN);  // as in a worker: a write to a gone peer is EPIPE
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    server_fd_ = fds[0];
    client_fd_ = fds[1];
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_NONE, nullptr);
    client_ = SSL_new(client_ctx_);
    SSL_set_fd(client_, client_fd_);
    SSL_set_connect_state(client_);
  }
  void TearDown() override {
    session_.reset();
    SSL_free(client_);
    SSL_CTX_free(client_ctx_);
    if (client_fd_ >= 0) ::close(client_fd_);
    ::close(server_fd_);
    Files::TearDown();
  }
  void start(bool suppress_ragged_eofs = true) {
    Settings s = settings();
    s.suppress_ragged_eofs = suppress_ragged_eofs;
    serve(ServerContext::create(s));
  }
  // Serves from foreign_context(), ALPN and all.
  void start_adopted() {
    SSL_CTX* ctx = foreign_context(path("cert.pem"), path("key.pem"));
    serve(ServerContext::adopt(ctx, settings(), nullptr));
    SSL_CTX_free(ctx);
  }
  void serve(Result<std::shared_ptr<const ServerContext>> made) {
    ASSERT_TRUE(made) << made.message();
    context_ = *made;
    session_ = Session::accept(*context_, server_fd_);
    ASSERT_NE(session_, nullptr);
  }
  // The protocols the client offers, in ALPN's wire form.
  void offer(const std::string& wire) {
    ASSERT_EQ(SSL_set_alpn_protos(client_, reinterpret_cast<const unsigned char*>(wire.data()),
                                  unsigned(wire.size())),
              0);
  }
  std::string client_alpn() const {
    const unsigned char* chosen = nullptr;
    unsigned int size = 0;
    SSL_get0_alpn_selected(client_, &chosen, &size);
    return std::string(reinterpret_cast<const char*>(chosen), size);
  }
  // Runs both handshakes to their end; the server's result.
  Session::Handshake shake() {
    Session::Handshake server = Session::Handshake::kAgain;
    for (int i = 0; i < 50 && server == Session::Handshake::kAgain; ++i) {
      (void)SSL_do_handshake(client_);
      server = session_->handshake();
    }
    (void)SSL_do_handshake(client_);
    return server;
  }
  // Reads what the server has for `client_`.
  std::string client_read() {
    char buf[256];
    int n = SSL_read(client_, buf, sizeof(buf));
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }

  int server_fd_ = -1, client_fd_ = -1;
  SSL_CTX* client_ctx_ = nullptr;
  SSL* client_ = nullptr;
  std::shared_ptr<const ServerContext> context_;
  std::unique_ptr<Session> session_;
};

TEST_F(Pair, HandshakeWaitsForTheClientThenCarriesData) {
  start();
  EXPECT_EQ(session_->handshake(), Session::Handshake::kAgain);  // no ClientHello yet
  EXPECT_FALSE(session_->wants_write());
  ASSERT_EQ(shake(), Session::Handshake::kDone);
  EXPECT_TRUE(session_->established());
  EXPECT_NE(session_->description().find("TLSv1.3"), std::string::npos);

  char buf[64];
  EXPECT_EQ(session_->read(buf, sizeof(buf)), -1);
  EXPECT_EQ(errno, EAGAIN);
  ASSERT_EQ(SSL_write(client_, "GET / HTTP/1.1\r\n\r\n", 18), 18);
  // Read in small steps: the rest of the record stays inside OpenSSL,
  // where only has_pending() can tell.
  ASSERT_EQ(session_->read(buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "GET ");
  EXPECT_TRUE(session_->has_pending());
  ASSERT_EQ(session_->read(buf, sizeof(buf)), 14);
  EXPECT_FALSE(session_->has_pending());

  ASSERT_EQ(session_->write("HTTP/1.1 200 OK\r\n", 17), 17);
  EXPECT_EQ(client_read(), "HTTP/1.1 200 OK\r\n");
  EXPECT_FALSE(session_->kernel_send());  // no kernel TLS on a unix socket

  const auto& vars = session_->environ_variables();
  ASSERT_EQ(vars.size(), 3u);
  EXPECT_STREQ(vars[2].first, "SSL_CLIENT_VERIFY");
  EXPECT_EQ(vars[2].second, "NONE");
}

TEST_F(Pair, CloseNotifyEndsTheStreamAndStaysEnded) {
  start();
  ASSERT_EQ(shake(), Session::Handshake::kDone);
  (void)SSL_shutdown(client_);
  char buf[16];
  EXPECT_EQ(session_->read(buf, sizeof(buf)), 0);
  EXPECT_EQ(session_->read(buf, sizeof(buf)), 0);
}

TEST_F(Pair, RaggedEofIsAnEndWhenSuppressed) {
  start(/*suppress_ragged_eofs=*/true);
  ASSERT_EQ(shake(), Session::Handshake::kDone);
  (void)client_read();  // the session tickets: unread, the close would be a reset
  ::close(client_fd_);
  client_fd_ = -1;
  char buf[16];
  EXPECT_EQ(session_->read(buf, sizeof(buf)), 0);
  EXPECT_EQ(session_->read(buf, sizeof(buf)), 0);
  session_->close_notify();  // nothing to say after a broken stream; must not crash
}

TEST_F(Pair, RaggedEofIsAnErrorWhenNotSuppressed) {
  start(/*suppress_ragged_eofs=*/false);
  ASSERT_EQ(shake(), Session::Handshake::kDone);
  (void)client_read();
  ::close(client_fd_);
  client_fd_ = -1;
  char buf[16];
  EXPECT_EQ(session_->read(buf, sizeof(buf)), -1);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_EQ(session_->error(), "EOF occurred in violation of protocol");
}

TEST_F(Pair, PlainHttpInsteadOfAClientHello) {
  start();
  const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(client_fd_, request, sizeof(request) - 1), ssize_t(sizeof(request) - 1));
  EXPECT_EQ(session_->handshake(), Session::Handshake::kFailed);
  EXPECT_TRUE(session_->plain_http());
  EXPECT_EQ(session_->error(), "http request");
  char buf[16];
  EXPECT_EQ(session_->read(buf, sizeof(buf)), -1);
}

TEST_F(Pair, GarbageIsAFailedHandshakeButNotHttp) {
  start();
  const char junk[] = "\x01\x02\x03\x04\x05\x06\x07\x08";
  ASSERT_EQ(::write(client_fd_, junk, 8), 8);
  EXPECT_EQ(session_->handshake(), Session::Handshake::kFailed);
  EXPECT_FALSE(session_->plain_http());
  EXPECT_FALSE(session_->error().empty());
}

TEST_F(Pair, ClientGoneMidHandshake) {
  start();
  (void)SSL_do_handshake(client_);  // the ClientHello is on its way
  ::close(client_fd_);
  client_fd_ = -1;
  Session::Handshake h = session_->handshake();
  for (int i = 0; i < 5 && h == Session::Handshake::kAgain; ++i) h = session_->handshake();
  EXPECT_EQ(h, Session::Handshake::kFailed);
}

TEST_F(Pair, AdoptedContextChoosesHttp1WithItsAlpn) {
  offer(std::string("\x08http/1.1", 9));
  start_adopted();
  ASSERT_EQ(shake(), Session::Handshake::kDone) << session_->error();
  EXPECT_EQ(client_alpn(), "http/1.1");
  ASSERT_EQ(SSL_write(client_, "GET / HTTP/1.1\r\n\r\n", 18), 18);
  char buf[64];
  EXPECT_EQ(session_->read(buf, sizeof(buf)), 18);
}

TEST_F(Pair, AlpnChoosingAnotherProtocolFailsTheHandshake) {
  offer(std::string("\x02h2\x08http/1.1", 12));  // the server prefers h2
  start_adopted();
  EXPECT_EQ(shake(), Session::Handshake::kFailed);
  EXPECT_EQ(session_->error(), "ALPN chose 'h2', which qilin does not serve (only HTTP/1)");
  EXPECT_FALSE(session_->established());
}

TEST_F(Pair, NoAlpnIsHttp1) {
  start_adopted();
  EXPECT_EQ(shake(), Session::Handshake::kDone);
  EXPECT_EQ(client_alpn(), "");
}

}  // namespace
}  // namespace qilin::tls
