// Inside libqilin-tls.so: Session made with OpenSSL, on a context from
// server_context.h (its native() SSL_CTX). The contract is tls/session.h's.
// Not for code outside src/tls/openssl/.
#pragma once

#include <memory>

#include "tls/session.h"

namespace qilin::tls::openssl {

std::unique_ptr<Session> accept(const ServerContext& context, int fd);

}  // namespace qilin::tls::openssl
