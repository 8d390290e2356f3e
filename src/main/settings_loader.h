// Reads one run's settings in gunicorn's order and precedence:
//   1. the command line (argv);
//   2. the defaults, with PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS applied,
//      and default_proc_name = APP_MODULE;
//   3. GUNICORN_CMD_ARGS, parsed like a second command line (its APP_MODULE,
//      if any, is not one: gunicorn ignores it);
//   4. the interpreter is started (the config file is Python);
//   5. the config file: -c of the command line, else -c of GUNICORN_CMD_ARGS,
//      else ./gunicorn.conf.py when it exists;
//   6. GUNICORN_CMD_ARGS's settings over it, then the command line's;
//   7. the application: APP_MODULE, else wsgi_app.
// At start-up this is the edge: every failure is printed here (argparse's
// usage error, "Error: ..." on one line, or a config file's traceback), as
// are -h and -v. On HUP the same steps run again with the interpreter already
// up (reload_settings), and a failure is a message for the error log.
// Main thread only (the master's, on HUP, with the GIL held).
#pragma once

#include <optional>
#include <span>
#include <string>

#include "config/config.h"

namespace qilin::main {

struct Settings {
  config::Config config;
  std::string app_spec;  // "module:callable", from APP_MODULE or wsgi_app
};

// `args` is argv without argv[0]; `argv0` becomes sys.argv[0]. Returns the
// exit code when the process must end here (0 after -h or -v, 2 for a usage
// error, 1 for a bad setting, config file or missing application), with its
// output already written; otherwise fills `out` and returns nullopt. On
// return the interpreter is running (unless the command line alone ended it).
std::optional<int> load_settings(std::span<const std::string> args, const std::string& argv0,
                                 Settings& out);

// HUP: the same steps over the same `args`, with GUNICORN_CMD_ARGS, the
// environment defaults and the config file read again. Prints nothing; on
// failure `out` is untouched and the message is what start-up would have
// printed.
Status reload_settings(std::span<const std::string> args, Settings& out);

}  // namespace qilin::main
