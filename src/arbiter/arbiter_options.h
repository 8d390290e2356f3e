// Turns the resolved settings into the plain options the master and its
// workers run with. Done in the master at start-up, and again from the
// re-read settings on every HUP; every later layer reads plain data, not
// the settings table.
#pragma once

#include "arbiter/arbiter.h"
#include "config/config.h"
#include "core/result.h"

namespace qilin::arbiter {

Result<ArbiterOptions> arbiter_options_from(const config::Config& config);

}  // namespace qilin::arbiter
