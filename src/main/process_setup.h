// What the settings do to the master process itself, before any worker
// exists, as gunicorn applies them before the application loads: --env
// (raw_env) into the environment, --chdir, the worker_tmp_dir check, and
// --pythonpath. On HUP the same is done for the reloaded settings; the
// variables the previous settings set are first put back as they were before
// qilin set them (gunicorn's env_orig), so one dropped from --env goes away.
// Master's main thread, with the GIL held.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace qilin::main {

class ProcessSetup {
 public:
  // Applies `cfg`. On failure the message is one line, "Error: ...".
  Status apply(const config::Config& cfg);
  // What apply() would refuse before it changes anything: raw_env items
  // without '=', a chdir that is not a directory.
  static Status check(const config::Config& cfg);
  // Puts every variable apply() set back as it was before qilin first set it.
  Status restore_environment();
  // Sets raw_env's variables again (after restore_environment).
  Status apply_environment(const config::Config& cfg);

 private:
  // Each variable qilin set: its value before that (nullopt: it was unset).
  std::map<std::string, std::optional<std::string>> original_;
};

}  // namespace qilin::main
