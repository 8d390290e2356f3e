#include "config/environment.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <vector>

extern char** environ;

namespace qilin::config {
namespace {

std::optional<int64_t> real_lookup_user(std::string_view name) {
  std::string key(name);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(key.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return static_cast<int64_t>(found->pw_uid);
}

std::optional<int64_t> real_lookup_group(std::string_view name) {
  std::string key(name);
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(key.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return static_cast<int64_t>(found->gr_gid);
}

std::optional<int64_t> test_lookup(std::string_view name) {
  if (name == "root") return 0;
  return std::nullopt;
}

// gunicorn prefers $PWD when it names the working directory, so that a
// directory reached through a symlink keeps its symlinked name.
std::string working_directory(const std::map<std::string, std::string>& vars) {
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (ec) return "/";
  auto pwd = vars.find("PWD");
  if (pwd != vars.end() && std::filesystem::equivalent(pwd->second, cwd, ec) && !ec) {
    return pwd->second;
  }
  return cwd.string();
}

}  // namespace

Environment Environment::current() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  env.cwd = working_directory(env.vars);
  env.euid = static_cast<int64_t>(geteuid());
  env.egid = static_cast<int64_t>(getegid());
  env.lookup_user = real_lookup_user;
  env.lookup_group = real_lookup_group;
  return env;
}

Environment Environment::for_tests() {
  Environment env;
  env.cwd.assign(1, '/');  // not = "/": GCC 12 warns falsely (-Wrestrict)
  env.lookup_user = test_lookup;
  env.lookup_group = test_lookup;
  return env;
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = vars.find(std::string(name));
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

}  // namespace qilin::config
