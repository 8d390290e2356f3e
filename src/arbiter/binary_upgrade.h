// The process side of USR2's binary upgrade (gunicorn's reexec): what a
// master keeps from its start to execute itself again (StartContext), what a
// master finds in its environment when it was started that way or by
// systemd with sockets (Inheritance), and the exec itself. The dance around
// it (fork, pre_exec, the ".2" pidfile, promotion) is the Arbiter's, in
// arbiter_upgrade.cc.
//
// The hand-over, as gunicorn's: the new master's environment is the one the
// old master started with, plus GUNICORN_PID (the old master's pid) and
// either GUNICORN_FD ("5,6": the listeners, left open across exec) or, when
// the sockets came from systemd, LISTEN_FDS/LISTEN_PID with the listeners
// moved to fds 3, 4, ...
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace qilin::arbiter {

struct StartContext {
  std::vector<std::string> argv;  // as the process was given it
  // Where it started: $PWD when that names the working directory (so a
  // symlinked release directory is followed again), else getcwd().
  std::string cwd;
  std::vector<std::string> environment;  // "KEY=VALUE", as it started

  // First thing in main(): before the process title overwrites argv and
  // before anything changes the environment or the directory.
  static StartContext capture(int argc, char** argv);
};

struct Inheritance {
  std::vector<int> listener_fds;  // adopted instead of binding; empty: bind
  bool from_systemd = false;      // LISTEN_FDS: unix socket files are never removed
  pid_t old_master = 0;           // GUNICORN_PID: the master that executed this one

  // Reads LISTEN_PID/LISTEN_FDS (when LISTEN_PID is this process),
  // GUNICORN_PID and GUNICORN_FD, and removes them from the environment so
  // that neither the application nor a later exec mistakes them for its
  // own. Call before the interpreter starts (it copies the environment).
  static Inheritance take();
};

// In the forked child of the old master, after pre_exec: changes to
// `start.cwd` and executes `start.argv` with the environment above.
// `listener_fds` are the old master's listeners, in order. Returns only
// when that failed, with the reason.
std::string exec_new_master(const StartContext& start, const std::vector<int>& listener_fds,
                            bool systemd, pid_t old_master);

}  // namespace qilin::arbiter
