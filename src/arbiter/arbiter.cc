#include "arbiter/arbiter.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "log/statsd.h"
#include "sys/heartbeat_table.h"
#include "sys/process_owner.h"
#include "sys/proc_title.h"

namespace qilin::arbiter {

namespace {

constexpr int kWorkerBootError = 3;
constexpr int kAppLoadError = 4;
constexpr int kMainLoopFailure = 255;  // gunicorn's sys.exit(-1)

const char* signal_name(int sig) {
  switch (sig) {
    case SIGHUP: return "hup";
    case SIGTERM: return "term";
    case SIGINT: return "int";
    case SIGQUIT: return "quit";
    case SIGTTIN: return "ttin";
    case SIGTTOU: return "ttou";
    case SIGUSR1: return "usr1";
    case SIGUSR2: return "usr2";
    case SIGWINCH: return "winch";
    case SIGCHLD: return "chld";
    default: return "unknown";
  }
}

std::string signal_full_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "code " + std::to_string(sig);
}

}  // namespace

Arbiter::Arbiter(ArbiterOptions options, log::ErrorLog& log, WorkerRuntime& runtime, Hooks& hooks,
                 Reloader& reloader, StartContext start, Inheritance inherited)
    : options_(std::move(options)),
      log_(log),
      runtime_(runtime),
      hooks_(hooks),
      reloader_(reloader),
      start_(std::move(start)),
      inherited_(std::move(inherited)),
      systemd_(inherited_.from_systemd),
      master_pid_(inherited_.old_master),
      num_workers_(0) {}

Arbiter::~Arbiter() = default;

int Arbiter::run() {
  pid_ = getpid();
  sys::set_proc_title(master_title());
  hooks_.attach(*this);
  // gunicorn sets the count while it builds its arbiter, before it logs anything.
  num_workers_ = options_.workers;
  if (Status s = hooks_.nworkers_changed(options_.workers, std::nullopt); !s) {
    return startup_failed("nworkers_changed", s);
  }
  log_.info(std::string("Starting qilin ") + QILIN_VERSION);
  if (!heartbeat_.valid()) {
    log_.error("could not map the heartbeat table");
    return 1;
  }
  if (!options_.pidfile.empty()) {
    if (Status s = pidfile_.create(pidfile_path(), getpid()); !s) {
      log_.error(s.message());
      return 1;
    }
  }
  if (Status s = hooks_.on_starting(); !s) return startup_failed("on_starting", s);
  auto bound = !inherited_.listener_fds.empty()
                   ? adopt_listeners()
                   : sys::open_listeners(options_.bind, options_.listen,
                                         [this](const std::string& line) { log_.error(line); });
  if (!bound) {
    log_.error(bound.message());
    pidfile_.unlink();
    return 1;
  }
  listeners_ = std::move(*bound);
  if (inherited_.listener_fds.empty()) listener_binds_ = options_.bind;
  for (auto& l : listeners_) sys::set_nonblocking(l.fd(), true);
  log_listening();
  if (!options_.metrics_bind.empty()) {
    metrics_ = std::make_unique<MetricsExporter>();
    start_metrics();
    if (metrics_pending_ && master_pid_ == 0) {
      close_listeners();
      pidfile_.unlink();
      return 1;
    }
  }
  log_.info("Using worker: " + options_.worker_class);

  signals_.install({SIGHUP, SIGQUIT, SIGINT, SIGTERM, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGWINCH,
                    SIGCHLD});
  ::signal(SIGPIPE, SIG_IGN);
  if (Status s = hooks_.when_ready(); !s) return startup_failed("when_ready", s);

  manage_workers();
  while (!exit_code_) {
    maybe_promote_master();
    pollfd p{signals_.fd(), POLLIN, 0};
    // A reload plan waits on new workers getting ready, and READY=1 on the
    // first: look more often.
    const bool watching = reload_ || (!ready_sent_ && notifier_.enabled());
    ::poll(&p, 1, int(feed_watchdog(watching ? 50 : 1000)));
    std::vector<int> pending = signals_.drain();
    // SIGCHLD first so a halting exit code is seen before anything else.
    reap_workers();
    for (int sig : pending) {
      if (exit_code_) break;
      dispatch(sig);
    }
    if (exit_code_) break;
    murder_workers();
    advance_reload();
    manage_workers();
    notify_ready_once_serving();
  }
  return shut_down();
}

