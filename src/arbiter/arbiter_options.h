// Turns the resolved settings into the plain options the master and its
// workers run with. Done in the master at start-up, and again from the
// re-read settings on every HUP; every later layer reads plain data, not
// the settings table.
#pragma once

#include <functional>
#include <memory>

#include "arbiter/arbiter.h"
#include "config/config.h"
#include "core/result.h"
#include "tls/server_context.h"

namespace qilin::arbiter {

// Makes the TLS context when the settings turn TLS on. `settings` is the SSL
// section of `config`. tls::ServerContext::create is one; the python layer
// supplies the one that runs the ssl_context hook when it is set.
using TlsContextMaker = std::function<Result<std::shared_ptr<const tls::ServerContext>>(
    const config::Config& config, const tls::Settings& settings)>;

Result<ArbiterOptions> arbiter_options_from(const config::Config& config,
                                            const TlsContextMaker& make_tls_context);

}  // namespace qilin::arbiter
