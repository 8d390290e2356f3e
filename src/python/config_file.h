// The gunicorn config file: Python, executed once; every top-level name that
// is a setting is converted to the setting's value type and goes through its
// validator (Source::kConfigFile). Names that are not settings are ignored,
// as gunicorn ignores them. Hooks are checked for arity. Call with the GIL held.
#pragma once

#include <string>

#include "config/config.h"
#include "core/result.h"

namespace qilin::python {

// `location` is "PATH", "file:PATH" or "python:MODULE". A PATH runs as the
// module `__config__` (in sys.modules), whatever its extension; one that
// does not end in .py or .pyc first gets gunicorn's "!!! WARNING" block on
// stderr. On failure the message is ready for stderr, gunicorn's exit code
// for it is 1: "Error: 'PATH' doesn't exist", "Error: No module named 'M'",
// "Error: Invalid value for NAME: VALUE (why)", "Error: setting 'NAME' ...
// is not supported yet", or "Failed to read config file: LOCATION" and the
// traceback when the file or module raised.
Status load_config_file(const std::string& location, config::Config& config);

// --print-config's text for a Python object held as a setting: a callable
// (hook, class) as gunicorn shows it, "<__qualname__()>"; anything else as
// str(). A config::HandleFormatter.
std::string format_handle(config::PyHandle handle);

}  // namespace qilin::python
