#include "worker/worker_signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace qilin::worker {

namespace {
volatile sig_atomic_t g_alive = 1;
volatile sig_atomic_t g_reopen = 0;
volatile sig_atomic_t g_quick_exit = 0;
void (*g_forward)(int) = nullptr;
int g_pipe[2] = {-1, -1};

void wake() {
  int saved = errno;
  char b = 1;
  if (g_pipe[1] >= 0) (void)!::write(g_pipe[1], &b, 1);
  errno = saved;
}

void on_term(int) {
  g_alive = 0;
  wake();
}
// INT, QUIT (gunicorn's handle_quit) and ABRT (handle_abort).
void on_quick_exit(int sig) {
  g_alive = 0;
  if (!g_quick_exit) g_quick_exit = sig;
  wake();
  if (g_forward) g_forward(sig);
}
void on_usr1(int) {
  g_reopen = 1;
  wake();
}

void set_handler(int sig, void (*fn)(int)) {
  struct sigaction sa {};
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}
}  // namespace

bool WorkerSignals::install() {
  if (g_pipe[0] < 0 && ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  g_alive = 1;
  g_quick_exit = 0;
  set_handler(SIGTERM, on_term);
  set_handler(SIGINT, on_quick_exit);
  set_handler(SIGQUIT, on_quick_exit);
  set_handler(SIGABRT, on_quick_exit);
  set_handler(SIGUSR1, on_usr1);
  set_handler(SIGWINCH, SIG_IGN);
  set_handler(SIGPIPE, SIG_IGN);
  set_handler(SIGHUP, SIG_DFL);
  set_handler(SIGUSR2, SIG_DFL);
  set_handler(SIGCHLD, SIG_DFL);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  return true;
}

int WorkerSignals::wake_fd() { return g_pipe[0]; }
void WorkerSignals::drain_wake_fd() {
  char buf[64];
  while (::read(g_pipe[0], buf, sizeof(buf)) > 0) {
  }
}
bool WorkerSignals::alive() { return g_alive != 0; }
void WorkerSignals::stop() { g_alive = 0; }
bool WorkerSignals::take_reopen() {
  if (!g_reopen) return false;
  g_reopen = 0;
  return true;
}
int WorkerSignals::quick_exit_signal() { return g_quick_exit; }
void WorkerSignals::set_interrupt_forwarder(void (*forward)(int)) { g_forward = forward; }

}  // namespace qilin::worker
