// The master's USR2 binary upgrade and what it tells systemd (gunicorn's
// Arbiter.reexec, maybe_promote_master and sd_notify). The process side of
// the hand-over (environment, fds, exec) is binary_upgrade.cc; the rest of
// the master is arbiter.cc.
//
// The dance, as gunicorn's: USR2 to the master forks a child that runs
// pre_exec and executes the same command line; that new master adopts the
// listeners, writes "<pidfile>.2", names itself "NAME.2" and starts its own
// workers, so both generations accept on the same sockets. WINCH to the old
// master (when daemonized) stops its workers; TERM or QUIT then stops it.
// Once it is gone the new master is reparented, and promotes itself: the
// plain pidfile, name and title. A master that has a new one running, or is
// itself not promoted yet, ignores USR2.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "arbiter/arbiter.h"
#include "sys/heartbeat_table.h"
#include "sys/proc_title.h"

namespace qilin::arbiter {

std::string Arbiter::proc_name() const { return options_.proc_name + (master_pid_ ? ".2" : ""); }

std::string Arbiter::master_title() const { return "qilin: master [" + proc_name() + "]"; }

std::string Arbiter::pidfile_path() const { return options_.pidfile + (master_pid_ ? ".2" : ""); }

Result<std::vector<sys::Listener>> Arbiter::adopt_listeners() {
  using Kind = sys::BindAddress::Kind;
  std::vector<int> fds = inherited_.listener_fds;
  auto configured_fd = [this](int fd) {
    return std::any_of(options_.bind.begin(), options_.bind.end(), [fd](const sys::BindAddress& a) {
      return a.kind == Kind::kFd && a.fd == fd;
    });
  };
  for (const sys::BindAddress& a : options_.bind) {
    if (a.kind == Kind::kFd && std::find(fds.begin(), fds.end(), a.fd) == fds.end()) {
      fds.push_back(a.fd);
    }
  }
  std::vector<sys::Listener> listeners;
  std::vector<bool> taken(options_.bind.size(), false);
  listener_binds_.clear();
  for (int fd : fds) {
    // A socket the old master bound is this master's to unlink in the end;
    // systemd's and fd://'s are not.
    const bool owns_file = !inherited_.from_systemd && !configured_fd(fd);
    auto adopted = sys::Listener::adopt(fd, options_.listen, owns_file);
    if (!adopted) return Result<std::vector<sys::Listener>>::error(adopted.message());
    sys::BindAddress stands_for;
    stands_for.kind = Kind::kFd;
    stands_for.fd = fd;
    for (size_t i = 0; i < options_.bind.size(); ++i) {
      if (!taken[i] && adopted->serves(options_.bind[i])) {
        taken[i] = true;
        stands_for = options_.bind[i];
        break;
      }
    }
    listener_binds_.push_back(stands_for);
    listeners.push_back(std::move(*adopted));
  }
  // As gunicorn, inherited sockets replace the bind addresses: one that no
  // socket serves is not opened (until a HUP brings a changed bind).
  for (size_t i = 0; i < options_.bind.size(); ++i) {
    if (taken[i] || inherited_.from_systemd) continue;
    log_.warning("Not listening at " + sys::describe_bind_address(options_.bind[i]) +
                 ": no inherited socket serves it");
  }
  return listeners;
}

void Arbiter::handle_usr2() {
  if (reexec_pid_ != 0) {
    log_.warning("USR2 signal ignored. Child exists.");
    return;
  }
  if (master_pid_ != 0) {
    log_.warning("USR2 signal ignored. Parent exists.");
    return;
  }
  std::vector<int> fds;
  for (const auto& l : listeners_) fds.push_back(l.fd());
  runtime_.before_fork();
  const pid_t pid = ::fork();
  const int err = errno;
  if (pid == 0) run_new_master(fds);
  runtime_.after_fork_parent();
  if (pid < 0) {
    log_.error(std::string("USR2: fork failed: ") + std::strerror(err));
    return;
  }
  reexec_pid_ = pid;
}

void Arbiter::run_new_master(const std::vector<int>& listener_fds) {
  // A signal now is this child's, not the old master's (they share the pipe).
  signals_.reset();
  runtime_.after_fork_child();
  if (Status s = hooks_.pre_exec(); !s) {
    log_.error("Exception in pre_exec hook\n" + s.message());
    ::_exit(1);
  }
  const std::string why = exec_new_master(start_, listener_fds, systemd_, pid_);
  log_.error("USR2: " + why);
  ::_exit(1);
}

void Arbiter::maybe_promote_master() {
  if (master_pid_ == 0 || ::getppid() == master_pid_) return;
  log_.info("Master has been promoted.");
  master_pid_ = 0;
  promoted_ = true;
  if (!options_.pidfile.empty()) {
    if (Status s = pidfile_.rename(options_.pidfile); !s) log_.error(s.message());
  }
  sys::set_proc_title(master_title());
  if (metrics_pending_) start_metrics();
  // The old master named this one to systemd as it left; say it again in
  // case it could not (NotifyAccess=all takes it from here), then READY=1.
  notifier_.notify("MAINPID=" + std::to_string(pid_));
  ready_sent_ = false;
  notify_ready_once_serving();
}

void Arbiter::start_metrics() {
  if (Status s = metrics_->start(options_.metrics_bind); !s) {
    metrics_pending_ = true;
    if (master_pid_ != 0) {
      log_.warning(s.message() + " (the old master serves them until it exits)");
    } else {
      log_.error(s.message());
    }
    return;
  }
  metrics_pending_ = false;
  log_.info("Metrics at: " + metrics_->url() + "/metrics");
}

// ---------------------------------------------------------------- systemd

void Arbiter::notify_ready_once_serving() {
  // A master that is not promoted is not the service's main process yet.
  if (ready_sent_ || master_pid_ != 0 || !notifier_.enabled()) return;
  for (const auto& [pid, w] : workers_) {
    if (heartbeat_.ready(w.slot)) {
      notifier_.notify("READY=1\nSTATUS=Serving at " + listening_urls());
      ready_sent_ = true;
      return;
    }
  }
}

int64_t Arbiter::feed_watchdog(int64_t sleep_ms) {
  if (master_pid_ != 0) return sleep_ms;  // the old master feeds it
  auto interval = notifier_.watchdog_interval_ms(promoted_);
  if (!interval) return sleep_ms;
  const int64_t now = sys::monotonic_ms();
  if (now - last_watchdog_ms_ >= *interval) {
    notifier_.notify("WATCHDOG=1");
    last_watchdog_ms_ = now;
  }
  return std::clamp<int64_t>(last_watchdog_ms_ + *interval - now, 1, sleep_ms);
}

void Arbiter::notify_stopping() {
  if (master_pid_ != 0) return;  // the old master is still the service
  if (reexec_pid_ != 0) {
    // The service goes on in the new master: systemd follows it.
    notifier_.notify("MAINPID=" + std::to_string(reexec_pid_) +
                     "\nSTATUS=Handed over to the new master");
    return;
  }
  notifier_.notify("STOPPING=1\nSTATUS=Shutting down");
}

}  // namespace qilin::arbiter
