#include "arbiter/pidfile.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace qilin::arbiter {

namespace {
int read_pid(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::stringstream ss;
  ss << in.rdbuf();
  auto pid = parse_int(trim(ss.str(), " \t\r\n"));
  return pid ? int(*pid) : 0;
}
}  // namespace

Status Pidfile::create(const std::string& path, int pid) {
  int old = read_pid(path);
  if (old > 0 && old != pid && (::kill(old, 0) == 0 || errno == EPERM)) {
    return Status::error("Already running on PID " + std::to_string(old) + " (or pid file '" + path +
                         "' is stale)");
  }
  return write(path, pid);
}

Status Pidfile::rename(const std::string& path) {
  if (path_.empty() || path == path_) return Status::ok();
  if (read_pid(path_) == pid_ && ::rename(path_.c_str(), path.c_str()) == 0) {
    path_ = path;
    return Status::ok();
  }
  // Ours was removed or overwritten meanwhile, or cannot move: write it afresh.
  const std::string old = path_;
  Status s = write(path, pid_);
  if (s && read_pid(old) == pid_) ::unlink(old.c_str());
  return s;
}

Status Pidfile::write(const std::string& path, int pid) {
  std::string tmp = path + ".tmp" + std::to_string(pid);
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::error("Can't write pid file '" + path + "': " + std::strerror(errno));
    out << pid << "\n";
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::error("Can't write pid file '" + path + "': " + std::strerror(errno));
  }
  path_ = path;
  pid_ = pid;
  return Status::ok();
}

void Pidfile::unlink() {
  if (path_.empty()) return;
  if (read_pid(path_) == pid_) ::unlink(path_.c_str());
  path_.clear();
}

}  // namespace qilin::arbiter
