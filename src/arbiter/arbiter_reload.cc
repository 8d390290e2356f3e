// The master's HUP (gunicorn's Arbiter.reload): settings read again, the
// listeners made to follow a changed bind, and the plan that replaces the
// workers. The rest of the master is in arbiter.cc.
#include <algorithm>

#include "arbiter/arbiter.h"
#include "log/log_file.h"
#include "sys/proc_title.h"

namespace qilin::arbiter {

namespace {

// For each address of `next`, the index of the open listener of `current`
// it keeps, or -1 when it needs a new socket. An address listed twice takes
// two listeners.
std::vector<int> kept_listeners(const std::vector<sys::BindAddress>& current,
                                const std::vector<sys::BindAddress>& next) {
  std::vector<bool> taken(current.size(), false);
  std::vector<int> out;
  for (const sys::BindAddress& address : next) {
    int found = -1;
    for (size_t i = 0; i < current.size() && found < 0; ++i) {
      if (!taken[i] && current[i] == address) found = int(i);
    }
    if (found >= 0) taken[size_t(found)] = true;
    out.push_back(found);
  }
  return out;
}

}  // namespace

void Arbiter::handle_hup() {
  log_.info("Hang up: " + master_name());
  // All that can fail comes before commit(): a failure leaves the server as
  // it was, serving with the previous settings. (gunicorn's master exits
  // when the config file no longer loads.)
  Result<ArbiterOptions> next = reloader_.read();
  const bool rebind = next && next->bind != options_.bind;
  std::vector<sys::Listener> opened;  // for the addresses that are new
  if (rebind) {
    auto made = listeners_for(*next);
    if (made) {
      opened = std::move(*made);
    } else {
      next = made.status();
    }
  }
  if (!next) {
    log_.error("Reload failed, still serving with the previous settings:\n" + next.message());
    return;
  }
  reloader_.commit();
  if (ready_sent_) {
    notifier_.notify("RELOADING=1\n" + sys::monotonic_usec_line() + "\nSTATUS=Reloading");
  }
  log::LogFile::reopen_all();
  if (rebind) {
    std::vector<sys::Listener> listeners;
    auto fresh = opened.begin();
    for (int i : kept_listeners(listener_binds_, next->bind)) {
      listeners.push_back(i >= 0 ? std::move(listeners_[size_t(i)]) : std::move(*fresh++));
    }
    swap_listeners(std::move(listeners));
    listener_binds_ = next->bind;
  }
  options_ = std::move(*next);
  if (Status s = change_num_workers(options_.workers); !s)
    return hook_failed("nworkers_changed", s);
  if (Status s = hooks_.on_reload(); !s) return hook_failed("on_reload", s);
  rewrite_pidfile();
  sys::set_proc_title(master_title());
  // The workers running now are the old generation. A new one that is not
  // ready within `timeout` (30 s when that is 0) is not waited for: the
  // heartbeat check aborts it anyway. An old one still finishing its
  // requests after graceful_timeout no longer holds up the next batch.
  const int timeout = options_.timeout_seconds > 0 ? options_.timeout_seconds : 30;
  const int64_t ready_bound_ms = int64_t(timeout) * 1000;
  const int64_t gone_bound_ms = int64_t(std::max(1, options_.graceful_timeout_seconds)) * 1000;
  reload_.emplace(next_age_, options_.reload_rolling, ready_bound_ms, gone_bound_ms);
  advance_reload();
}

Result<std::vector<sys::Listener>> Arbiter::listeners_for(const ArbiterOptions& next) {
  const std::vector<int> kept = kept_listeners(listener_binds_, next.bind);
  std::vector<sys::BindAddress> missing;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i] < 0) missing.push_back(next.bind[i]);
  }
  auto opened = sys::open_listeners(missing, next.listen,
                                    [this](const std::string& line) { log_.error(line); });
  if (opened) {
    for (auto& l : *opened) sys::set_nonblocking(l.fd(), true);
  }
  return opened;
}

void Arbiter::swap_listeners(std::vector<sys::Listener> listeners) {
  // What is left in listeners_ was moved from, or is dropped: closing it here
  // keeps new workers from inheriting it, while the old workers go on
  // accepting on their own copies until they are retired.
  for (auto& l : listeners_) l.close(keep_socket_files());
  listeners_ = std::move(listeners);
  log_listening();
}

std::string Arbiter::listening_urls() const {
  std::string urls;
  for (const auto& l : listeners_) {
    if (!urls.empty()) urls += ",";
    // TLS listeners are https://, as gunicorn names them.
    const bool https = options_.worker.tls && l.url().starts_with("http:");
    urls += https ? "https" + l.url().substr(4) : l.url();
  }
  return urls;
}

void Arbiter::log_listening() {
  log_.info("Listening at: " + listening_urls() + " (" + std::to_string(pid_) + ")");
}

void Arbiter::rewrite_pidfile() {
  pidfile_.unlink();
  if (options_.pidfile.empty()) return;
  if (Status s = pidfile_.create(pidfile_path(), pid_); !s) log_.error(s.message());
}

void Arbiter::advance_reload() {
  if (!reload_ || exit_code_) return;
  std::vector<RollingReload::Worker> view;
  view.reserve(workers_.size());
  for (const auto& [pid, w] : workers_) {
    view.push_back({w.age, heartbeat_.ready(w.slot), w.started_ms, w.retired_ms});
  }
  RollingReload::Step step = reload_->step(view, num_workers_.load(), sys::monotonic_ms());
  for (int i = 0; i < step.spawn && !exit_code_; ++i) spawn_worker();
  for (int age : step.retire) {
    auto it = std::find_if(workers_.begin(), workers_.end(),
                           [age](const auto& entry) { return entry.second.age == age; });
    if (it != workers_.end()) {
      it->second.reloaded = true;
      retire_worker(it->first);
    }
  }
  if (step.done) {
    reload_.reset();
    if (ready_sent_) notifier_.notify("READY=1\nSTATUS=Reloaded");
  }
}

}  // namespace qilin::arbiter
