// The master process (gunicorn's arbiter): binds the listeners, forks and
// watches the workers, and answers signals. It never touches a client socket.
// Signal handlers only enqueue; the loop below sleeps on that queue with a
// one-second tick (shorter while a reload waits for new workers) and
// dispatches to handle_<signal>(). Single-threaded.
// HUP reloads as gunicorn does: the settings are read again through the
// `Reloader` (a failure keeps the previous ones), the listeners follow a
// changed bind (unchanged addresses keep their socket), logs are reopened,
// on_reload runs, the pidfile is rewritten, and a RollingReload plan replaces
// the workers: new ones first, old ones retired once the new are ready.
// USR2 upgrades the binary as gunicorn does (binary_upgrade.h and
// arbiter_upgrade.cc): a forked child runs pre_exec and executes the same
// command line with the listeners handed over; that new master ("Master.2",
// pidfile "<pidfile>.2", title "NAME.2") adopts them, starts its own
// workers, and is promoted (plain names again) once the old master exits.
// Under systemd, the master reports to NOTIFY_SOCKET: READY=1 once a worker
// serves, RELOADING=1 and READY=1 around HUP, STOPPING=1, WATCHDOG=1, and
// MAINPID when a USR2 hands the service over.
// Server hooks are called through `Hooks` at gunicorn's moments; a hook that
// raises before the workers start stops the start (exit 1), one that raises
// in the loop ends it as gunicorn's "Unhandled exception in main loop" does
// (quick stop, exit 255), and one that raises while stopping is logged.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arbiter/binary_upgrade.h"
#include "arbiter/hooks.h"
#include "arbiter/metrics_exporter.h"
#include "arbiter/pidfile.h"
#include "arbiter/reloader.h"
#include "arbiter/rolling_reload.h"
#include "arbiter/worker_runtime.h"
#include "log/error_log.h"
#include "sys/bind_address.h"
#include "sys/heartbeat_table.h"
#include "sys/listener.h"
#include "sys/signal_queue.h"
#include "sys/systemd.h"
#include "worker/worker_options.h"

namespace qilin::arbiter {

struct ArbiterOptions {
  std::vector<sys::BindAddress> bind;
  sys::ListenOptions listen;
  int workers = 1;
  std::string worker_class = "sync";
  int timeout_seconds = 30;
  int graceful_timeout_seconds = 30;
  int64_t max_requests = 0;
  int64_t max_requests_jitter = 0;
  // HUP replaces this many workers at a time, each batch once the new ones
  // are ready (--reload-rolling); 0: all of them at once.
  int reload_rolling = 0;
  std::string pidfile;
  std::string proc_name = "qilin";
  int64_t uid = 0, gid = 0;  // workers switch to these (0: stay)
  bool initgroups = false;
  bool daemonized = false;   // WINCH only acts on a daemonized master, as gunicorn
  bool backlog_metric = false;  // --enable-backlog-metric: gunicorn.backlog each loop
  std::string metrics_bind;     // --metrics-bind: Prometheus at http://ADDRESS/metrics; "" off
  worker::WorkerOptions worker;  // max_requests there is set per worker, with jitter
};

class Arbiter : private MasterView {
 public:
  // `reloader` gives the settings on HUP; it must outlive the Arbiter.
  // `start` is how this process was started (USR2 executes it again);
  // `inherited` the sockets it adopts instead of binding, and the old master
  // when a USR2 executed it.
  Arbiter(ArbiterOptions options, log::ErrorLog& log, WorkerRuntime& runtime, Hooks& hooks,
          Reloader& reloader, StartContext start = {}, Inheritance inherited = {});
  ~Arbiter();
  // Runs until stopped; returns the process exit code. In a worker child it
  // never returns: the child exits with the runtime's code.
  int run();

 private:
  struct WorkerRecord {
    int age;
    int slot;
    int64_t started_ms;      // when it was forked (monotonic)
    int64_t retired_ms = 0;  // when it was told to stop gracefully; 0: not yet
    bool aborted = false;    // SIGABRT sent for a timeout; SIGKILL next
    bool reloaded = false;   // retired to make way for a HUP's new workers
  };

  void handle_hup();
  void handle_term();
  void handle_int();
  void handle_quit();
  void handle_ttin();
  void handle_ttou();
  void handle_usr1();
  void handle_winch();
  void handle_usr2();
  void dispatch(int signo);

  // MasterView, for the `server` object hooks get.
  pid_t pid() const override { return pid_; }
  std::string master_name() const override { return master_pid_ ? "Master.2" : "Master"; }
  pid_t master_pid() const override { return master_pid_; }
  pid_t reexec_pid() const override { return reexec_pid_; }
  bool systemd() const override { return systemd_; }
  std::string proc_name() const override;
  int num_workers() const override { return num_workers_; }
  void set_num_workers(int count) override { num_workers_ = count; }

