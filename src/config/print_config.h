// The --print-config text: every setting, sorted by name, one per line as
// `name = value`, names padded to the longest, values as gunicorn prints them
// (Python's str(): bare strings, lists as ['a', 'b'], None, True/False).
// Pure function, thread-safe for a Config that no one is changing.
#pragma once

#include <string>

#include "config/config.h"
#include "config/value_format.h"

namespace qilin::config {

// Hooks and other Python objects are rendered by `format_handle` (the python
// layer passes one that prints "<qualname()>" for callables); a hook left at
// its default prints as "<name()>", an unset logconfig_dict as "{}". The text
// ends with a newline.
std::string print_config_text(const Config& config, const HandleFormatter& format_handle = {});

}  // namespace qilin::config
