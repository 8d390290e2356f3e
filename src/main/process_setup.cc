#include "main/process_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/value_format.h"
#include "core/strings.h"
#include "python/interpreter.h"

namespace qilin::main {

Status ProcessSetup::check(const config::Config& cfg) {
  auto vars = cfg.environment_variables();
  if (!vars) return Status::error("Error: " + vars.message());
  if (!cfg.is_none("chdir") && !cfg.string("chdir").empty()) {
    const std::string& dir = cfg.string("chdir");
    struct stat st;
    const int err = ::stat(dir.c_str(), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (err != 0)
      return Status::error("Error: can't chdir to '" + dir + "': " + std::strerror(err));
  }
  return Status::ok();
}

Status ProcessSetup::apply_environment(const config::Config& cfg) {
  auto vars = cfg.environment_variables();
  if (!vars) return Status::error("Error: " + vars.message());
  for (const auto& [key, value] : *vars) {
    if (!original_.contains(key)) {
      const char* before = std::getenv(key.c_str());
      original_[key] = before ? std::optional<std::string>(before) : std::nullopt;
    }
    if (Status s = python::set_environment_variable(key, value); !s) return s;
  }
  return Status::ok();
}

Status ProcessSetup::restore_environment() {
  Status first;
  for (const auto& [key, before] : original_) {
    Status s = before ? python::set_environment_variable(key, *before)
                      : python::unset_environment_variable(key);
    if (!s && first) first = s;
  }
  return first;
}

Status ProcessSetup::apply(const config::Config& cfg) {
  if (Status s = apply_environment(cfg); !s) return s;
  if (!cfg.is_none("chdir") && !cfg.string("chdir").empty()) {
    const std::string& dir = cfg.string("chdir");
    if (::chdir(dir.c_str()) != 0) {
      return Status::error("Error: can't chdir to '" + dir + "': " + std::strerror(errno));
    }
    if (Status s = python::prepend_sys_path(dir); !s) return s;
  }
  if (!cfg.is_none("worker_tmp_dir")) {
    // No heartbeat file is made there (the heartbeat is shared memory), but
    // a directory gunicorn's workers could not use is refused all the same.
    const std::string& dir = cfg.string("worker_tmp_dir");
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        ::access(dir.c_str(), W_OK | X_OK) != 0) {
      return Status::error("Error: worker_tmp_dir " + config::python_repr(dir) +
                           " is not a writable directory");
    }
  }
  if (!cfg.is_none("pythonpath") && !cfg.string("pythonpath").empty()) {
    for (std::string_view part : split(cfg.string("pythonpath"), ',')) {
      std::string path(trim(part));
      if (path.empty()) continue;
      char resolved[4096];
      if (::realpath(path.c_str(), resolved)) path = resolved;
      if (Status s = python::prepend_sys_path(path); !s) return s;
    }
  }
  return Status::ok();
}

}  // namespace qilin::main