  // Sets the worker count and fires nworkers_changed (gunicorn's property).
  Status change_num_workers(int count);
  // A hook raised: see the class comment. `hook` names it in the log.
  void hook_failed(const std::string& hook, const Status& status);
  // Startup: logs the failure, undoes what was set up; returns 1.
  int startup_failed(const std::string& hook, const Status& status);
  int shut_down();

  // ---- USR2 and systemd (arbiter_upgrade.cc)
  // Start-up: adopts the inherited sockets, and the fd:// binds besides;
  // no other address is bound (gunicorn's create_sockets with fds). Sets
  // listener_binds_.
  Result<std::vector<sys::Listener>> adopt_listeners();
  // The forked child of handle_usr2: pre_exec, then the new master.
  [[noreturn]] void run_new_master(const std::vector<int>& listener_fds);
  // Each tick of a master a USR2 executed: once the old master is gone (a
  // new parent), the plain pidfile, title and name.
  void maybe_promote_master();
  void start_metrics();  // --metrics-bind; a new master retries once promoted
  std::string master_title() const;
  std::string pidfile_path() const;  // "<pidfile>.2" until promoted
  // READY=1 the first time one of this master's workers serves.
  void notify_ready_once_serving();
  // WATCHDOG=1 when due; how long the loop may sleep before the next one.
  int64_t feed_watchdog(int64_t sleep_ms);
  // At exit: STOPPING=1, or MAINPID naming the new master that stays.
  void notify_stopping();

  // HUP: opens, in order and with gunicorn's retries, the addresses of
  // `next.bind` that have no socket yet; those that stay keep theirs.
  Result<std::vector<sys::Listener>> listeners_for(const ArbiterOptions& next);
  // Makes `listeners` current. What is left of the previous ones (the
  // dropped addresses) is closed here; old workers keep their own copies
  // until they exit.
  void swap_listeners(std::vector<sys::Listener> listeners);
  std::string listening_urls() const;  // "http://127.0.0.1:8000,unix:/run/q.sock"
  void log_listening();
  void rewrite_pidfile();
  // One tick of the reload plan, if one is under way.
  void advance_reload();

  void spawn_worker();
  [[noreturn]] void run_child(const WorkerContext& context);
  void manage_workers();
  // Graceful stop of one worker (TERM), remembered for the reload plan.
  void retire_worker(pid_t pid);
  void report_worker_metrics();  // the "N workers" line, gunicorn.workers, gunicorn.backlog
  void murder_workers();
  void reap_workers();
  // Why a reaped worker will be replaced, for the metrics; nullopt when it
  // will not be (retired to scale down, or the master is stopping).
  std::optional<log::RestartCause> restart_cause(const WorkerRecord& worker, int status) const;
  void kill_worker(pid_t pid, int sig);
  void kill_workers(int sig);
  // Stops all workers: TERM and graceful_timeout, or QUIT and a short wait.
  void stop(bool graceful);
  // Unix socket files stay while another master uses them (USR2 under
  // way) and when systemd made them.
  bool keep_socket_files() const;
  void close_listeners();
  // Stops, logs "Shutting down: Master" and the reason, returns `code`.
  int halt(const std::string& reason, int code);

  ArbiterOptions options_;
  log::ErrorLog& log_;
  WorkerRuntime& runtime_;
  Hooks& hooks_;
  Reloader& reloader_;
  pid_t pid_ = 0;
  std::vector<sys::Listener> listeners_;
  // What each of listeners_ stands for, index for index: the bind address
  // it was opened for, or that an adopted socket serves (fd://N when it
  // serves none). HUP keeps the listeners whose address stays.
  std::vector<sys::BindAddress> listener_binds_;
  StartContext start_;
  Inheritance inherited_;  // its fds are adopted in run()
  bool systemd_ = false;   // the listeners came from systemd
  pid_t master_pid_ = 0;   // the old master, while this one is not promoted
  pid_t reexec_pid_ = 0;   // the new master this one executed, until it exits
  bool promoted_ = false;  // told systemd it is the main process (MAINPID)
  bool metrics_pending_ = false;  // --metrics-bind not yet bound (the old master has it)
  sys::Notifier notifier_;
  bool ready_sent_ = false;
  int64_t last_watchdog_ms_ = 0;
  sys::HeartbeatTable heartbeat_;
  sys::SignalQueue signals_;
  Pidfile pidfile_;
  std::map<pid_t, WorkerRecord> workers_;
  std::unique_ptr<MetricsExporter> metrics_;  // set with --metrics-bind
  std::optional<RollingReload> reload_;  // from a HUP until its last old worker is retired
  // Atomic: a hook may assign server.num_workers from a thread of its own.
  std::atomic<int> num_workers_;
  int next_age_ = 0;
  int reported_workers_ = -1;  // the worker count last logged (and sent to statsd)
  // Set when the loop must end: the exit code and the halt reason.
  std::optional<int> exit_code_;
  std::string halt_reason_;
  bool stopping_graceful_ = true;
  // Set by a hook that raised in the loop: its traceback.
  std::optional<std::string> loop_failure_;
  bool shutting_down_ = false;
};

}  // namespace qilin::arbiter
