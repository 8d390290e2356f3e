#include "config/config.h"

#include <gtest/gtest.h>

#include "config/setting_table.h"

namespace qilin::config {
namespace {

Config fresh() { return Config(Environment::for_tests()); }

TEST(Config, StartsAtTheDefaults) {
  Config config = fresh();
  EXPECT_EQ(config.string("config"), "./gunicorn.conf.py");
  EXPECT_TRUE(config.is_none("wsgi_app"));
  EXPECT_EQ(config.string("wsgi_app"), "");
  EXPECT_EQ(config.list("bind"), std::vector<std::string>{"127.0.0.1:8000"});
  EXPECT_EQ(config.integer("backlog"), 2048);
  EXPECT_EQ(config.integer("workers"), 1);
  EXPECT_EQ(config.string("worker_class"), "sync");
  EXPECT_EQ(config.integer("timeout"), 30);
  EXPECT_EQ(config.integer("keepalive"), 2);
  EXPECT_EQ(config.integer("limit_request_line"), 4094);
  EXPECT_FALSE(config.boolean("preload_app"));
  EXPECT_TRUE(config.is_none("sendfile"));
  EXPECT_FALSE(config.boolean("sendfile"));  // None reads as false
  EXPECT_TRUE(config.boolean("suppress_ragged_eofs"));
  EXPECT_EQ(config.string("errorlog"), "-");
  EXPECT_EQ(config.string("loglevel"), "info");
  EXPECT_EQ(config.string("proxy_protocol"), "off");
  EXPECT_EQ(config.list("proxy_allow_ips"), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(config.list("forwarder_headers"),
            (std::vector<std::string>{"SCRIPT_NAME", "PATH_INFO"}));
  EXPECT_EQ(config.list("http_protocols"), std::vector<std::string>{"h1"});
  EXPECT_EQ(config.string("header_map"), "drop");
  // gunicorn's dict, in its order
  EXPECT_EQ(config.map("secure_scheme_headers"),
            (StringMap{{"X-FORWARDED-PROTOCOL", "ssl"}, {"X-FORWARDED-PROTO", "https"}, {"X-FORWARDED-SSL", "on"}}));
  EXPECT_EQ(config.handle("on_starting"), PyHandle{});
  EXPECT_EQ(config.handle("logconfig_dict"), PyHandle{});
  EXPECT_EQ(config.integer("control_socket_mode"), 0600);
  EXPECT_EQ(config.number("timeout"), 30.0);
  EXPECT_EQ(config.source("workers"), Source::kDefault);
}

TEST(Config, SetFromTextValidates) {
  Config config = fresh();
  EXPECT_TRUE(config.set_from_text("workers", "4", Source::kCommandLine));
  EXPECT_EQ(config.integer("workers"), 4);
  EXPECT_EQ(config.source("workers"), Source::kCommandLine);

  Status bad = config.set_from_text("workers", "abc", Source::kCommandLine);
  EXPECT_EQ(bad.message(), "Invalid value for workers: 'abc' (not an integer)");
  EXPECT_EQ(config.integer("workers"), 4);  // unchanged

  EXPECT_EQ(config.set_from_text("backlog", "-1", Source::kCommandLine).message(),
            "Invalid value for backlog: '-1' (Value must be positive: -1)");
  EXPECT_EQ(config.set_from_text("preload_app", "yes", Source::kConfigFile).message(),
            "Invalid value for preload_app: 'yes' (not a boolean: use true or false)");
  EXPECT_EQ(config.set_from_text("header_map", "keep", Source::kCommandLine).message(),
            "Invalid value for header_map: 'keep' (expected one of: drop, refuse, dangerous)");
  EXPECT_EQ(config.set_from_text("no_such_setting", "1", Source::kCommandLine).message(),
            "No configuration setting for: no_such_setting");
}

TEST(Config, TextIsNormalisedAsGunicornDoes) {
  Config config = fresh();
  ASSERT_TRUE(config.set_from_text("loglevel", "  debug ", Source::kCommandLine));
  EXPECT_EQ(config.string("loglevel"), "debug");
  ASSERT_TRUE(config.set_from_text("header_map", " Refuse", Source::kCommandLine));
  EXPECT_EQ(config.string("header_map"), "refuse");
  ASSERT_TRUE(config.set_from_text("proxy_protocol", "TRUE", Source::kCommandLine));
  EXPECT_EQ(config.string("proxy_protocol"), "auto");
  ASSERT_TRUE(config.set_from_text("forwarded_allow_ips", "10.0.0.0/8, *", Source::kCommandLine));
  EXPECT_EQ(config.list("forwarded_allow_ips"), (std::vector<std::string>{"10.0.0.0/8", "*"}));
  ASSERT_TRUE(config.set_from_text("umask", "0x12", Source::kConfigFile));
  EXPECT_EQ(config.integer("umask"), 18);
  ASSERT_TRUE(config.set_from_text("check_config", "True", Source::kCommandLine));
  EXPECT_TRUE(config.boolean("check_config"));
  ASSERT_TRUE(config.set_from_text("sendfile", "false", Source::kCommandLine));
  EXPECT_FALSE(config.is_none("sendfile"));
}

TEST(Config, RepeatableSettingsAppendWithinASourceAndReplaceAcross) {
  Config config = fresh();
  ASSERT_TRUE(config.set_value("bind", std::vector<std::string>{"file:1"}, Source::kConfigFile));
  EXPECT_EQ(config.list("bind"), std::vector<std::string>{"file:1"});
  ASSERT_TRUE(config.set_from_text("bind", "env:1", Source::kEnvArgs));
  ASSERT_TRUE(config.set_from_text("bind", "env:2", Source::kEnvArgs));
  EXPECT_EQ(config.list("bind"), (std::vector<std::string>{"env:1", "env:2"}));
  ASSERT_TRUE(config.set_from_text("bind", "cli:1", Source::kCommandLine));
  EXPECT_EQ(config.list("bind"), std::vector<std::string>{"cli:1"});
}

TEST(Config, LowerSourcesDoNotOverrideHigherOnes) {
  Config config = fresh();
  ASSERT_TRUE(config.set_from_text("workers", "3", Source::kCommandLine));
  ASSERT_TRUE(config.set_value("workers", int64_t{9}, Source::kConfigFile));
  EXPECT_EQ(config.integer("workers"), 3);
  EXPECT_EQ(config.source("workers"), Source::kCommandLine);
  // Still validated, though.
  EXPECT_FALSE(config.set_value("workers", std::string("x"), Source::kConfigFile));
}

TEST(Config, SetValueTakesPythonShapedValues) {
  Config config = fresh();
  EXPECT_TRUE(config.set_value("workers", true, Source::kConfigFile));  // bool is an int
  EXPECT_EQ(config.integer("workers"), 1);
  EXPECT_TRUE(config.set_value("workers", std::string("0x10"), Source::kConfigFile));
  EXPECT_EQ(config.integer("workers"), 16);
  EXPECT_FALSE(config.set_value("workers", std::string("010"), Source::kConfigFile));
  EXPECT_FALSE(config.set_value("workers", Value(), Source::kConfigFile));
  EXPECT_FALSE(config.set_value("preload_app", int64_t{1}, Source::kConfigFile));
  EXPECT_TRUE(config.set_value("bind", std::string("0.0.0.0:80"), Source::kConfigFile));
  EXPECT_EQ(config.list("bind"), std::vector<std::string>{"0.0.0.0:80"});  // legacy: one string
  EXPECT_TRUE(config.set_value("raw_env", Value(), Source::kConfigFile));
  EXPECT_TRUE(config.list("raw_env").empty());
  EXPECT_TRUE(config.set_value("pidfile", Value(), Source::kConfigFile));
  EXPECT_TRUE(config.is_none("pidfile"));
  EXPECT_EQ(config.set_value("loglevel", int64_t{10}, Source::kConfigFile).message(),
            "Invalid value for loglevel: 10 (not a string)");
  StringMap headers = {{"X-SCHEME", "https"}};
  EXPECT_TRUE(config.set_value("secure_scheme_headers", headers, Source::kConfigFile));
  EXPECT_EQ(config.map("secure_scheme_headers"), headers);
  EXPECT_FALSE(config.set_value("secure_scheme_headers", std::string("x"), Source::kConfigFile));
}

TEST(Config, HooksAreOpaqueHandles) {
  Config config = fresh();
  int dummy = 0;
  PyHandle hook{&dummy};
  ASSERT_TRUE(config.set_value("post_fork", hook, Source::kConfigFile));
  EXPECT_EQ(config.handle("post_fork"), hook);
  EXPECT_EQ(config.set_from_text("post_fork", "mod.func", Source::kConfigFile).message(),
            "Invalid value for post_fork: 'mod.func' (not callable; define the hook in the "
            "config file)");
  // An unsupported hook is refused once it is set.
  EXPECT_EQ(config.set_value("on_dirty_starting", hook, Source::kConfigFile).message(),
            "setting 'on_dirty_starting' is not supported yet");
}

TEST(Config, UnsupportedSettingsAreRefusedUnlessAtTheirDefault) {
  Config config = fresh();
  EXPECT_EQ(config.set_from_text("dirty_workers", "2", Source::kCommandLine).message(),
            "setting 'dirty_workers' (--dirty-workers) is not supported yet");
  EXPECT_EQ(config.set_from_text("http_parser", "python", Source::kCommandLine).message(),
            "setting 'http_parser' (--http-parser) is not supported yet");
  EXPECT_EQ(config.set_value("dirty_post_fork", PyHandle{&config}, Source::kConfigFile).message(),
            "setting 'dirty_post_fork' is not supported yet");
  EXPECT_TRUE(config.set_from_text("dirty_workers", "0", Source::kConfigFile));
  EXPECT_TRUE(config.set_from_text("worker_connections", "1000", Source::kCommandLine));
  EXPECT_TRUE(config.set_value("user", Value(), Source::kConfigFile));  // None: the euid
  EXPECT_TRUE(config.set_from_text("user", "0", Source::kConfigFile));  // same as the default
  EXPECT_FALSE(config.set_from_text("user", "root2", Source::kConfigFile));
}

TEST(Config, WorkerClassIsSyncOrGthreadForNow) {
  Config config = fresh();
  EXPECT_TRUE(config.set_from_text("worker_class", "sync", Source::kCommandLine));
  EXPECT_TRUE(config.set_from_text("worker_class", "gunicorn.workers.sync.SyncWorker",
                                   Source::kCommandLine));
  EXPECT_TRUE(config.set_from_text("worker_class", "gthread", Source::kCommandLine));
  EXPECT_EQ(config.set_from_text("worker_class", "gevent", Source::kCommandLine).message(),
            "worker class 'gevent' is not supported yet (only 'sync' and 'gthread' are)");
  int dummy = 0;
  EXPECT_EQ(config.set_value("worker_class", PyHandle{&dummy}, Source::kCommandLine).message(),
            "a worker class object is not supported yet (only 'sync' and 'gthread' are)");
}

TEST(Config, ThreadsTakeAnyCount) {
  Config config = fresh();
  EXPECT_TRUE(config.set_from_text("threads", "1", Source::kCommandLine));
  EXPECT_TRUE(config.set_from_text("threads", "4", Source::kCommandLine));
  EXPECT_EQ(config.integer("threads"), 4);
}

TEST(Config, Chdir) {
  Environment env = Environment::for_tests();
  env.cwd = "/usr";
  Config config(env);
  ASSERT_TRUE(config.set_from_text("chdir", "lib/../bin/", Source::kCommandLine));
  EXPECT_EQ(config.string("chdir"), "/usr/bin");
  ASSERT_TRUE(config.set_from_text("chdir", "/tmp", Source::kCommandLine));
  EXPECT_EQ(config.string("chdir"), "/tmp");
  EXPECT_EQ(config.set_from_text("chdir", "/no/such/dir", Source::kCommandLine).message(),
            "Invalid value for chdir: '/no/such/dir' (no such directory)");
}

TEST(Config, SendfileFollowsTheSettingThenTheEnvironment) {
  Environment env = Environment::for_tests();
  EXPECT_TRUE(Config(env).sendfile_enabled());
  env.vars["SENDFILE"] = "0";
  EXPECT_FALSE(Config(env).sendfile_enabled());
  env.vars["SENDFILE"] = "Yes";
  Config config(env);
  EXPECT_TRUE(config.sendfile_enabled());
  ASSERT_TRUE(config.set_from_text("sendfile", "false", Source::kCommandLine));
  EXPECT_FALSE(config.sendfile_enabled());
}

TEST(Config, ProcessName) {
  Config config = fresh();
  EXPECT_EQ(config.process_name(), "gunicorn");
  ASSERT_TRUE(config.set_from_text("default_proc_name", "app:app", Source::kApplication));
  EXPECT_EQ(config.process_name(), "app:app");
}

TEST(Config, EnvironmentVariablesFromRawEnv) {
  Config config = fresh();
  ASSERT_TRUE(config.set_from_text("raw_env", "A=1", Source::kCommandLine));
  ASSERT_TRUE(config.set_from_text("raw_env", "B=x=y", Source::kCommandLine));
  Result<StringMap> vars = config.environment_variables();
  ASSERT_TRUE(vars);
  EXPECT_EQ(*vars, (StringMap{{"A", "1"}, {"B", "x=y"}}));
  ASSERT_TRUE(config.set_from_text("raw_env", "C", Source::kCommandLine));
  EXPECT_EQ(config.environment_variables().message(), "environment setting 'C' invalid");
}

TEST(Config, RepeatedRawEnvKeyKeepsItsPlaceAndTheLastValue) {
  Config config = fresh();
  for (const char* item : {"A=1", "B=2", "A=3"}) {
    ASSERT_TRUE(config.set_from_text("raw_env", item, Source::kCommandLine));
  }
  Result<StringMap> vars = config.environment_variables();
  ASSERT_TRUE(vars);
  EXPECT_EQ(*vars, (StringMap{{"A", "3"}, {"B", "2"}}));
}

}  // namespace
}  // namespace qilin::config
