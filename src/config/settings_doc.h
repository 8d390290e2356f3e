// docs/settings.md, generated from THE settings table: one entry per setting,
// grouped by section, with its flags, type, default, whether qilin supports
// it yet, its one-line help and its longer description. The output does not
// depend on the environment, so the checked-in file can be compared with it
// (settings_doc_test.cc does, and rewrites it when QILIN_UPDATE_DOCS=1).
// Pure function, thread-safe.
#pragma once

#include <string>

namespace qilin::config {

std::string settings_markdown();

}  // namespace qilin::config
