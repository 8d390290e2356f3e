// The gunicorn config file: Python, executed once; every top-level name that
// is a setting is converted to the setting's value type and goes through its
// validator (Source::kConfigFile). Names that are not settings are ignored,
// as gunicorn ignores them. Hooks are checked for arity. Call with the GIL held.
#pragma once

#include <string>

#include "config/config.h"
#include "core/result.h"

namespace qilin::python {

// `location` is "PATH", "file:PATH" or "python:MODULE". On failure the
// message is ready for stderr (a traceback when the file itself raised);
// gunicorn's exit code for it is 1.
Status load_config_file(const std::string& location, config::Config& config);

}  // namespace qilin::python
