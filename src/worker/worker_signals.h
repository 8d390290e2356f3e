// Signal handling shared by the worker kinds: handlers set flags and wake the
// loop through a self-pipe. Process-wide; install once per worker process.
//
//   TERM        alive() turns false: finish in-flight work, then exit.
//   INT, QUIT   quick exit (gunicorn's worker_int moment): alive() turns
//   ABRT        false and quick_exit_signal() names the signal; the loop must
//               return at once, without finishing in-flight or kept-alive
//               work. ABRT is the master's heartbeat timeout (worker_abort).
//               The process is not ended here: the interrupt forwarder (set
//               by the layer that runs the application) gets the signal, so
//               the hook can run and whatever the application is blocked in
//               can be interrupted; the worker exits when its loop returns.
//   USR1        take_reopen() turns true once: reopen the log files.
//   WINCH       ignored; HUP, USR2, CHLD default; SIGPIPE ignored.
#pragma once

#include <csignal>

namespace qilin::worker {

struct WorkerSignals {
  static bool install();
  static int wake_fd();          // readable when a signal arrived
  static void drain_wake_fd();
  static bool alive();           // false once TERM/INT/QUIT/ABRT arrived (or stop() was called)
  static void stop();
  static bool take_reopen();     // true once per USR1
  // SIGINT, SIGQUIT or SIGABRT once one arrived, else 0.
  static int quick_exit_signal();
  // Called from the INT/QUIT/ABRT handler, after the flags are set and the
  // loop is woken, in signal context: `forward` must be async-signal-safe.
  // Set it before install().
  static void set_interrupt_forwarder(void (*forward)(int signo));
};

}  // namespace qilin::worker
