#include "arbiter/binary_upgrade.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/strings.h"
#include "sys/fd.h"
#include "sys/systemd.h"

extern char** environ;

namespace qilin::arbiter {

namespace {

// The variables of a hand-over: never passed on from the environment the
// old master started with, only as this hand-over sets them.
bool is_handover_variable(std::string_view key) {
  return key == "GUNICORN_PID" || key == "GUNICORN_FD" || key == "LISTEN_PID" ||
         key == "LISTEN_FDS" || key == "LISTEN_FDNAMES";
}

std::string working_directory() {
  char buf[4096];
  const char* real = ::getcwd(buf, sizeof(buf));
  const char* pwd = std::getenv("PWD");
  struct stat a, b;
  if (pwd && *pwd == '/' && real && ::stat(pwd, &a) == 0 && ::stat(real, &b) == 0 &&
      a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
    return pwd;
  }
  return real ? real : ".";
}

std::vector<int> parse_fd_list(const char* text) {
  std::vector<int> fds;
  for (std::string_view part : split(text ? text : "", ',')) {
    auto fd = parse_int(trim(part));
    if (fd && *fd >= 0 && *fd < 1 << 20) fds.push_back(int(*fd));
  }
  return fds;
}

// Moves `fds`, in order, to kListenFdsStart and up, left open across exec.
bool move_to_systemd_slots(const std::vector<int>& fds) {
  const int first_free = sys::kListenFdsStart + int(fds.size());
  std::vector<int> moved;
  // Out of the target range first, so no dup2 below replaces a listener
  // that is still to be moved.
  for (int fd : fds) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, first_free);
    if (copy < 0) return false;
    moved.push_back(copy);
  }
  for (size_t i = 0; i < moved.size(); ++i) {
    if (::dup2(moved[i], sys::kListenFdsStart + int(i)) < 0) return false;  // not close-on-exec
  }
  return true;
}

}  // namespace

StartContext StartContext::capture(int argc, char** argv) {
  StartContext start;
  for (int i = 0; i < argc; ++i) start.argv.emplace_back(argv[i]);
  start.cwd = working_directory();
  for (char** e = environ; e && *e; ++e) start.environment.emplace_back(*e);
  return start;
}

Inheritance Inheritance::take() {
  Inheritance inherited;
  const char* old_master = std::getenv("GUNICORN_PID");
  if (auto pid = parse_int(old_master ? old_master : ""); pid && *pid > 0) {
    inherited.old_master = pid_t(*pid);
  }
  inherited.listener_fds = sys::take_listen_fds();
  inherited.from_systemd = !inherited.listener_fds.empty();
  // As gunicorn: the old master's sockets count only for a master it
  // executed (GUNICORN_PID), and systemd's come first.
  if (!inherited.from_systemd && inherited.old_master != 0) {
    inherited.listener_fds = parse_fd_list(std::getenv("GUNICORN_FD"));
  }
  ::unsetenv("GUNICORN_PID");
  ::unsetenv("GUNICORN_FD");
  return inherited;
}

std::string exec_new_master(const StartContext& start, const std::vector<int>& listener_fds,
                            bool systemd, pid_t old_master) {
  std::vector<std::string> env;
  for (const std::string& entry : start.environment) {
    if (!is_handover_variable(std::string_view(entry).substr(0, entry.find('=')))) {
      env.push_back(entry);
    }
  }
  env.push_back("GUNICORN_PID=" + std::to_string(old_master));
  if (systemd) {
    if (!move_to_systemd_slots(listener_fds)) {
      return std::string("cannot pass the sockets on: ") + std::strerror(errno);
    }
    env.push_back("LISTEN_PID=" + std::to_string(getpid()));  // exec keeps the pid
    env.push_back("LISTEN_FDS=" + std::to_string(listener_fds.size()));
  } else {
    std::string list;
    for (int fd : listener_fds) {
      if (!sys::set_cloexec(fd, false)) {
        return "cannot pass fd " + std::to_string(fd) + " on: " + std::strerror(errno);
      }
      list += (list.empty() ? "" : ",") + std::to_string(fd);
    }
    env.push_back("GUNICORN_FD=" + list);
  }
  if (start.argv.empty()) return "no command line to execute";
  if (::chdir(start.cwd.c_str()) != 0) {
    return "cannot chdir to '" + start.cwd + "': " + std::strerror(errno);
  }
  std::vector<char*> argv, envp;
  for (const std::string& a : start.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // execvp looks the program up in PATH as the old master started with it.
  char** const current = environ;
  environ = envp.data();
  ::execvp(argv[0], argv.data());
  const int err = errno;
  environ = current;  // envp is about to go
  return "cannot execute '" + start.argv[0] + "': " + std::strerror(err);
}

}  // namespace qilin::arbiter
