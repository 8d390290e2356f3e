#include "config/setting_table.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "config/command_line.h"

namespace qilin::config {
namespace {

// gunicorn 26's settings in the order of gunicorn/config.py.
const char* const kGunicornOrder[] = {
    "config",
    "wsgi_app",
    "bind",
    "backlog",
    "workers",
    "worker_class",
    "threads",
    "worker_connections",
    "max_requests",
    "max_requests_jitter",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "limit_request_line",
    "limit_request_fields",
    "limit_request_field_size",
    "reload",
    "reload_engine",
    "reload_extra_files",
    "spew",
    "check_config",
    "print_config",
    "preload_app",
    "sendfile",
    "reuse_port",
    "chdir",
    "daemon",
    "raw_env",
    "pidfile",
    "worker_tmp_dir",
    "user",
    "group",
    "umask",
    "initgroups",
    "tmp_upload_dir",
    "secure_scheme_headers",
    "forwarded_allow_ips",
    "accesslog",
    "disable_redirect_access_to_syslog",
    "access_log_format",
    "errorlog",
    "loglevel",
    "capture_output",
    "logger_class",
    "logconfig",
    "logconfig_dict",
    "logconfig_json",
    "syslog_addr",
    "syslog",
    "syslog_prefix",
    "syslog_facility",
    "enable_stdio_inheritance",
    "statsd_host",
    "dogstatsd_tags",
    "statsd_prefix",
    "enable_backlog_metric",
    "proc_name",
    "default_proc_name",
    "pythonpath",
    "paste",
    "on_starting",
    "on_reload",
    "when_ready",
    "pre_fork",
    "post_fork",
    "post_worker_init",
    "worker_int",
    "worker_abort",
    "pre_exec",
    "pre_request",
    "post_request",
    "child_exit",
    "worker_exit",
    "nworkers_changed",
    "on_exit",
    "ssl_context",
    "proxy_protocol",
    "proxy_allow_ips",
    "protocol",
    "uwsgi_allow_ips",
    "keyfile",
    "certfile",
    "ssl_version",
    "cert_reqs",
    "ca_certs",
    "suppress_ragged_eofs",
    "do_handshake_on_connect",
    "ciphers",
    "http_protocols",
    "http2_cleartext",
    "http2_max_concurrent_streams",
    "http2_initial_window_size",
    "http2_max_frame_size",
    "http2_max_header_list_size",
    "raw_paste_global_conf",
    "permit_obsolete_folding",
    "strip_header_spaces",
    "permit_unconventional_http_method",
    "permit_unconventional_http_version",
    "casefold_http_method",
    "forwarder_headers",
    "header_map",
    "asgi_loop",
    "asgi_lifespan",
    "asgi_disconnect_grace_period",
    "http_parser",
    "root_path",
    "dirty_apps",
    "dirty_workers",
    "dirty_timeout",
    "dirty_threads",
    "dirty_graceful_timeout",
    "on_dirty_starting",
    "dirty_post_fork",
    "dirty_worker_init",
    "dirty_worker_exit",
    "control_socket",
    "control_socket_mode",
    "control_socket_disable",
};

TEST(SettingTable, HoldsGunicornsSettingsInDefinitionOrder) {
  std::vector<std::string_view> gunicorn_rows;
  for (const Setting& row : setting_table()) {
    if (!row.qilin_only) gunicorn_rows.push_back(row.name);
  }
  ASSERT_EQ(gunicorn_rows.size(), 119u);
  ASSERT_EQ(std::size(kGunicornOrder), 119u);
  for (size_t i = 0; i < gunicorn_rows.size(); ++i) EXPECT_EQ(gunicorn_rows[i], kGunicornOrder[i]) << i;
}

TEST(SettingTable, QilinOwnSettingsAreFew) {
  std::vector<std::string_view> own;
  for (const Setting& row : setting_table()) {
    if (row.qilin_only) own.push_back(row.name);
  }
  EXPECT_EQ(own, (std::vector<std::string_view>{"reload_rolling", "header_timeout", "metrics_bind"}));
}

TEST(SettingTable, SectionSizesMatchGunicorn) {
  std::map<std::string_view, int> sizes;
  for (const Setting& row : setting_table()) {
    if (!row.qilin_only) ++sizes[section_name(row.section)];
  }
  std::map<std::string_view, int> expected = {
      {"Server Mechanics", 30},
      {"Logging", 19},
      {"Server Hooks", 16},
      {"Worker Processes", 13},
      {"SSL", 8},
      {"Debugging", 6},
      {"HTTP/2", 6},
      {"Dirty Arbiters", 5},
      {"Dirty Arbiter Hooks", 4},
      {"Security", 3},
      {"Control", 3},
      {"Config File", 2},
      {"Server Socket", 2},
      {"Process Naming", 2},
  };
  EXPECT_EQ(sizes, expected);
  EXPECT_EQ(all_sections().size(), expected.size());
}

TEST(SettingTable, NamesAndFlagsAreUnique) {
  std::set<std::string_view> names, flags = {"-h", "--help", "-v", "--version"};
  int with_flags = 0;
  for (const Setting& row : setting_table()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    if (!row.flags.empty()) ++with_flags;
    for (std::string_view flag : row.flags) {
      EXPECT_TRUE(flags.insert(flag).second) << flag;
      EXPECT_EQ(flag[0], '-') << flag;
    }
  }
  EXPECT_EQ(with_flags, 97);  // gunicorn's 94 and qilin's three; 25 are config-file only
}

TEST(SettingTable, GunicornsFlagQuirksAreKept) {
  EXPECT_EQ(find_setting("limit_request_field_size")->flags,
            std::vector<std::string_view>{"--limit-request-field_size"});
  EXPECT_EQ(find_setting("errorlog")->flags_text(), "--error-logfile/--log-file");
  EXPECT_EQ(find_setting("paste")->flags_text(), "--paste/--paster");
  EXPECT_EQ(find_setting("proxy_protocol")->action, Action::kStoreOptional);
  EXPECT_EQ(find_setting("proxy_protocol")->const_text, "auto");
  EXPECT_EQ(find_setting("sendfile")->flags_text(), "--no-sendfile");
  EXPECT_EQ(find_setting("umask")->arg_type, ArgType::kAutoInt);
}

// Every spelling in the table reaches its own row through the parser.
TEST(SettingTable, EveryFlagResolvesToItsSetting) {
  for (const Setting& row : setting_table()) {
    for (std::string_view flag : row.flags) {
      std::vector<std::string> args = {std::string(flag)};
      if (row.action == Action::kStore || row.action == Action::kAppend) {
        args.push_back(row.arg_type == ArgType::kText ? "x" : "1");
      }
      Result<CommandLine> line = parse_command_line(args);
      ASSERT_TRUE(line) << flag << ": " << line.message();
      ASSERT_EQ(line->assignments.size(), 1u) << flag;
      EXPECT_EQ(line->assignments[0].name, row.name) << flag;
    }
  }
}

TEST(SettingTable, RowsAreComplete) {
  for (const Setting& row : setting_table()) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_NE(row.validate, nullptr);
    EXPECT_FALSE(row.help.empty());
    EXPECT_EQ(row.help.find('\n'), std::string_view::npos);
    EXPECT_FALSE(row.doc.empty());
    bool is_switch = row.action == Action::kStoreTrue || row.action == Action::kStoreConst;
    if (is_switch) {
      EXPECT_EQ(row.type, ValueType::kBool);
    }
    if (row.action == Action::kAppend) {
      EXPECT_EQ(row.type, ValueType::kList);
    }
    if (row.type == ValueType::kHook) {
      EXPECT_GE(row.arity.first, 1);
      EXPECT_LE(row.arity.first, row.arity.second);
      EXPECT_TRUE(row.flags.empty());
      EXPECT_NE(row.default_qualname.find(std::string(".") + std::string(row.name)), std::string_view::npos)
          << row.name;
    } else {
      EXPECT_TRUE(row.default_qualname.empty()) << row.name;
    }
    if (row.type == ValueType::kChoice) {
      EXPECT_FALSE(row.choices.empty());
    }
  }
}

TEST(SettingTable, EveryDefaultPassesItsValidator) {
  Environment env = Environment::for_tests();
  for (const Setting& row : setting_table()) {
    Result<Value> initial = row.initial_value(env);
    EXPECT_TRUE(initial) << row.name << ": " << initial.message();
  }
  EXPECT_TRUE(Config::from_environment(Environment::current()));
}

TEST(SettingTable, SupportedSettingsAreTheImplementedOnes) {
  std::set<std::string_view> expected = {
      "config", "wsgi_app", "bind", "backlog", "workers", "worker_class", "threads", "max_requests",
      "max_requests_jitter", "worker_connections", "timeout", "graceful_timeout", "reload_rolling", "keepalive", "header_timeout", "limit_request_line",
      "limit_request_fields", "limit_request_field_size", "reload", "reload_engine",
      "reload_extra_files", "check_config", "print_config",
      "preload_app", "sendfile", "reuse_port", "chdir", "raw_env", "pidfile", "pythonpath",
      "errorlog", "loglevel", "capture_output", "proc_name", "daemon", "user", "group", "initgroups",
      "enable_stdio_inheritance", "accesslog", "access_log_format", "proxy_protocol", "proxy_allow_ips", "forwarded_allow_ips",
      "secure_scheme_headers", "forwarder_headers", "header_map", "strip_header_spaces",
      "permit_obsolete_folding", "permit_unconventional_http_method",
      "permit_unconventional_http_version", "casefold_http_method", "default_proc_name", "umask",
      "worker_tmp_dir", "tmp_upload_dir", "syslog", "syslog_addr", "syslog_prefix",
      "syslog_facility", "disable_redirect_access_to_syslog", "statsd_host", "statsd_prefix",
      "dogstatsd_tags", "enable_backlog_metric", "logger_class", "logconfig", "logconfig_dict",
      "logconfig_json", "paste", "raw_paste_global_conf", "metrics_bind", "spew",
      // TLS
      "keyfile", "certfile", "ssl_version", "cert_reqs", "ca_certs", "suppress_ragged_eofs",
      "do_handshake_on_connect", "ciphers",
      // the server hooks
      "on_starting", "on_reload", "when_ready", "pre_fork", "post_fork", "post_worker_init",
      "worker_int", "worker_abort", "pre_exec", "pre_request", "post_request", "child_exit",
      "worker_exit", "nworkers_changed", "on_exit", "ssl_context"};
  std::set<std::string_view> supported;
  for (const Setting& row : setting_table()) {
    if (row.support == Support::kSupported) supported.insert(row.name);
  }
  EXPECT_EQ(supported, expected);
}

TEST(SettingTable, MetavarFallsBackToTheUpperCaseName) {
  EXPECT_EQ(find_setting("workers")->metavar(), "INT");
  EXPECT_EQ(find_setting("ciphers")->metavar(), "CIPHERS");
  EXPECT_EQ(find_setting("proxy_allow_ips")->metavar(), "PROXY_ALLOW_IPS");
}

TEST(SettingTable, LookupByName) {
  EXPECT_EQ(setting_index("config"), 0);
  EXPECT_EQ(setting_index("control_socket_disable"), int(setting_table().size()) - 1);
  EXPECT_EQ(setting_index("nope"), -1);
  EXPECT_EQ(find_setting("nope"), nullptr);
  EXPECT_EQ(find_setting("bind")->section, Section::kServerSocket);
}

// --- environment defaults --------------------------------------------------

TEST(SettingTable, PortChangesTheBindDefault) {
  Environment env = Environment::for_tests();
  EXPECT_EQ(Config(env).list("bind"), std::vector<std::string>{"127.0.0.1:8000"});
  env.vars["PORT"] = "5000";
  EXPECT_EQ(Config(env).list("bind"), std::vector<std::string>{"0.0.0.0:5000"});
}

TEST(SettingTable, WebConcurrencyChangesTheWorkersDefault) {
  Environment env = Environment::for_tests();
  EXPECT_EQ(Config(env).integer("workers"), 1);
  env.vars["WEB_CONCURRENCY"] = "4";
  EXPECT_EQ(Config(env).integer("workers"), 4);
  env.vars["WEB_CONCURRENCY"] = "four";
  Result<Config> bad = Config::from_environment(env);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message(), "Invalid value for WEB_CONCURRENCY: 'four' (not an integer)");
  EXPECT_EQ(Config(env).integer("workers"), 1);  // the plain default, for a Config() anyway
}