int Arbiter::shut_down() {
  shutting_down_ = true;
  notify_stopping();
  if (loop_failure_) {
    log_.error("Unhandled exception in main loop\n" + *loop_failure_);
    stop(false);
    pidfile_.unlink();
    return kMainLoopFailure;
  }
  int code = *exit_code_;
  if (code == 0 && halt_reason_.empty()) {
    stop(stopping_graceful_);
    log_.info("Shutting down: " + master_name());
  } else {
    code = halt(halt_reason_, code);
  }
  pidfile_.unlink();
  if (Status s = hooks_.on_exit(); !s) {
    // gunicorn's on_exit raises out of the process: exit code 1.
    log_.error("Exception in on_exit hook\n" + s.message());
    return 1;
  }
  return code;
}

Status Arbiter::change_num_workers(int count) {
  int old = num_workers_;
  num_workers_ = count;
  return hooks_.nworkers_changed(count, old);
}

void Arbiter::hook_failed(const std::string& hook, const Status& status) {
  if (shutting_down_) {
    log_.error("Exception in " + hook + " hook\n" + status.message());
    return;
  }
  if (!loop_failure_) loop_failure_ = status.message();
  exit_code_ = kMainLoopFailure;
}

int Arbiter::startup_failed(const std::string& hook, const Status& status) {
  log_.error("Exception in " + hook + " hook\n" + status.message());
  close_listeners();
  pidfile_.unlink();
  return 1;
}

void Arbiter::dispatch(int sig) {
  if (sig != SIGCHLD) log_.info(std::string("Handling signal: ") + signal_name(sig));
  switch (sig) {
    case SIGHUP: handle_hup(); break;
    case SIGTERM: handle_term(); break;
    case SIGINT: handle_int(); break;
    case SIGQUIT: handle_quit(); break;
    case SIGTTIN: handle_ttin(); break;
    case SIGTTOU: handle_ttou(); break;
    case SIGUSR1: handle_usr1(); break;
    case SIGWINCH: handle_winch(); break;
    case SIGUSR2: handle_usr2(); break;
    default: break;
  }
}

void Arbiter::handle_term() {
  stopping_graceful_ = true;
  exit_code_ = 0;
}
void Arbiter::handle_int() {
  stopping_graceful_ = false;
  exit_code_ = 0;
}
void Arbiter::handle_quit() { handle_int(); }

void Arbiter::handle_ttin() {
  if (Status s = change_num_workers(num_workers_ + 1); !s) return hook_failed("nworkers_changed", s);
  manage_workers();
}

void Arbiter::handle_ttou() {
  if (num_workers_ <= 1) return;
  if (Status s = change_num_workers(num_workers_ - 1); !s) return hook_failed("nworkers_changed", s);
  manage_workers();
}

void Arbiter::handle_usr1() {
  log::LogFile::reopen_all();
  kill_workers(SIGUSR1);
}

void Arbiter::handle_winch() {
  // As gunicorn: only a daemonized master stops its workers on WINCH (the
  // binary-upgrade dance); in a terminal, WINCH is just a resize.
  if (!options_.daemonized) {
    log_.debug("SIGWINCH ignored. Not daemonized");
    return;
  }
  log_.info("graceful stop of workers");
  if (Status s = change_num_workers(0); !s) return hook_failed("nworkers_changed", s);
  kill_workers(SIGTERM);
}

void Arbiter::spawn_worker() {
  int slot = heartbeat_.acquire();
  if (slot < 0) {
    log_.error("too many workers: no free heartbeat slot");
    return;
  }
  int age = ++next_age_;
  worker::WorkerOptions per_worker = options_.worker;
  if (options_.max_requests > 0) {
    int64_t jitter = 0;
    if (options_.max_requests_jitter > 0) {
      std::random_device rd;
      jitter = std::uniform_int_distribution<int64_t>(0, options_.max_requests_jitter)(rd);
    }
    per_worker.max_requests = options_.max_requests + jitter;
  }
  WorkerContext context{age, slot, listeners_, heartbeat_, log_, per_worker};
  if (metrics_) context.metrics = metrics_->worker_started(slot);
  if (Status s = hooks_.pre_fork(context); !s) {
    heartbeat_.release(slot);
    return hook_failed("pre_fork", s);
  }
  runtime_.before_fork();
  pid_t pid = ::fork();
  if (pid < 0) {
    runtime_.after_fork_parent();
    heartbeat_.release(slot);
    log_.error(std::string("fork failed: ") + std::strerror(errno));
    return;
  }
  if (pid == 0) run_child(context);
  runtime_.after_fork_parent();
  workers_[pid] = WorkerRecord{age, slot, sys::monotonic_ms()};
  hooks_.forked(age, pid);
}

