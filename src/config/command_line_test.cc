#include "config/command_line.h"

#include <gtest/gtest.h>

#include "config/setting_table.h"

namespace qilin::config {
namespace {

// Renders a parse as "setting=value ..." (the values apply() would use:
// every value of a repeatable option, the last of any other), with the
// positionals first, or "error: MESSAGE". The expectations below were taken
// from gunicorn 26's own parser under Python 3.11.
std::string parse(std::vector<std::string> args) {
  Result<CommandLine> line = parse_command_line(args);
  if (!line) return "error: " + line.message();
  if (line->help) return "help";
  if (line->version) return "version";
  std::string out = "[";
  for (size_t i = 0; i < line->positionals.size(); ++i) {
    out += (i ? " " : "") + line->positionals[i];
  }
  out += "]";
  for (const Setting& row : setting_table()) {
    std::vector<std::string> values;
    for (const Assignment& a : line->assignments) {
      if (a.name == row.name) values.push_back(a.text);
    }
    if (values.empty()) continue;
    if (row.action != Action::kAppend) values.erase(values.begin(), values.end() - 1);
    out += " " + std::string(row.name) + "=";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
  }
  return out;
}

struct Case {
  std::vector<std::string> args;
  std::string expected;
};

void run_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    std::string shown;
    for (const std::string& a : c.args) shown += "'" + a + "' ";
    EXPECT_EQ(parse(c.args), c.expected) << shown;
  }
}

TEST(CommandLine, ValueSpellings) {
  run_cases({
      {{"--workers", "2"}, "[] workers=2"},
      {{"--workers=2"}, "[] workers=2"},
      {{"-w", "2"}, "[] workers=2"},
      {{"-w2"}, "[] workers=2"},
      {{"-w=2"}, "[] workers=2"},
      {{"-w", " 3 "}, "[] workers=3"},
      {{"-w", "1_000"}, "[] workers=1000"},
      {{"-w", "+3"}, "[] workers=3"},
      {{"-w", "-1"}, "[] workers=-1"},  // a negative number is a value; the validator refuses it
      {{"-t", "10", "--timeout=20"}, "[] timeout=20"},
      {{"--pid=x", "--pid=y"}, "[] pidfile=y"},
      {{"-b=a=b"}, "[] bind=a=b"},
      {{"--bind="}, "[] bind="},
      {{"-b", "-1"}, "[] bind=-1"},
      {{"-b", "-x y"}, "[] bind=-x y"},  // contains a space: not an option
      {{"-c=conf.py"}, "[] config=conf.py"},
      {{"--config=python:mod"}, "[] config=python:mod"},
  });
}

TEST(CommandLine, PrefixesOfLongOptions) {
  run_cases({
      {{"--graceful", "5"}, "[] graceful_timeout=5"},
      {{"--keep", "3"}, "[] keepalive=3"},
      {{"--no-send"}, "[] sendfile=false"},
      {{"--log-f", "x"}, "[] errorlog=x"},
      {{"--error", "x"}, "[] errorlog=x"},
      {{"--vers"}, "version"},
      {{"--worker", "3"},
       "error: ambiguous option: --worker could match --workers, --worker-class, "
       "--worker-connections, --worker-tmp-dir"},
      {{"--wor=3"},
       "error: ambiguous option: --wor=3 could match --workers, --worker-class, "
       "--worker-connections, --worker-tmp-dir"},
      {{"--past", "x"},
       "error: ambiguous option: --past could match --paste, --paster, --paste-global"},
      {{"--he"}, "error: ambiguous option: --he could match --help, --header-timeout, --header-map"},
      {{"--reload-r", "2"}, "[] reload_rolling=2"},
      {{"--reload-", "2"},
       "error: ambiguous option: --reload- could match --reload-rolling, --reload-engine, "
       "--reload-extra-file"},
      {{"--limit-request-field", "10"},
       "error: ambiguous option: --limit-request-field could match --limit-request-fields, "
       "--limit-request-field_size"},
  });
}