TEST(SettingTable, ForwardedAllowIpsComesFromTheEnvironment) {
  Environment env = Environment::for_tests();
  EXPECT_EQ(Config(env).list("forwarded_allow_ips"),
            (std::vector<std::string>{"127.0.0.1", "::1"}));
  env.vars["FORWARDED_ALLOW_IPS"] = "10.0.0.0/8, 192.168.1.1";
  EXPECT_EQ(Config(env).list("forwarded_allow_ips"),
            (std::vector<std::string>{"10.0.0.0/8", "192.168.1.1"}));
  env.vars["FORWARDED_ALLOW_IPS"] = "10.0.0.1/8";
  Result<Config> bad = Config::from_environment(env);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message(),
            "Invalid value for forwarded_allow_ips: '10.0.0.1/8' (10.0.0.1/8 has host bits set)");
}

TEST(SettingTable, ProcessDefaults) {
  Environment env = Environment::for_tests();
  env.cwd = "/tmp";
  env.euid = 1000;
  env.egid = 100;
  env.vars["HOME"] = "/home/app";
  Config config(env);
  EXPECT_EQ(config.string("chdir"), "/tmp");
  EXPECT_EQ(config.integer("user"), 1000);
  EXPECT_EQ(config.integer("group"), 100);
  EXPECT_EQ(config.string("control_socket"), "/home/app/.gunicorn/gunicorn.ctl");
  env.vars["XDG_RUNTIME_DIR"] = "/tmp";
  EXPECT_EQ(Config(env).string("control_socket"), "/tmp/gunicorn.ctl");
  env.vars["XDG_RUNTIME_DIR"] = "/no/such/dir";
  EXPECT_EQ(Config(env).string("control_socket"), "/home/app/.gunicorn/gunicorn.ctl");
}

}  // namespace
}  // namespace qilin::config