// The worker process, as gunicorn's spawn_worker child branch: post_fork,
// the worker itself, then "Worker exiting" and worker_exit whatever happened.
void Arbiter::run_child(const WorkerContext& context) {
  signals_.reset();
  if (metrics_) ::close(metrics_->listen_fd());  // the master's alone
  runtime_.after_fork_child();
  sys::set_proc_title("qilin: worker [" + proc_name() + "]");
  log_.info("Booting worker with pid: " + std::to_string(getpid()));
  int code;
  if (Status s = hooks_.post_fork(context); !s) {
    log_.error("Exception in worker process\n" + s.message());
    code = kWorkerBootError;
  } else if (Status owner = sys::set_owner_process(uid_t(options_.uid), gid_t(options_.gid),
                                                   options_.initgroups);
             !owner) {
    log_.error("Exception in worker process\n" + owner.message());
    code = kWorkerBootError;
  } else {
    code = runtime_.run_worker(context);
  }
  log_.info("Worker exiting (pid: " + std::to_string(getpid()) + ")");
  if (Status s = hooks_.worker_exit(context.age); !s) {
    log_.warning("Exception during worker exit:\n" + s.message());
  }
  runtime_.exit_worker();
  ::_exit(code);
}

void Arbiter::manage_workers() {
  // While a reload plan runs, it alone starts and retires workers.
  if (!reload_) {
    while (int(workers_.size()) < num_workers_ && !exit_code_) {
      size_t before = workers_.size();
      spawn_worker();
      if (workers_.size() == before) break;
    }
    const size_t keep = size_t(std::max(0, num_workers_.load()));
    if (workers_.size() > keep) {
      std::vector<std::pair<int, pid_t>> by_age;
      for (auto& [pid, w] : workers_) by_age.push_back({w.age, pid});
      std::sort(by_age.begin(), by_age.end());
      for (size_t i = 0; i + keep < by_age.size(); ++i) retire_worker(by_age[i].second);
    }
  }
  report_worker_metrics();
}

void Arbiter::retire_worker(pid_t pid) {
  auto it = workers_.find(pid);
  if (it == workers_.end() || it->second.retired_ms != 0) return;  // already stopping
  it->second.retired_ms = sys::monotonic_ms();
  kill_worker(pid, SIGTERM);
}

void Arbiter::report_worker_metrics() {
  log::Statsd* statsd = log_.statsd();
  const int active = int(std::min(workers_.size(), size_t(std::max(0, num_workers_.load()))));
  if (active != reported_workers_) {
    reported_workers_ = active;
    log_.debug(std::to_string(active) + " workers");
    if (statsd) statsd->gauge("gunicorn.workers", active);
  }
  if (!options_.backlog_metric && !metrics_) return;
  int backlog = 0;
  bool any_tcp = false;
  for (const auto& l : listeners_) {
    if (l.is_unix()) continue;
    any_tcp = true;
    backlog += sys::listen_queue_length(l.fd());
  }
  if (metrics_) metrics_->update(int(workers_.size()), num_workers_.load(), any_tcp ? backlog : -1);
  if (options_.backlog_metric && any_tcp) {
    log_.debug("socket backlog: " + std::to_string(backlog));
    if (statsd) statsd->histogram("gunicorn.backlog", backlog);
  }
}

void Arbiter::murder_workers() {
  if (options_.timeout_seconds <= 0) return;
  const int64_t now = sys::monotonic_ms();
  for (auto& [pid, w] : workers_) {
    if (now - heartbeat_.last_beat_ms(w.slot) <= int64_t(options_.timeout_seconds) * 1000) continue;
    if (!w.aborted) {
      log_.critical("WORKER TIMEOUT (pid:" + std::to_string(pid) + ")");
      w.aborted = true;
      hooks_.aborted(w.age);
      kill_worker(pid, SIGABRT);
    } else {
      kill_worker(pid, SIGKILL);
    }
  }
}

