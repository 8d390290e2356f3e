// Splitting GUNICORN_CMD_ARGS into words the way gunicorn does, with Python's
// shlex.split: POSIX quoting ('...', "...", backslash escapes), no comments.
// Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace qilin::config {

// Errors carry shlex's wording: "No closing quotation", "No escaped character".
// gunicorn reports them as "Error: MESSAGE" and exits 1.
Result<std::vector<std::string>> split_shell_words(std::string_view text);

}  // namespace qilin::config
