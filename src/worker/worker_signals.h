// Signal handling shared by the worker kinds: handlers set flags and wake the
// loop through a self-pipe. Process-wide; install once per worker process.
#pragma once

#include <csignal>

namespace qilin::worker {

struct WorkerSignals {
  // Installs the worker's handlers (TERM, INT, QUIT, USR1, ABRT; WINCH
  // ignored; HUP, USR2, CHLD default; SIGPIPE ignored).
  static bool install();
  static int wake_fd();          // readable when a signal arrived
  static void drain_wake_fd();
  static bool alive();           // false once TERM arrived (or stop() was called)
  static void stop();
  static bool take_reopen();     // true once per USR1
};

}  // namespace qilin::worker