void Arbiter::reap_workers() {
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == reexec_pid_) {
      reexec_pid_ = 0;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_.info("New master (pid:" + std::to_string(pid) + ") exited");
      } else {
        log_.error("New master (pid:" + std::to_string(pid) + ") " +
                   (WIFEXITED(status) ? "exited with code " + std::to_string(WEXITSTATUS(status))
                                      : "was sent " + signal_full_name(WTERMSIG(status))));
      }
      continue;
    }
    auto it = workers_.find(pid);
    if (it == workers_.end()) continue;  // not ours (qilin as PID 1): reaped quietly
    const int age = it->second.age;
    if (metrics_) {
      metrics_->worker_exited(it->second.slot);
      if (auto cause = restart_cause(it->second, status)) metrics_->restarted(*cause);
    }
    heartbeat_.release(it->second.slot);
    workers_.erase(it);
    if (WIFEXITED(status)) {
      int code = WEXITSTATUS(status);
      // gunicorn halts before child_exit for these two.
      if (code == kWorkerBootError && !exit_code_) {
        exit_code_ = kWorkerBootError;
        halt_reason_ = "Worker failed to boot.";
        continue;
      } else if (code == kAppLoadError && !exit_code_) {
        exit_code_ = kAppLoadError;
        halt_reason_ = "App failed to load.";
        continue;
      } else if (code > 0) {
        log_.error("Worker (pid:" + std::to_string(pid) + ") exited with code " +
                   std::to_string(code) + ".");
      }
    } else if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      std::string msg = "Worker (pid:" + std::to_string(pid) + ") was sent " + signal_full_name(sig) + "!";
      if (sig == SIGKILL) msg += " Perhaps out of memory?";
      log_.error(msg);
    }
    if (Status s = hooks_.child_exit(age); !s) hook_failed("child_exit", s);
  }
}

std::optional<log::RestartCause> Arbiter::restart_cause(const WorkerRecord& worker, int status) const {
  if (shutting_down_ || exit_code_) return std::nullopt;
  if (worker.aborted) return log::RestartCause::kTimeout;
  // HUP retired it, or --reload saw its code change.
  if (worker.reloaded || heartbeat_.code_changed(worker.slot)) return log::RestartCause::kReload;
  if (worker.retired_ms != 0) return std::nullopt;  // TTOU or a smaller count
  // Leaving on its own with 0 is a max_requests recycle; anything else is a crash.
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return log::RestartCause::kMaxRequests;
  return log::RestartCause::kCrash;
}

void Arbiter::kill_worker(pid_t pid, int sig) {
  if (::kill(pid, sig) != 0 && errno == ESRCH) {
    auto it = workers_.find(pid);
    if (it != workers_.end()) {
      const int age = it->second.age;
      heartbeat_.release(it->second.slot);
      workers_.erase(it);
      if (Status s = hooks_.worker_exit(age); !s) hook_failed("worker_exit", s);
    }
  }
}

void Arbiter::kill_workers(int sig) {
  std::vector<pid_t> pids;
  for (auto& [pid, w] : workers_) pids.push_back(pid);
  for (pid_t pid : pids) kill_worker(pid, sig);
}

bool Arbiter::keep_socket_files() const {
  // gunicorn's stop(): unlink only when no other master shares the sockets.
  return reexec_pid_ != 0 || master_pid_ != 0 || systemd_;
}

void Arbiter::close_listeners() {
  for (auto& l : listeners_) l.close(keep_socket_files());
}

void Arbiter::stop(bool graceful) {
  close_listeners();
  int sig = graceful ? SIGTERM : SIGQUIT;
  kill_workers(sig);
  const int64_t limit = sys::monotonic_ms() + int64_t(options_.graceful_timeout_seconds) * 1000;
  while (!workers_.empty() && sys::monotonic_ms() < limit) {
    reap_workers();
    for (int s : signals_.drain()) {
      // A quick-stop signal during a graceful stop switches to quick.
      if (graceful && (s == SIGINT || s == SIGQUIT)) {
        log_.info(std::string("Handling signal: ") + signal_name(s));
        graceful = false;
        kill_workers(SIGQUIT);
      }
    }
    if (!workers_.empty()) ::usleep(100 * 1000);
  }
  kill_workers(SIGKILL);
  while (!workers_.empty()) {
    int status;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    if (pid == reexec_pid_) reexec_pid_ = 0;
    auto it = workers_.find(pid);
    if (it != workers_.end()) {
      const int age = it->second.age;
      heartbeat_.release(it->second.slot);
      workers_.erase(it);
      if (Status s = hooks_.child_exit(age); !s) hook_failed("child_exit", s);
    }
  }
}

int Arbiter::halt(const std::string& reason, int code) {
  stop(true);
  log_.info("Shutting down: " + master_name());
  if (!reason.empty()) log_.info("Reason: " + reason);
  return code;
}

}  // namespace qilin::arbiter