TEST(CommandLine, GunicornFlagQuirks) {
  run_cases({
      {{"--limit-request-field_size", "10"}, "[] limit_request_field_size=10"},
      {{"--limit-request-field-size", "10"},
       "error: unrecognized arguments: --limit-request-field-size"},
      {{"--log-file", "x"}, "[] errorlog=x"},
      {{"--paster", "x"}, "[] paste=x"},
      {{"--proxy-protocol"}, "[] proxy_protocol=auto"},
      {{"--proxy-protocol=v1"}, "[] proxy_protocol=v1"},
      {{"--proxy-protocol", "-w", "2"}, "[] workers=2 proxy_protocol=auto"},
      {{"--proxy-protocol", "v2", "app"}, "[app] proxy_protocol=v2"},
      {{"--proxy-protocol", "app:app"}, "[] proxy_protocol=app:app"},  // argparse takes it
      {{"--no-sendfile"}, "[] sendfile=false"},
      {{"--suppress-ragged-eofs"}, "[] suppress_ragged_eofs=true"},
  });
}

TEST(CommandLine, SwitchesAndBundles) {
  run_cases({
      {{"--preload", "--check-config", "--print-config"},
       "[] check_config=true print_config=true preload_app=true"},
      {{"-DR"}, "[] daemon=true enable_stdio_inheritance=true"},
      {{"-Dw3"}, "[] workers=3 daemon=true"},
      {{"-Dw", "3"}, "[] workers=3 daemon=true"},
      {{"-D=x"}, "error: argument -D/--daemon: ignored explicit argument 'x'"},
      {{"-DRx"}, "error: argument -R/--enable-stdio-inheritance: ignored explicit argument 'x'"},
      {{"--daemon=1"}, "error: argument -D/--daemon: ignored explicit argument '1'"},
      {{"--daemon="}, "error: argument -D/--daemon: ignored explicit argument ''"},
  });
}

TEST(CommandLine, RepeatableOptionsAppend) {
  run_cases({
      {{"-b", "a", "-b", "b", "-e", "X=1", "--env", "Y=2"}, "[] bind=a,b raw_env=X=1,Y=2"},
      {{"-b", "a", "app", "-b", "c"}, "[app] bind=a,c"},
      {{"--reload-extra-file", "a", "--reload-extra-file", "b"}, "[] reload_extra_files=a,b"},
      {{"--dirty-app", "a", "--dirty-app", "b:C:2"}, "[] dirty_apps=a,b:C:2"},
      {{"--paste-global", "a=b"}, "[] raw_paste_global_conf=a=b"},
  });
}

TEST(CommandLine, Positionals) {
  run_cases({
      {{"-w", "2", "app:app"}, "[app:app] workers=2"},
      {{"app:app", "-w", "2"}, "[app:app] workers=2"},
      {{"-w", "2", "app", "extra"}, "[app extra] workers=2"},
      {{"app:app", "-w", "2", "extra"}, "error: unrecognized arguments: extra"},
      {{"-w", "2", "app", "--", "x"}, "[app x] workers=2"},
      {{"--", "-w"}, "[-w]"},
      {{"-w", "3", "--", "-w", "4"}, "[-w 4] workers=3"},
      {{"", "app"}, "[ app]"},
      {{"-", "app"}, "[- app]"},
      {{}, "[]"},
  });
  Result<CommandLine> line = parse_command_line(std::vector<std::string>{"-w", "2", "a:b", "c"});
  ASSERT_TRUE(line);
  EXPECT_EQ(line->app_module(), "a:b");
  EXPECT_EQ(line->last("workers"), "2");
  EXPECT_EQ(line->last("bind"), std::nullopt);
  EXPECT_EQ(parse_command_line(std::vector<std::string>{})->app_module(), std::nullopt);
}

