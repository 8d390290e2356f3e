// The rows of THE settings table, in gunicorn 26's definition order. To mark a
// setting as implemented, change its `.support`; everything else (the parser,
// -h, the docs, the refusal of unsupported values) follows from the row.
//
// Choices made where a Python value has no flat C++ form:
//  - secure_scheme_headers is a StringMap (a dict of str to str);
//  - logconfig_dict is nested, so it is a PyHandle to the dict (null: {});
//  - hooks are PyHandles (null: gunicorn's built-in default);
//  - worker_class and logger_class hold a string, or a PyHandle to a class;
//  - statsd_host keeps the address text (gunicorn stores a parsed tuple);
//  - user and group hold the numeric id after looking a name up.
#include "config/setting_table.h"

#include <filesystem>
#include <map>
#include <system_error>

#include "config/validators.h"
#include "config/value_format.h"
#include "core/strings.h"

// Rows name only the fields that differ from Setting's defaults; GCC 12's
// -Wextra would flag every omitted designated initializer.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace qilin::config {
namespace {

using S = Section;
using T = ValueType;
using A = Action;
using AT = ArgType;
constexpr Support kYes = Support::kSupported;
constexpr Support kNo = Support::kUnsupported;

Value none() { return Value(); }
Value text(const char* s) { return Value(std::string(s)); }
Value integer(int64_t n) { return Value(n); }
Value flag(bool b) { return Value(b); }
Value strings(std::initializer_list<const char*> items) {
  return Value(std::vector<std::string>(items.begin(), items.end()));
}
Value hook() { return Value(PyHandle{}); }

// --- defaults that depend on the environment -------------------------------

Result<Value> bind_default(const Setting& row, const Environment& env) {
  if (auto port = env.get("PORT")) return Value(std::vector<std::string>{"0.0.0.0:" + *port});
  return row.default_value;
}

Result<Value> workers_default(const Setting& row, const Environment& env) {
  auto text_value = env.get("WEB_CONCURRENCY");
  if (!text_value) return row.default_value;
  auto number = python_int(*text_value, 10);  // int(os.environ["WEB_CONCURRENCY"])
  if (!number || *number < 0) {
    return Result<Value>::error("Invalid value for WEB_CONCURRENCY: " + python_repr(*text_value) +
                                (number ? " (must not be negative)" : " (not an integer)"));
  }
  return Value(*number);
}

Result<Value> forwarded_allow_ips_default(const Setting& row, const Environment& env) {
  if (auto text_value = env.get("FORWARDED_ALLOW_IPS")) return Value(*text_value);
  return row.default_value;
}

Result<Value> chdir_default(const Setting&, const Environment& env) { return Value(env.cwd); }
Result<Value> user_default(const Setting&, const Environment& env) { return Value(env.euid); }
Result<Value> group_default(const Setting&, const Environment& env) { return Value(env.egid); }

Result<Value> control_socket_default(const Setting&, const Environment& env) {
  std::error_code ec;
  if (auto xdg = env.get("XDG_RUNTIME_DIR");
      xdg && !xdg->empty() && std::filesystem::is_directory(*xdg, ec)) {
    return Value((std::filesystem::path(*xdg) / "gunicorn.ctl").string());
  }
  std::string home = env.get("HOME").value_or("/");
  return Value((std::filesystem::path(home) / ".gunicorn" / "gunicorn.ctl").string());
}

// --- what qilin implements of partly supported settings --------------------

Status implemented_worker_kinds(const Setting&, const Value& value) {
  const auto* name = std::get_if<std::string>(&value);
  if (name && (*name == "sync" || *name == "gunicorn.workers.sync.SyncWorker" ||
               *name == "gunicorn.workers.SyncWorker" || *name == "egg:gunicorn#sync" ||
               *name == "gthread" || *name == "gunicorn.workers.gthread.ThreadWorker" ||
               *name == "egg:gunicorn#gthread")) {
    return Status::ok();
  }
  std::string what = name ? "worker class '" + *name + "'" : std::string("a worker class object");
  return Status::error(what + " is not supported yet (only 'sync' and 'gthread' are)");
}

std::vector<Setting> make_table() {
  return {
      // ---- Config File ----------------------------------------------------
      {.name = "config",
       .section = S::kConfigFile,
       .flags = {"-c", "--config"},
       .meta = "CONFIG",
       .validate = validate_string,
       .default_value = text("./gunicorn.conf.py"),
       .support = kYes,
       .help = "Config file to read: PATH, file:PATH or python:MODULE.",
       .doc = "The Python file that holds settings, run before the application loads. "
              "Give a path, `file:PATH`, or `python:MODULE` to import a module instead. "
              "When not given, `./gunicorn.conf.py` is read if it exists. Only the command "
              "line (or GUNICORN_CMD_ARGS) can choose it."},
      {.name = "wsgi_app",
       .section = S::kConfigFile,
       .meta = "STRING",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "The application, as MODULE:VARIABLE, when APP_MODULE is not given.",
       .doc = "The WSGI application to serve, in the form `MODULE:VARIABLE`, for a config "
              "file that names the application itself. APP_MODULE on the command line wins."},

      // ---- Server Socket --------------------------------------------------
      {.name = "bind",
       .section = S::kServerSocket,
       .flags = {"-b", "--bind"},
       .meta = "ADDRESS",
       .type = T::kList,
       .action = A::kAppend,
       .validate = validate_string_list,
       .default_value = strings({"127.0.0.1:8000"}),
       .env_default = bind_default,
       .default_doc = "`['127.0.0.1:8000']`, or `['0.0.0.0:$PORT']` when `PORT` is set",
       .support = kYes,
       .help = "Address to listen on; repeat the option to listen on several.",
       .doc = "Where to listen: `HOST`, `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH` or "
              "`fd://FD` (an inherited descriptor). Repeat `-b` to listen on several "
              "addresses, for example `-b 127.0.0.1:8000 -b [::1]:8000`."},
      {.name = "backlog",
       .section = S::kServerSocket,
       .flags = {"--backlog"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(2048),
       .support = kYes,
       .help = "Length of the queue of connections waiting to be accepted.",
       .doc = "The backlog passed to `listen()` for every listener: how many connections "
              "may wait to be accepted before new ones are refused. Values between 64 and "
              "2048 are usual."},

      // ---- Worker Processes ----------------------------------------------
      {.name = "workers",
       .section = S::kWorkerProcesses,
       .flags = {"-w", "--workers"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(1),
       .env_default = workers_default,
       .default_doc = "`1`, or `$WEB_CONCURRENCY` when set",
       .support = kYes,
       .help = "Number of worker processes.",
       .doc = "How many worker processes the master keeps running. Two to four per CPU "
              "core is a common starting point. The `WEB_CONCURRENCY` environment variable, "
              "set by some hosting platforms, changes the default."},
      {.name = "worker_class",
       .section = S::kWorkerProcesses,
       .flags = {"-k", "--worker-class"},
       .meta = "STRING",
       .type = T::kClass,
       .validate = validate_class,
       .default_value = text("sync"),
       .support = kYes,
       .limit = implemented_worker_kinds,
       .help = "Kind of worker: sync, gthread, gevent, tornado, asgi or a class path.",
       .doc = "The worker implementation: a short name (`sync`, `gthread`, `gevent`, "
              "`gevent_wsgi`, `gevent_pywsgi`, `tornado`, `asgi`), a dotted path to a "
              "worker class, or the class itself in a config file. qilin implements `sync` "
              "and `gthread` so far and refuses the others by name."},
      {.name = "threads",
       .section = S::kWorkerProcesses,
       .flags = {"--threads"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(1),
       .support = kYes,
       .help = "Threads per worker for the gthread worker.",
       .doc = "Size of the thread pool in each gthread worker. A `sync` worker with more "
              "than one thread becomes a gthread worker, as in gunicorn. With one thread "
              "the gthread worker runs the application on its event loop."},
      {.name = "worker_connections",
       .section = S::kWorkerProcesses,
       .flags = {"--worker-connections"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(1000),
       .support = kYes,
       .help = "Most connections one worker keeps open (gthread, gevent).",
       .doc = "The cap on simultaneous client connections per worker for the workers that "
              "hold many at once (gthread stops accepting, gevent sizes its pool)."},
      {.name = "max_requests",
       .section = S::kWorkerProcesses,
       .flags = {"--max-requests"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(0),
       .support = kYes,
       .help = "Restart a worker after it has served this many requests; 0 never.",
       .doc = "A worker that has handled this many requests exits and is replaced, which "
              "bounds the damage of slow memory leaks. 0 turns recycling off."},
      {.name = "max_requests_jitter",
       .section = S::kWorkerProcesses,
       .flags = {"--max-requests-jitter"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(0),
       .support = kYes,
       .help = "Random extra requests, up to this many, added to max_requests per worker.",
       .doc = "Each worker adds a random number between 0 and this value to "
              "`max_requests`, so that workers started together do not all restart together."},
      {.name = "timeout",
       .section = S::kWorkerProcesses,
       .flags = {"-t", "--timeout"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(30),
       .support = kYes,
       .help = "Seconds a worker may stay silent before it is killed and replaced.",
       .doc = "A worker whose heartbeat is older than this many seconds is aborted "
              "(SIGABRT, then SIGKILL) and replaced. 0 disables the check. For the sync "
              "worker this bounds the time one request may take."},
      {.name = "graceful_timeout",
       .section = S::kWorkerProcesses,
       .flags = {"--graceful-timeout"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(30),
       .support = kYes,
       .help = "Seconds workers get to finish their requests on a graceful stop.",
       .doc = "After a graceful stop or restart, workers have this many seconds to finish "
              "the requests in hand; those still running afterwards are killed."},
      {.name = "reload_rolling",
       .section = S::kWorkerProcesses,
       .flags = {"--reload-rolling"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(0),
       .support = kYes,
       .qilin_only = true,
       .help = "On HUP, replace workers this many at a time (0: all at once).",
       .doc = "qilin's own setting (gunicorn has none). On HUP the master starts this many "
              "new workers, waits until they have loaded the application and accept "
              "connections (at most `timeout` seconds), stops as many old workers "
              "gracefully, waits until they are gone (at most `graceful_timeout` seconds), "
              "and repeats until every old worker is replaced. There are never more than "
              "`workers` + N worker processes, which suits hosts with little memory. 0 "
              "keeps gunicorn's order: all new workers first, then every old one is "
              "stopped (qilin stops them once the new ones are ready)."},
      {.name = "keepalive",
       .section = S::kWorkerProcesses,
       .flags = {"--keep-alive"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(2),
       .support = kYes,
       .help = "Seconds an idle keep-alive connection waits for its next request.",
       .doc = "How long a persistent connection may sit idle between requests; 0 turns "
              "keep-alive off. Raise it behind a load balancer. The sync worker closes "
              "every connection after one request and ignores this."},

      {.name = "header_timeout",
       .section = S::kWorkerProcesses,
       .flags = {"--header-timeout"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(10),
       .support = kYes,
       .qilin_only = true,
       .help = "Seconds a client has to send a complete request head.",
       .doc = "qilin's own setting (gunicorn has none). A connection whose request line and "
              "headers have not all arrived this many seconds after it was accepted, or "
              "after its previous response, is answered 408 when part of a head came, and "
              "closed when nothing came. The worker reads heads in its event loop, so "
              "clients that connect and send nothing, or trickle their headers, never hold "
              "the application, in the sync worker as in gthread. 0 removes the bound."},

      // ---- Security -------------------------------------------------------
      {.name = "limit_request_line",
       .section = S::kSecurity,
       .flags = {"--limit-request-line"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(4094),
       .support = kYes,
       .help = "Longest request line accepted, in bytes (0: no limit, at most 8190).",
       .doc = "The request line (method, target and version) may be at most this many "
              "bytes; longer ones get 414. 0 means no limit; values above 8190 are treated "
              "as 8190."},
      {.name = "limit_request_fields",
       .section = S::kSecurity,
       .flags = {"--limit-request-fields"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(100),
       .support = kYes,
       .help = "Most header fields accepted in one request (at most 32768).",
       .doc = "A request with more header fields than this is refused with 431. 0 or "
              "anything above 32768 means 32768."},
      {.name = "limit_request_field_size",
       .section = S::kSecurity,
       .flags = {"--limit-request-field_size"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(8190),
       .support = kYes,
       .help = "Longest header field accepted, in bytes (0: 8190).",
       .doc = "The largest size of one header line, name and value together. The flag is "
              "spelled with an underscore, as in gunicorn. 0 means the default 8190; very "
              "large values make memory exhaustion easier."},

      // ---- Debugging ------------------------------------------------------
      {.name = "reload",
       .section = S::kDebugging,
       .flags = {"--reload"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Restart workers when application code changes (development).",
       .doc = "For development: once it has loaded the application, each worker watches "
              "the source file of every module in `sys.modules` (modules imported later "
              "too) and the `reload_extra_files`. When one changes, the worker logs "
              "`Worker reloading: FILE modified`, calls `worker_int` and stops as on TERM; "
              "the master starts a fresh worker, which imports the new code. The watching "
              "runs in the worker's own event loop, not in a thread. In this mode an "
              "application that fails to load with a `SyntaxError` does not stop the "
              "server: the worker answers every request with a 500 showing the traceback "
              "and reloads once the file is fixed. Does not combine with `preload_app` "
              "(the fresh worker gets the master's copy of the code again)."},
      {.name = "reload_engine",
       .section = S::kDebugging,
       .flags = {"--reload-engine"},
       .meta = "STRING",
       .type = T::kChoice,
       .choices = {"auto", "poll", "inotify"},
       .validate = validate_exact_choice,
       .default_value = text("auto"),
       .support = kYes,
       .help = "How reload watches files: auto, poll or inotify.",
       .doc = "The file watcher behind `reload`. `inotify` watches the directories of the "
              "files through the kernel's inotify (built in; no Python package is needed) "
              "and reacts at once; `poll` compares modification times once a second; "
              "`auto` is inotify, or poll when inotify cannot be had."},
      {.name = "reload_extra_files",
       .section = S::kDebugging,
       .flags = {"--reload-extra-file"},
       .meta = "FILES",
       .type = T::kList,
       .action = A::kAppend,
       .validate = validate_files_or_patterns,
       .default_value = strings({}),
       .support = kYes,
       .help = "More files or glob patterns whose change triggers a reload.",
       .doc = "Extra files (templates, configuration) watched by `reload`. Entries with "
              "`*`, `?` or `[` are glob patterns, expanded again every second (a file "
              "that newly matches is watched from then on); other entries must exist. "
              "Repeatable."},
      {.name = "spew",
       .section = S::kDebugging,
       .flags = {"--spew"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Trace every line the server executes (very verbose).",
       .doc = "Installs a trace function that prints each executed Python line. Only for "
              "desperate debugging."},
      {.name = "check_config",
       .section = S::kDebugging,
       .flags = {"--check-config"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Check the configuration and the application, then exit.",
       .doc = "Load the settings and import the application, then exit: status 0 when "
              "both succeed, 1 otherwise."},
      {.name = "print_config",
       .section = S::kDebugging,
       .flags = {"--print-config"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Print every setting's resolved value, then check as --check-config does.",
       .doc = "Print each setting, sorted by name, as `name = value`, then behave like "
              "`check_config`."},

      // ---- Server Mechanics -----------------------------------------------
      {.name = "preload_app",
       .section = S::kServerMechanics,
       .flags = {"--preload"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Import the application in the master before forking workers.",
       .doc = "Load the application once in the master, so workers share its memory and "
              "start faster, and a load error stops the server before any fork. The price: "
              "a HUP no longer reloads application code."},
      {.name = "sendfile",
       .section = S::kServerMechanics,
       .flags = {"--no-sendfile"},
       .type = T::kBool,
       .action = A::kStoreConst,
       .const_text = "false",
       .validate = validate_bool,
       .default_value = none(),
       .default_doc = "`None` (sendfile on, unless `SENDFILE` says otherwise)",
       .support = kYes,
       .help = "Do not use sendfile() for file responses.",
       .doc = "`--no-sendfile` stops the use of `sendfile()` for `wsgi.file_wrapper` "
              "responses. When the setting is left unset, the `SENDFILE` environment "
              "variable decides (`1`, `y`, `yes`, `true` turn it on); otherwise it is on. "
              "With the gthread worker on plain TCP, the worker's event loop sends the file "
              "between its other connections, so a client that reads slowly holds no "
              "application thread (over TLS the application thread sends it); the access "
              "log line and `post_request` still come after the last byte, as in gunicorn."},
      {.name = "reuse_port",
       .section = S::kServerMechanics,
       .flags = {"--reuse-port"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Set SO_REUSEPORT on the listening sockets.",
       .doc = "Sets `SO_REUSEPORT`, so that each worker can have its own listening socket "
              "on the same address and the kernel spreads connections among them."},
      {.name = "chdir",
       .section = S::kServerMechanics,
       .flags = {"--chdir"},
       .validate = validate_chdir,
       .default_value = text("."),
       .env_default = chdir_default,
       .default_doc = "the working directory at startup",
       .support = kYes,
       .help = "Directory to change into before loading the application.",
       .doc = "The server changes into this directory, and puts it first on `sys.path`, "
              "before it loads the application. A relative path is resolved against the "
              "starting directory; it must exist."},
      {.name = "daemon",
       .section = S::kServerMechanics,
       .flags = {"-D", "--daemon"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Detach from the terminal and run in the background.",
       .doc = "The master detaches from its controlling terminal and continues in the "
              "background. Not for use under a supervisor that expects the process to stay "
              "in the foreground (systemd `Type=notify`)."},
      {.name = "raw_env",
       .section = S::kServerMechanics,
       .flags = {"-e", "--env"},
       .meta = "ENV",
       .type = T::kList,
       .action = A::kAppend,
       .validate = validate_string_list,
       .default_value = strings({}),
       .support = kYes,
       .help = "Environment variable KEY=VALUE for the server and the application.",
       .doc = "Each `KEY=VALUE` is put into the environment of the master and the workers "
              "before the application loads. Repeat `-e` for several; in a config file give "
              "a list, `raw_env = [\"FOO=1\"]`."},
      {.name = "pidfile",
       .section = S::kServerMechanics,
       .flags = {"-p", "--pid"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "File to write the master's process id to.",
       .doc = "The master writes its PID to this file and removes it on exit. Unset: no "
              "PID file."},
      {.name = "worker_tmp_dir",
       .section = S::kServerMechanics,
       .flags = {"--worker-tmp-dir"},
       .meta = "DIR",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Directory for the workers' heartbeat files.",
       .doc = "Where gunicorn keeps the temporary file each worker touches as its "
              "heartbeat (a tmpfs such as /dev/shm avoids stalls on a slow disk). qilin's "
              "heartbeat lives in shared memory and needs no file, so it never stalls on "
              "a disk; the directory must still exist and be writable, or qilin stops at "
              "start-up as gunicorn's workers would fail to boot."},
      {.name = "user",
       .section = S::kServerMechanics,
       .flags = {"-u", "--user"},
       .meta = "USER",
       .type = T::kInt,
       .validate = validate_user,
       .default_value = integer(0),
       .env_default = user_default,
       .default_doc = "the effective user id at startup",
       .support = kYes,
       .help = "User (name or id) the workers run as.",
       .doc = "Worker processes switch to this user, given as a name or a numeric id. The "
              "stored value is the numeric id."},
      {.name = "group",
       .section = S::kServerMechanics,
       .flags = {"-g", "--group"},
       .meta = "GROUP",
       .type = T::kInt,
       .validate = validate_group,
       .default_value = integer(0),
       .env_default = group_default,
       .default_doc = "the effective group id at startup",
       .support = kYes,
       .help = "Group (name or id) the workers run as.",
       .doc = "Worker processes switch to this group, given as a name or a numeric id. The "
              "stored value is the numeric id."},
      {.name = "umask",
       .section = S::kServerMechanics,
       .flags = {"-m", "--umask"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kAutoInt,
       .validate = validate_pos_int,
       .default_value = integer(0),
       .support = kYes,
       .help = "File mode mask for files the server creates (octal 022, 0o22 or 0x12).",
       .doc = "The umask applied to files the server creates, unix sockets included. On "
              "the command line a leading `0` means octal (`022`), and `0o`, `0x` and `0b` "
              "prefixes work; a config file may give the number itself."},
      {.name = "initgroups",
       .section = S::kServerMechanics,
       .flags = {"--initgroups"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Also give workers the supplementary groups of their user.",
       .doc = "When workers switch user, also set their group access list to all the "
              "groups the user belongs to, plus `group`."},
      {.name = "tmp_upload_dir",
       .section = S::kServerMechanics,
       .meta = "DIR",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Directory for spooling request bodies (unused by gunicorn).",
       .doc = "Declared by gunicorn for temporary request data but not used by it; "
              "qilin accepts it and, like gunicorn, does nothing with it."},
      {.name = "secure_scheme_headers",
       .section = S::kServerMechanics,
       .type = T::kMap,
       .validate = validate_map,
       .default_value = Value(StringMap{{"X-FORWARDED-PROTOCOL", "ssl"},
                                        {"X-FORWARDED-PROTO", "https"},
                                        {"X-FORWARDED-SSL", "on"}}),
       .support = kYes,
       .help = "Headers and values by which a trusted proxy marks a request as HTTPS.",
       .doc = "A dict of header name to value. When the peer is allowed by "
              "`forwarded_allow_ips` and one of these headers carries its value, "
              "`wsgi.url_scheme` becomes `https`. Headers from the dict that disagree with "
              "each other make the request fail with 400."},
      {.name = "forwarded_allow_ips",
       .section = S::kServerMechanics,
       .flags = {"--forwarded-allow-ips"},
       .meta = "STRING",
       .type = T::kList,
       .validate = validate_address_list,
       .default_value = text("127.0.0.1,::1"),
       .env_default = forwarded_allow_ips_default,
       .default_doc = "`'127.0.0.1,::1'`, or `$FORWARDED_ALLOW_IPS` when set",
       .support = kYes,
       .help = "Comma-separated addresses or networks trusted to send proxy headers, or *.",
       .doc = "Peers at these IP addresses or CIDR networks may set the scheme (through "
              "`secure_scheme_headers`) and the `forwarder_headers`. `*` trusts everyone. "
              "Connections over unix sockets are always trusted. The value is stored as a "
              "list."},

      // ---- Logging --------------------------------------------------------
      {.name = "accesslog",
       .section = S::kLogging,
       .flags = {"--access-logfile"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Access log file, or - for standard output.",
       .doc = "Where to write one line per request; `-` is standard output. Unset: no "
              "access log."},
      {.name = "disable_redirect_access_to_syslog",
       .section = S::kLogging,
       .flags = {"--disable-redirect-access-to-syslog"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Keep access log lines out of syslog.",
       .doc = "With `syslog` on, send only the error log there, not the access log."},
      {.name = "access_log_format",
       .section = S::kLogging,
       .flags = {"--access-logformat"},
       .meta = "STRING",
       .validate = validate_string,
       .default_value = text(R"(%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s")"),
       .support = kYes,
       .help = "Format of access log lines, built from %(atom)s fields.",
       .doc = "A printf-style template over gunicorn's access-log atoms: `h` remote "
              "address, `t` time, `r` request line, `s` status, `b` body length, `f` "
              "referrer, `a` user agent, `D` duration in microseconds, `{name}i` a request "
              "header, `{name}o` a response header, `{name}e` an environment variable, and "
              "more."},
      {.name = "errorlog",
       .section = S::kLogging,
       .flags = {"--error-logfile", "--log-file"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = text("-"),
       .support = kYes,
       .help = "Error log file, or - for standard error.",
       .doc = "Where the server writes its own messages; `-` is standard error. "
              "`--log-file` is another spelling of the same option."},
      {.name = "loglevel",
       .section = S::kLogging,
       .flags = {"--log-level"},
       .meta = "LEVEL",
       .validate = validate_string,
       .default_value = text("info"),
       .support = kYes,
       .help = "Error log level: debug, info, warning, error or critical.",
       .doc = "The least severe level written to the error log: `debug`, `info`, "
              "`warning`, `error` or `critical`."},
      {.name = "capture_output",
       .section = S::kLogging,
       .flags = {"--capture-output"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Send the processes' stdout and stderr into the error log file.",
       .doc = "Redirect standard output and standard error of the master and workers into "
              "the `errorlog` file (only when it is a file)."},
      {.name = "logger_class",
       .section = S::kLogging,
       .flags = {"--logger-class"},
       .meta = "STRING",
       .type = T::kClass,
       .validate = validate_class,
       .default_value = text("gunicorn.glogging.Logger"),
       .support = kYes,
       .help = "Python class that does the server's logging.",
       .doc = "A dotted path to a logger class shaped like `gunicorn.glogging.Logger`. The "
              "default becomes the StatsD logger when `statsd_host` is set."},
      {.name = "logconfig",
       .section = S::kLogging,
       .flags = {"--log-config"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Logging configuration file in the logging.config.fileConfig format.",
       .doc = "An INI file handed to Python's `logging.config.fileConfig`."},
      {.name = "logconfig_dict",
       .section = S::kLogging,
       .type = T::kObject,
       .validate = validate_object,
       .default_value = hook(),
       .default_doc = "`{}`",
       .support = kYes,
       .help = "Logging configuration as a dict for logging.config.dictConfig.",
       .doc = "A dict for Python's `logging.config.dictConfig`; it takes precedence over "
              "`logconfig` and `logconfig_json`. Held as a reference to the Python dict."},
      {.name = "logconfig_json",
       .section = S::kLogging,
       .flags = {"--log-config-json"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Logging configuration as a JSON file for logging.config.dictConfig.",
       .doc = "A JSON file whose content is handed to `logging.config.dictConfig`."},
      {.name = "syslog_addr",
       .section = S::kLogging,
       .flags = {"--log-syslog-to"},
       .meta = "SYSLOG_ADDR",
       .validate = validate_string,
       .default_value = text("udp://localhost:514"),
       .support = kYes,
       .help = "Where syslog messages go: unix://PATH, udp://HOST:PORT or tcp://HOST:PORT.",
       .doc = "The syslog destination. A unix socket may end in `#stream` or `#dgram`. The "
              "default is the one gunicorn uses on Linux."},
      {.name = "syslog",
       .section = S::kLogging,
       .flags = {"--log-syslog"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Also send logs to syslog.",
       .doc = "Copy the error log, and the access log unless "
              "`disable_redirect_access_to_syslog`, to syslog."},
      {.name = "syslog_prefix",
       .section = S::kLogging,
       .flags = {"--log-syslog-prefix"},
       .meta = "SYSLOG_PREFIX",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Program name used in syslog lines.",
       .doc = "Syslog lines are tagged `gunicorn.PREFIX.error` or `.access`; unset, the "
              "process name is used."},
      {.name = "syslog_facility",
       .section = S::kLogging,
       .flags = {"--log-syslog-facility"},
       .meta = "SYSLOG_FACILITY",
       .validate = validate_string,
       .default_value = text("user"),
       .support = kYes,
       .help = "Syslog facility name.",
       .doc = "The facility of syslog messages: `user`, `daemon`, `local0` to `local7`, ..."},
      {.name = "enable_stdio_inheritance",
       .section = S::kLogging,
       .flags = {"-R", "--enable-stdio-inheritance"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Keep standard input and output usable after daemonizing.",
       .doc = "With `daemon`, keep the inherited stdin, stdout and stderr instead of "
              "pointing them at /dev/null."},
      {.name = "statsd_host",
       .section = S::kLogging,
       .flags = {"--statsd-host"},
       .meta = "STATSD_ADDR",
       .validate = validate_statsd_address,
       .default_value = none(),
       .support = kYes,
       .help = "StatsD server to send metrics to, HOST:PORT or unix://PATH.",
       .doc = "Setting it turns on StatsD metrics (request counts, durations, worker "
              "counts). The port defaults to 8125."},
      {.name = "dogstatsd_tags",
       .section = S::kLogging,
       .flags = {"--dogstatsd-tags"},
       .meta = "DOGSTATSD_TAGS",
       .validate = validate_string,
       .default_value = text(""),
       .support = kYes,
       .help = "Comma-separated DogStatsD tags added to every metric.",
       .doc = "Tags in DogStatsD's `key:value` form appended to each metric sent."},
      {.name = "statsd_prefix",
       .section = S::kLogging,
       .flags = {"--statsd-prefix"},
       .meta = "STATSD_PREFIX",
       .validate = validate_string,
       .default_value = text(""),
       .support = kYes,
       .help = "Prefix for StatsD metric names.",
       .doc = "Prepended, with a dot, to the name of every metric sent to StatsD."},
      {.name = "enable_backlog_metric",
       .section = S::kLogging,
       .flags = {"--enable-backlog-metric"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Report the listen queue length as a StatsD metric.",
       .doc = "Each master loop sends the number of connections waiting in the listen "
              "queue as `gunicorn.backlog` (Linux only)."},

      {.name = "metrics_bind",
       .section = S::kLogging,
       .flags = {"--metrics-bind"},
       .meta = "ADDRESS",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .qilin_only = true,
       .help = "Serve Prometheus metrics at http://ADDRESS/metrics from the master.",
       .doc = "qilin's own setting (gunicorn has none). The master listens on this "
              "`HOST:PORT` (or `unix:PATH`) and answers `GET /metrics` in Prometheus' text "
              "format, summed over all workers through shared memory: responses by status "
              "class, request time as histograms for the queue wait, the application and "
              "the sending of the response, requests in flight, live and desired workers, "
              "worker restarts by cause (timeout, max_requests, crash, reload) and the "
              "listen backlog. Unset (the default), nothing listens and workers count "
              "nothing."},

      // ---- Process Naming -------------------------------------------------
      {.name = "proc_name",
       .section = S::kProcessNaming,
       .flags = {"-n", "--name"},
       .meta = "STRING",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Name shown in ps and top for the server's processes.",
       .doc = "The base of the process titles, `qilin: master [NAME]` and `qilin: worker "
              "[NAME]` (written over the process's argv, no setproctitle needed). Unset, "
              "`default_proc_name` (the application spec) is used."},
      {.name = "default_proc_name",
       .section = S::kProcessNaming,
       .validate = validate_string,
       .default_value = text("gunicorn"),
       .support = kYes,
       .help = "Process name used when proc_name is not set.",
       .doc = "The fallback process title. The server sets it to APP_MODULE (or the paste "
              "file) itself."},
      {.name = "pythonpath",
       .section = S::kServerMechanics,
       .flags = {"--pythonpath"},
       .meta = "STRING",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Comma-separated directories to add to the Python path.",
       .doc = "Each directory is made absolute and put at the front of `sys.path` before "
              "the application loads, for example `/home/app,/home/lib`."},
      {.name = "paste",
       .section = S::kServerMechanics,
       .flags = {"--paste", "--paster"},
       .meta = "STRING",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "Load the application from a PasteDeploy config file (FILE#SECTION).",
       .doc = "Takes the application from a PasteDeploy INI file instead of APP_MODULE; "
              "choose a section with `#name`. A `[loggers]` section in that file becomes the "
              "logging configuration."},

      // ---- Server Hooks ---------------------------------------------------
      {.name = "on_starting",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "OnStarting.on_starting",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "on_starting(server): in the master, just before it starts.",
       .doc = "Called in the master just before it sets up signals and listeners."},
      {.name = "on_reload",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "OnReload.on_reload",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "on_reload(server): in the master, when a HUP reloads the configuration.",
       .doc = "Called in the master on a HUP, after the configuration has been read again "
              "and before new workers are started."},
      {.name = "when_ready",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "WhenReady.when_ready",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "when_ready(server): in the master, once the listeners are bound.",
       .doc = "Called in the master after it has bound its sockets, before the first "
              "workers are forked."},
      {.name = "pre_fork",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "Prefork.pre_fork",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "pre_fork(server, worker): in the master, before each worker is forked.",
       .doc = "Called in the master just before it forks each worker."},
      {.name = "post_fork",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "Postfork.post_fork",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "post_fork(server, worker): in a new worker, right after the fork.",
       .doc = "Called in the worker right after the fork, before it loads the application."},
      {.name = "post_worker_init",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "PostWorkerInit.post_worker_init",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "post_worker_init(worker): in a worker, after it has loaded the application.",
       .doc = "Called in the worker once the application is loaded, before it serves."},
      {.name = "worker_int",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "WorkerInt.worker_int",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "worker_int(worker): in a worker that got SIGINT or SIGQUIT.",
       .doc = "Called in a worker when it receives SIGINT or SIGQUIT."},
      {.name = "worker_abort",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "WorkerAbort.worker_abort",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "worker_abort(worker): in a worker that got SIGABRT (usually a timeout).",
       .doc = "Called in a worker when it receives SIGABRT, which the master sends when the "
              "worker misses its heartbeat deadline."},
      {.name = "pre_exec",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "PreExec.pre_exec",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "pre_exec(server): before a new master is executed (USR2 upgrade).",
       .doc = "Called in the forked child just before it executes the new master during a "
              "USR2 binary upgrade."},
      {.name = "pre_request",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "PreRequest.pre_request",
       .validate = validate_hook,
       .default_value = hook(),
       .default_doc = "logs the method and path at debug level",
       .support = kYes,
       .help = "pre_request(worker, req): in a worker, before each request.",
       .doc = "Called in the worker before it hands each request to the application. The "
              "default logs the method and path at debug level."},
      {.name = "post_request",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 4},
       .default_qualname = "PostRequest.post_request",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "post_request(worker, req, environ, resp): in a worker, after each request.",
       .doc = "Called in the worker after each request. A function taking only "
              "`(worker, req)` or `(worker, req, environ)` is accepted too."},
      {.name = "child_exit",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "ChildExit.child_exit",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "child_exit(server, worker): in the master, after a worker has exited.",
       .doc = "Called in the master after it has reaped a worker process."},
      {.name = "worker_exit",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "WorkerExit.worker_exit",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "worker_exit(server, worker): in a worker, as it exits.",
       .doc = "Called in the worker process just before it exits."},
      {.name = "nworkers_changed",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {3, 3},
       .default_qualname = "NumWorkersChanged.nworkers_changed",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "nworkers_changed(server, new_value, old_value): the worker count changed.",
       .doc = "Called in the master whenever the number of workers to keep changes (TTIN, "
              "TTOU). `old_value` is None the first time."},
      {.name = "on_exit",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "OnExit.on_exit",
       .validate = validate_hook,
       .default_value = hook(),
       .support = kYes,
       .help = "on_exit(server): in the master, just before it exits.",
       .doc = "Called in the master just before the process exits."},
      {.name = "ssl_context",
       .section = S::kServerHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "NewSSLContext.ssl_context",
       .validate = validate_hook,
       .default_value = hook(),
       .default_doc = "returns `default_ssl_context_factory()`",
       .support = kYes,
       .help = "ssl_context(config, default_ssl_context_factory): returns the SSLContext.",
       .doc = "Builds the `ssl.SSLContext` for TLS listeners. It gets the configuration and "
              "a function that builds the default context, which it may adjust and return. "
              "Called once in the master (at start-up and on HUP), not for every "
              "connection; qilin then serves with the returned context's certificates, "
              "verification, versions, ciphers, options and ALPN (`docs/tls.md`)."},

      // ---- Server Mechanics: proxies and protocols -------------------------
      {.name = "proxy_protocol",
       .section = S::kServerMechanics,
       .flags = {"--proxy-protocol"},
       .meta = "MODE",
       .type = T::kChoice,
       .action = A::kStoreOptional,
       .const_text = "auto",
       .choices = {"off", "v1", "v2", "auto"},
       .validate = validate_proxy_protocol,
       .default_value = text("off"),
       .support = kYes,
       .help = "Expect a PROXY protocol header: off, v1, v2 or auto (the flag alone: auto).",
       .doc = "Read HAProxy's PROXY protocol header at the start of each connection from an "
              "allowed peer (`proxy_allow_ips`) and use the client address it carries. "
              "`auto` accepts v1 and v2. `true`, `false`, `1`, `0` and `none` are also "
              "understood."},
      {.name = "proxy_allow_ips",
       .section = S::kServerMechanics,
       .flags = {"--proxy-allow-from"},
       .type = T::kList,
       .validate = validate_address_list,
       .default_value = text("127.0.0.1,::1"),
       .support = kYes,
       .help = "Comma-separated addresses or networks allowed to send PROXY headers, or *.",
       .doc = "Only peers at these IP addresses or CIDR networks may send a PROXY protocol "
              "header; `*` allows all. Stored as a list."},
      {.name = "protocol",
       .section = S::kServerMechanics,
       .flags = {"--protocol"},
       .meta = "STRING",
       .validate = validate_string,
       .default_value = text("http"),
       .help = "Wire protocol of the listeners: http or uwsgi.",
       .doc = "`uwsgi` makes the listeners speak the uWSGI binary protocol, for nginx's "
              "`uwsgi_pass`, instead of HTTP."},
      {.name = "uwsgi_allow_ips",
       .section = S::kServerMechanics,
       .flags = {"--uwsgi-allow-from"},
       .type = T::kList,
       .validate = validate_address_list,
       .default_value = text("127.0.0.1,::1"),
       .help = "Comma-separated addresses allowed to speak uwsgi, or *.",
       .doc = "Peers allowed to use the uwsgi protocol; `*` allows all. Unix socket peers "
              "are always allowed."},

      // ---- SSL ------------------------------------------------------------
      {.name = "keyfile",
       .section = S::kSsl,
       .flags = {"--keyfile"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "TLS private key file.",
       .doc = "The PEM private key for TLS. Unset, the key is read from `certfile`. An "
              "encrypted key is refused at start-up: qilin reads no password (an `ssl_context` "
              "hook may load it with `load_cert_chain(..., password=...)`)."},
      {.name = "certfile",
       .section = S::kSsl,
       .flags = {"--certfile"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "TLS certificate file.",
       .doc = "The PEM certificate, then its chain, for TLS. Setting it (or `keyfile`) turns "
              "TLS on for every listener. The files are loaded and checked once, at start-up "
              "and on HUP: a certificate and key that do not match stop the start-up."},
      {.name = "ssl_version",
       .section = S::kSsl,
       .flags = {"--ssl-version"},
       .type = T::kInt,
       .validate = validate_ssl_version,
       .default_value = integer(2),
       .default_doc = "`2` (`ssl.PROTOCOL_TLS`)",
       .support = kYes,
       .help = "Deprecated and ignored; use the ssl_context hook.",
       .doc = "Formerly chose the TLS protocol version. Ignored, with gunicorn's warning on "
              "stderr when it is set to anything but 2; TLS 1.2 and 1.3 are served."},
      {.name = "cert_reqs",
       .section = S::kSsl,
       .flags = {"--cert-reqs"},
       .type = T::kInt,
       .validate = validate_pos_int,
       .default_value = integer(0),
       .support = kYes,
       .help = "Client certificates: 0 not asked, 1 optional, 2 required.",
       .doc = "Whether TLS clients must present a certificate (`ssl.CERT_NONE`, "
              "`CERT_OPTIONAL`, `CERT_REQUIRED`). A certificate that does not verify "
              "against `ca_certs` fails the handshake with 1 and 2; with 2, so does none."},
      {.name = "ca_certs",
       .section = S::kSsl,
       .flags = {"--ca-certs"},
       .meta = "FILE",
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "CA certificates file for checking client certificates.",
       .doc = "The PEM certificate authorities that client certificates are verified "
              "against; unset, the system's default CA paths."},
      {.name = "suppress_ragged_eofs",
       .section = S::kSsl,
       .flags = {"--suppress-ragged-eofs"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(true),
       .support = kYes,
       .help = "Treat a TLS connection closed without close_notify as a normal end.",
       .doc = "On, a client that closes its TCP connection without TLS close_notify ends "
              "its stream as a clean close would (a short body ends early). Off, that is "
              "an error: the request is dropped, or `wsgi.input` raises. It is already on "
              "by default, so the flag changes nothing; only a config file can turn it off."},
      {.name = "do_handshake_on_connect",
       .section = S::kSsl,
       .flags = {"--do-handshake-on-connect"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Do the TLS handshake as soon as the connection is accepted.",
       .doc = "Accepted; both values behave the same. qilin always starts the handshake as "
              "soon as it accepts a connection, on the worker's event loop without blocking, "
              "and it must end within `header_timeout`."},
      {.name = "ciphers",
       .section = S::kSsl,
       .flags = {"--ciphers"},
       .validate = validate_string,
       .default_value = none(),
       .support = kYes,
       .help = "OpenSSL cipher list for TLS.",
       .doc = "A cipher list in OpenSSL's format, for TLS 1.2 (TLS 1.3's suites are "
              "OpenSSL's defaults); unset, Python's default list, as gunicorn's default "
              "context has. A list OpenSSL selects no cipher from is refused at start-up."},

      // ---- HTTP/2 ---------------------------------------------------------
      {.name = "http_protocols",
       .section = S::kHttp2,
       .flags = {"--http-protocols"},
       .meta = "STRING",
       .type = T::kList,
       .choices = {"h1", "h2", "h3"},
       .validate = validate_http_protocols,
       .default_value = text("h1"),
       .help = "Comma-separated HTTP versions offered, by preference: h1, h2, h3.",
       .doc = "The protocols offered through ALPN on TLS listeners, most preferred first. "
              "`h3` is accepted but does nothing. Stored as a list."},
      {.name = "http2_cleartext",
       .section = S::kHttp2,
       .flags = {"--http2-cleartext"},
       .meta = "STRING",
       .type = T::kChoice,
       .choices = {"off", "prior-knowledge", "upgrade", "both"},
       .validate = validate_http2_cleartext,
       .default_value = text("off"),
       .help = "HTTP/2 without TLS: off, prior-knowledge, upgrade or both.",
       .doc = "Whether trusted peers may speak HTTP/2 over plain TCP, by prior knowledge, "
              "by an `Upgrade: h2c` request, or both."},
      {.name = "http2_max_concurrent_streams",
       .section = S::kHttp2,
       .flags = {"--http2-max-concurrent-streams"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(100),
       .help = "Most concurrent streams per HTTP/2 connection.",
       .doc = "Advertised as SETTINGS_MAX_CONCURRENT_STREAMS."},
      {.name = "http2_initial_window_size",
       .section = S::kHttp2,
       .flags = {"--http2-initial-window-size"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(65535),
       .help = "Initial HTTP/2 flow-control window, in bytes.",
       .doc = "Advertised as SETTINGS_INITIAL_WINDOW_SIZE."},
      {.name = "http2_max_frame_size",
       .section = S::kHttp2,
       .flags = {"--http2-max-frame-size"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_http2_frame_size,
       .default_value = integer(16384),
       .help = "Largest HTTP/2 frame accepted, 16384 to 16777215 bytes.",
       .doc = "Advertised as SETTINGS_MAX_FRAME_SIZE; RFC 9113 bounds it."},
      {.name = "http2_max_header_list_size",
       .section = S::kHttp2,
       .flags = {"--http2-max-header-list-size"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(65536),
       .help = "Largest decoded HTTP/2 header list accepted, in bytes.",
       .doc = "Advertised as SETTINGS_MAX_HEADER_LIST_SIZE."},

      // ---- Server Mechanics: paste and HTTP strictness ---------------------
      {.name = "raw_paste_global_conf",
       .section = S::kServerMechanics,
       .flags = {"--paste-global"},
       .meta = "CONF",
       .type = T::kList,
       .action = A::kAppend,
       .validate = validate_string_list,
       .default_value = strings({}),
       .support = kYes,
       .help = "KEY=VALUE global for the PasteDeploy configuration; repeatable.",
       .doc = "Each `KEY=VALUE` becomes a global of the PasteDeploy configuration (`\\=` "
              "stands for a literal `=`)."},
      {.name = "permit_obsolete_folding",
       .section = S::kServerMechanics,
       .flags = {"--permit-obsolete-folding"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Accept header lines folded onto continuation lines.",
       .doc = "Accept obsolete line folding (a header line continued on a line starting "
              "with a space or tab) instead of refusing the request with 400."},
      {.name = "strip_header_spaces",
       .section = S::kServerMechanics,
       .flags = {"--strip-header-spaces"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Accept spaces before the colon of a header (unsafe, deprecated).",
       .doc = "Tolerate white space between a header name and its colon. This invites "
              "request smuggling; use it only to talk to a broken client, behind no proxy."},
      {.name = "permit_unconventional_http_method",
       .section = S::kServerMechanics,
       .flags = {"--permit-unconventional-http-method"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Accept request methods that are lower case, contain #, or are unusually long.",
       .doc = "Without it, a method must be 3 to 20 upper-case token characters without `#`. "
              "With it, any token is a method."},
      {.name = "permit_unconventional_http_version",
       .section = S::kServerMechanics,
       .flags = {"--permit-unconventional-http-version"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Accept HTTP versions other than 1.0 and 1.1 in the request line.",
       .doc = "Without it, only `HTTP/1.0` and `HTTP/1.1` are accepted."},
      {.name = "casefold_http_method",
       .section = S::kServerMechanics,
       .flags = {"--casefold-http-method"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .support = kYes,
       .help = "Upper-case request methods before the application sees them (deprecated).",
       .doc = "Restores the behaviour of gunicorn before 22.0, which upper-cased methods."},
      {.name = "forwarder_headers",
       .section = S::kServerMechanics,
       .flags = {"--forwarder-headers"},
       .type = T::kList,
       .validate = validate_comma_list,
       .default_value = text("SCRIPT_NAME,PATH_INFO"),
       .support = kYes,
       .help = "Comma-separated underscore headers a trusted proxy may set in environ.",
       .doc = "Headers with an underscore in their name that peers allowed by "
              "`forwarded_allow_ips` may use to set the environ key of the same name, for "
              "example `SCRIPT_NAME`. Stored as a list."},
      {.name = "header_map",
       .section = S::kServerMechanics,
       .flags = {"--header-map"},
       .type = T::kChoice,
       .choices = {"drop", "refuse", "dangerous"},
       .validate = validate_choice,
       .default_value = text("drop"),
       .support = kYes,
       .help = "Headers with _ in their name: drop, refuse (400) or dangerous (keep).",
       .doc = "What to do with a header whose name holds an underscore, which would map to "
              "the same environ key as its dashed twin: `drop` it, `refuse` the request, or "
              "`dangerous`ly keep both under one key. `forwarder_headers` are exempt."},

      // ---- Worker Processes: ASGI and the parser ---------------------------
      {.name = "asgi_loop",
       .section = S::kWorkerProcesses,
       .flags = {"--asgi-loop"},
       .meta = "STRING",
       .type = T::kChoice,
       .choices = {"auto", "asyncio", "uvloop"},
       .validate = validate_choice,
       .default_value = text("auto"),
       .help = "Event loop of the asgi worker: auto, asyncio or uvloop.",
       .doc = "`auto` uses uvloop when it can be imported, asyncio otherwise."},
      {.name = "asgi_lifespan",
       .section = S::kWorkerProcesses,
       .flags = {"--asgi-lifespan"},
       .meta = "STRING",
       .type = T::kChoice,
       .choices = {"auto", "on", "off"},
       .validate = validate_choice,
       .default_value = text("auto"),
       .help = "ASGI lifespan events: auto, on or off.",
       .doc = "`on` requires the application to handle lifespan events and stops the worker "
              "when startup fails; `auto` tries and ignores failure; `off` never sends them."},
      {.name = "asgi_disconnect_grace_period",
       .section = S::kWorkerProcesses,
       .flags = {"--asgi-disconnect-grace-period"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(3),
       .help = "Seconds an ASGI request may run on after the client has gone.",
       .doc = "After a client disconnects, its request task gets this many seconds before "
              "it is cancelled."},
      {.name = "http_parser",
       .section = S::kWorkerProcesses,
       .flags = {"--http-parser"},
       .meta = "STRING",
       .type = T::kChoice,
       .choices = {"auto", "fast", "python"},
       .validate = validate_choice,
       .default_value = text("auto"),
       .help = "gunicorn's HTTP/1 parser: auto, fast or python.",
       .doc = "Chooses between gunicorn's C extension parser and its Python parser. qilin "
              "always parses in C++."},
      {.name = "root_path",
       .section = S::kServerMechanics,
       .flags = {"--root-path"},
       .meta = "STRING",
       .validate = validate_string,
       .default_value = text(""),
       .help = "root_path of ASGI scopes (the mount prefix).",
       .doc = "The prefix the application is mounted under, passed as `root_path` in ASGI "
              "scopes."},

      // ---- Dirty Arbiters -------------------------------------------------
      {.name = "dirty_apps",
       .section = S::kDirtyArbiters,
       .flags = {"--dirty-app"},
       .meta = "STRING",
       .type = T::kList,
       .action = A::kAppend,
       .validate = validate_string_list,
       .default_value = strings({}),
       .help = "Dirty application class, module:Class or module:Class:N; repeatable.",
       .doc = "Classes run by the dirty worker pool for long or heavy tasks; `:N` limits a "
              "class to N workers."},
      {.name = "dirty_workers",
       .section = S::kDirtyArbiters,
       .flags = {"--dirty-workers"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(0),
       .help = "Number of dirty worker processes; 0 turns the dirty arbiter off.",
       .doc = "How many processes the dirty arbiter keeps for dirty applications."},
      {.name = "dirty_timeout",
       .section = S::kDirtyArbiters,
       .flags = {"--dirty-timeout"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(300),
       .help = "Seconds a dirty task may run before its worker is killed; 0 never.",
       .doc = "A dirty worker silent for longer than this is killed and replaced."},
      {.name = "dirty_threads",
       .section = S::kDirtyArbiters,
       .flags = {"--dirty-threads"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(1),
       .help = "Threads per dirty worker.",
       .doc = "The size of each dirty worker's executor."},
      {.name = "dirty_graceful_timeout",
       .section = S::kDirtyArbiters,
       .flags = {"--dirty-graceful-timeout"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kInt,
       .validate = validate_pos_int,
       .default_value = integer(30),
       .help = "Seconds dirty workers get to finish when stopping.",
       .doc = "On shutdown, dirty workers still running after this many seconds are killed."},

      // ---- Dirty Arbiter Hooks --------------------------------------------
      {.name = "on_dirty_starting",
       .section = S::kDirtyArbiterHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "OnDirtyStarting.on_dirty_starting",
       .validate = validate_hook,
       .default_value = hook(),
       .help = "on_dirty_starting(arbiter): before the dirty arbiter starts.",
       .doc = "Called in the dirty arbiter before it initialises."},
      {.name = "dirty_post_fork",
       .section = S::kDirtyArbiterHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "DirtyPostFork.dirty_post_fork",
       .validate = validate_hook,
       .default_value = hook(),
       .help = "dirty_post_fork(arbiter, worker): after a dirty worker is forked.",
       .doc = "Called right after a dirty worker has been forked."},
      {.name = "dirty_worker_init",
       .section = S::kDirtyArbiterHooks,
       .type = T::kHook,
       .arity = {1, 1},
       .default_qualname = "DirtyWorkerInit.dirty_worker_init",
       .validate = validate_hook,
       .default_value = hook(),
       .help = "dirty_worker_init(worker): once a dirty worker's apps are initialised.",
       .doc = "Called in a dirty worker after all its applications have run `init()`."},
      {.name = "dirty_worker_exit",
       .section = S::kDirtyArbiterHooks,
       .type = T::kHook,
       .arity = {2, 2},
       .default_qualname = "DirtyWorkerExit.dirty_worker_exit",
       .validate = validate_hook,
       .default_value = hook(),
       .help = "dirty_worker_exit(arbiter, worker): when a dirty worker exits.",
       .doc = "Called in the dirty arbiter when one of its workers exits."},

      // ---- Control --------------------------------------------------------
      {.name = "control_socket",
       .section = S::kControl,
       .flags = {"--control-socket"},
       .meta = "PATH",
       .validate = validate_string,
       .default_value = text("$XDG_RUNTIME_DIR/gunicorn.ctl"),
       .env_default = control_socket_default,
       .default_doc = "`$XDG_RUNTIME_DIR/gunicorn.ctl`, else `~/.gunicorn/gunicorn.ctl`",
       .help = "Unix socket of the runtime control interface (gunicornc).",
       .doc = "Where the master listens for `gunicornc` commands (worker counts, reloads, "
              "status)."},
      {.name = "control_socket_mode",
       .section = S::kControl,
       .flags = {"--control-socket-mode"},
       .meta = "INT",
       .type = T::kInt,
       .arg_type = AT::kAutoInt,
       .validate = validate_pos_int,
       .default_value = integer(0600),
       .default_doc = "`0o600` (384)",
       .help = "Permission bits of the control socket (octal).",
       .doc = "The file mode given to the control socket; octal as for `umask`."},
      {.name = "control_socket_disable",
       .section = S::kControl,
       .flags = {"--no-control-socket"},
       .type = T::kBool,
       .action = A::kStoreTrue,
       .validate = validate_bool,
       .default_value = flag(false),
       .help = "Do not create the control socket.",
       .doc = "Turns the runtime control interface off."},
  };
}

}  // namespace

std::string_view section_name(Section section) {
  switch (section) {
    case Section::kConfigFile:
      return "Config File";
    case Section::kServerSocket:
      return "Server Socket";
    case Section::kWorkerProcesses:
      return "Worker Processes";
    case Section::kSecurity:
      return "Security";
    case Section::kDebugging:
      return "Debugging";
    case Section::kServerMechanics:
      return "Server Mechanics";
    case Section::kLogging:
      return "Logging";
    case Section::kProcessNaming:
      return "Process Naming";
    case Section::kServerHooks:
      return "Server Hooks";
    case Section::kSsl:
      return "SSL";
    case Section::kHttp2:
      return "HTTP/2";
    case Section::kDirtyArbiters:
      return "Dirty Arbiters";
    case Section::kDirtyArbiterHooks:
      return "Dirty Arbiter Hooks";
    case Section::kControl:
      return "Control";
  }
  return "";
}

std::span<const Section> all_sections() {
  static const Section kSections[] = {
      Section::kConfigFile,
      Section::kServerSocket,
      Section::kWorkerProcesses,
      Section::kSecurity,
      Section::kDebugging,
      Section::kServerMechanics,
      Section::kLogging,
      Section::kProcessNaming,
      Section::kServerHooks,
      Section::kSsl,
      Section::kHttp2,
      Section::kDirtyArbiters,
      Section::kDirtyArbiterHooks,
      Section::kControl,
  };
  return kSections;
}

std::string Setting::metavar() const {
  if (!meta.empty()) return std::string(meta);
  return to_upper(name);
}

std::string Setting::flags_text() const {
  std::string out;
  for (std::string_view f : flags) {
    if (!out.empty()) out += '/';
    out += f;
  }
  return out;
}

Result<Value> Setting::default_for(const Environment& env) const {
  if (env_default != nullptr) return env_default(*this, env);
  return default_value;
}

Result<Value> Setting::initial_value(const Environment& env) const {
  Result<Value> raw = default_for(env);
  if (!raw) return raw;
  return validate(*this, *raw, env);
}

std::span<const Setting> setting_table() {
  static const std::vector<Setting> kTable = make_table();
  return kTable;
}

int setting_index(std::string_view name) {
  static const std::map<std::string_view, int> kIndex = [] {
    std::map<std::string_view, int> index;
    std::span<const Setting> table = setting_table();
    for (size_t i = 0; i < table.size(); ++i) index.emplace(table[i].name, int(i));
    return index;
  }();
  auto it = kIndex.find(name);
  return it == kIndex.end() ? -1 : it->second;
}

const Setting* find_setting(std::string_view name) {
  int index = setting_index(name);
  return index < 0 ? nullptr : &setting_table()[size_t(index)];
}

}  // namespace qilin::config
