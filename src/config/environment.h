// The process facts that settings' defaults and validators depend on: the
// environment variables (PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS, SENDFILE,
// XDG_RUNTIME_DIR, HOME, PWD), the working directory, the effective uid/gid and
// user/group name lookups. This is the config layer's one seam to the
// operating system: `current()` reads the real process, tests build their own.
// A plain value; copy freely, no thread affinity.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace qilin::config {

struct Environment {
  std::map<std::string, std::string> vars;  // a snapshot of environ
  std::string cwd;  // like gunicorn's util.getcwd(): $PWD when it is the cwd
  int64_t euid = 0;
  int64_t egid = 0;
  // Name -> id lookups (getpwnam / getgrnam); nullopt when there is no such name.
  std::optional<int64_t> (*lookup_user)(std::string_view name) = nullptr;
  std::optional<int64_t> (*lookup_group)(std::string_view name) = nullptr;

  // The running process. Reads environ, the cwd and the ids once.
  static Environment current();
  // An empty environment for tests: no variables, cwd "/", ids 0, lookups
  // that find "root" (0) only.
  static Environment for_tests();

  // The variable's value, or nullopt when it is not set.
  std::optional<std::string> get(std::string_view name) const;
};

}  // namespace qilin::config