TEST(CommandLine, TypeConversion) {
  run_cases({
      {{"--workers", "abc"}, "error: argument -w/--workers: invalid int value: 'abc'"},
      {{"-w", "0x10"}, "error: argument -w/--workers: invalid int value: '0x10'"},
      {{"-wD"}, "error: argument -w/--workers: invalid int value: 'D'"},
      {{"-w="}, "error: argument -w/--workers: invalid int value: ''"},
      {{"--backlog="}, "error: argument --backlog: invalid int value: ''"},
      {{"--threads", "2", "--threads", "x"}, "error: argument --threads: invalid int value: 'x'"},
      {{"-m", "022"}, "[] umask=18"},
      {{"-m", "0o22"}, "[] umask=18"},
      {{"-m", "0x1f"}, "[] umask=31"},
      {{"-m", "22"}, "[] umask=22"},
      {{"--umask=0"}, "[] umask=0"},
      {{"-m", "09"}, "error: argument -m/--umask: invalid auto_int value: '09'"},
      {{"--control-socket-mode", "0600"}, "[] control_socket_mode=384"},
      {{"--cert-reqs", "2"}, "[] cert_reqs=2"},  // no argparse type: the validator converts
  });
}

TEST(CommandLine, Errors) {
  run_cases({
      {{"-w"}, "error: argument -w/--workers: expected one argument"},
      {{"-w", "--"}, "error: argument -w/--workers: expected one argument"},
      {{"-w", "--", "3"}, "error: argument -w/--workers: expected one argument"},
      {{"-b", "-x"}, "error: argument -b/--bind: expected one argument"},
      {{"-e"}, "error: argument -e/--env: expected one argument"},
      {{"--bogus"}, "error: unrecognized arguments: --bogus"},
      {{"--bogus", "app"}, "error: unrecognized arguments: --bogus"},
      {{"-x"}, "error: unrecognized arguments: -x"},
      {{"---x"}, "error: unrecognized arguments: ---x"},
  });
}

TEST(CommandLine, HelpAndVersionStopParsing) {
  run_cases({
      {{"-h"}, "help"},
      {{"--help"}, "help"},
      {{"-v"}, "version"},
      {{"--version"}, "version"},
      {{"-w", "2", "-h"}, "help"},
      {{"-h", "--bogus"}, "help"},
      {{"--bogus", "-h"}, "help"},  // unknown options are reported only at the end
      {{"--workers", "abc", "-h"}, "error: argument -w/--workers: invalid int value: 'abc'"},
  });
}

TEST(CommandLine, ArgcArgv) {
  const char* argv[] = {"qilin", "-w3", "app:app"};
  Result<CommandLine> line = parse_command_line(3, argv);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->last("workers"), "3");
  EXPECT_EQ(line->app_module(), "app:app");
}

TEST(CommandLine, MessagesAtTheEdge) {
  EXPECT_EQ(usage_line(), "usage: qilin [OPTIONS] [APP_MODULE]\n");
  EXPECT_EQ(usage_error_text("unrecognized arguments: x"),
            "usage: qilin [OPTIONS] [APP_MODULE]\nqilin: error: unrecognized arguments: x\n");
  EXPECT_EQ(version_text(), std::string("qilin (version ") + QILIN_VERSION + ")\n");
  EXPECT_EQ(kExitUsageError, 2);
  EXPECT_EQ(kExitConfigError, 1);
}

// --- GUNICORN_CMD_ARGS -----------------------------------------------------

