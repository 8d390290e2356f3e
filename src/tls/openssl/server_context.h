// Inside libqilin-tls.so: ServerContext made with OpenSSL, and the OpenSSL
// facts server_context.h promises. The contracts are those of
// tls/server_context.h; these are what the library's table points at
// (entry.cc). Not for code outside src/tls/openssl/.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "tls/server_context.h"

namespace qilin::tls::openssl {

Result<std::shared_ptr<const ServerContext>> create(const Settings& settings);
Result<std::shared_ptr<const ServerContext>> adopt(ssl_ctx_st* ctx, Settings settings,
                                                   std::shared_ptr<const void> owner);
unsigned long openssl_version_number();
const char* openssl_version_text();
bool shares_libssl(const std::string& path);

}  // namespace qilin::tls::openssl
