// The -h/--help text, made from THE settings table in the shape of
// argparse's help: the usage line, the positional APP_MODULE, -h and -v, then
// one group per settings section with each option's flags, metavar, one-line
// help and "[default]". Settings qilin does not implement yet are marked.
// Pure function, thread-safe.
#pragma once

#include <string>

#include "config/environment.h"

namespace qilin::config {

// `columns` is the terminal width (argparse uses $COLUMNS, else the
// terminal, else 80); text is wrapped two columns short of it. Defaults are
// shown for `env`, as gunicorn shows the defaults of the running process.
std::string help_text(const Environment& env, int columns = 80);

}  // namespace qilin::config