TEST(ShellWords, SplitsLikeShlex) {
  using Words = std::vector<std::string>;
  struct WordCase {
    std::string text;
    Words expected;
  };
  // Expectations from Python 3.11's shlex.split.
  std::vector<WordCase> cases = {
      {"a b", {"a", "b"}},
      {"  a   b  ", {"a", "b"}},
      {"a\"b c\"d", {"ab cd"}},
      {"'a b' c", {"a b", "c"}},
      {"a\\ b", {"a b"}},
      {"\"a\\\"b\"", {"a\"b"}},
      {"\"a\\b\"", {"a\\b"}},
      {"'a\\b'", {"a\\b"}},
      {"\"\"", {""}},
      {"a '' b", {"a", "", "b"}},
      {"--bind=0.0.0.0 --workers=3", {"--bind=0.0.0.0", "--workers=3"}},
      {"a\tb\nc", {"a", "b", "c"}},
      {"#x y", {"#x", "y"}},
      {"", {}},
  };
  for (const WordCase& c : cases) {
    Result<Words> words = split_shell_words(c.text);
    ASSERT_TRUE(words) << c.text;
    EXPECT_EQ(*words, c.expected) << c.text;
  }
  EXPECT_EQ(split_shell_words("\"abc").message(), "No closing quotation");
  EXPECT_EQ(split_shell_words("'abc").message(), "No closing quotation");
  EXPECT_EQ(split_shell_words("a\\").message(), "No escaped character");
  EXPECT_EQ(split_shell_words("\"a\\").message(), "No escaped character");
}

TEST(ShellWords, EnvironmentArgumentsParseLikeTheCommandLine) {
  Result<std::vector<std::string>> words = split_shell_words("--bind=0.0.0.0 --workers=3 app");
  ASSERT_TRUE(words);
  Result<CommandLine> line = parse_command_line(*words);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->last("bind"), "0.0.0.0");
  EXPECT_EQ(line->last("workers"), "3");
}

// --- apply -----------------------------------------------------------------

Result<CommandLine> parsed(std::vector<std::string> args) { return parse_command_line(args); }

TEST(Apply, SetsValuesThroughTheValidators) {
  Config config(Environment::for_tests());
  ASSERT_TRUE(apply(*parsed({"-w", "3", "-b", "a", "-b", "b", "--preload", "-m", "022"}),
                    Source::kCommandLine, config));
  EXPECT_EQ(config.integer("workers"), 3);
  EXPECT_EQ(config.list("bind"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(config.boolean("preload_app"));
  EXPECT_EQ(config.integer("umask"), 18);
  EXPECT_EQ(config.source("workers"), Source::kCommandLine);
  EXPECT_EQ(config.source("backlog"), Source::kDefault);
}

TEST(Apply, CommandLineBeatsEnvironmentArguments) {
  Config config(Environment::for_tests());
  ASSERT_TRUE(apply(*parsed({"-w", "5", "-b", "env1", "-b", "env2", "--backlog", "10"}),
                    Source::kEnvArgs, config));
  ASSERT_TRUE(apply(*parsed({"-w", "2", "-b", "cli"}), Source::kCommandLine, config));
  EXPECT_EQ(config.integer("workers"), 2);
  EXPECT_EQ(config.list("bind"), std::vector<std::string>{"cli"});  // replaced, not appended
  EXPECT_EQ(config.integer("backlog"), 10);
}

TEST(Apply, OnlyTheLastValueOfAPlainOptionIsValidated) {
  Config config(Environment::for_tests());
  ASSERT_TRUE(
      apply(*parsed({"--chdir", "/no/such/dir", "--chdir", "/"}), Source::kCommandLine, config));
  EXPECT_EQ(config.string("chdir"), "/");
}

TEST(Apply, ReportsTheFirstBadSettingInTableOrder) {
  Config config(Environment::for_tests());
  Status s = apply(*parsed({"--timeout", "-5", "-w", "-1"}), Source::kCommandLine, config);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "Invalid value for workers: '-1' (Value must be positive: -1)");
}

TEST(Apply, RefusesUnsupportedSettingsByName) {
  Config config(Environment::for_tests());
  Status s = apply(*parsed({"--dirty-workers", "2"}), Source::kCommandLine, config);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "setting 'dirty_workers' (--dirty-workers) is not supported yet");
  // Its default is accepted: nothing changes.
  EXPECT_TRUE(apply(*parsed({"--suppress-ragged-eofs"}), Source::kCommandLine, config));
}

}  // namespace
}  // namespace qilin::config
