#include "config/print_config.h"

#include <gtest/gtest.h>

#include <sstream>

#include "config/setting_table.h"

namespace qilin::config {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line for `name`, with the padding squeezed out.
std::string line_for(const std::string& text, const std::string& name) {
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with(name + " ")) {
      size_t eq = line.find(" = ");
      return name + " = " + line.substr(eq + 3);
    }
  }
  return "(missing)";
}

TEST(PrintConfig, EverySettingSortedAndAligned) {
  Config config(Environment::for_tests());
  std::vector<std::string> lines = lines_of(print_config_text(config));
  ASSERT_EQ(lines.size(), setting_table().size());
  EXPECT_TRUE(lines.front().starts_with("access_log_format "));
  EXPECT_TRUE(lines.back().starts_with("wsgi_app "));
  // Names are padded to the longest, permit_unconventional_http_version (34).
  for (const std::string& line : lines) EXPECT_EQ(line.find(" = "), 34u) << line;
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
}

TEST(PrintConfig, ValuesLookLikeGunicorns) {
  Config config(Environment::for_tests());
  std::string text = print_config_text(config);
  EXPECT_EQ(line_for(text, "access_log_format"),
            R"(access_log_format = %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s")");
  EXPECT_EQ(line_for(text, "accesslog"), "accesslog = None");
  EXPECT_EQ(line_for(text, "backlog"), "backlog = 2048");
  EXPECT_EQ(line_for(text, "bind"), "bind = ['127.0.0.1:8000']");
  EXPECT_EQ(line_for(text, "capture_output"), "capture_output = False");
  EXPECT_EQ(line_for(text, "config"), "config = ./gunicorn.conf.py");
  EXPECT_EQ(line_for(text, "dogstatsd_tags"), "dogstatsd_tags = ");
  EXPECT_EQ(line_for(text, "forwarded_allow_ips"), "forwarded_allow_ips = ['127.0.0.1', '::1']");
  EXPECT_EQ(line_for(text, "logconfig_dict"), "logconfig_dict = {}");
  // A built-in hook shows gunicorn's __qualname__ for it.
  EXPECT_EQ(line_for(text, "on_starting"), "on_starting = <OnStarting.on_starting()>");
  EXPECT_EQ(line_for(text, "pre_fork"), "pre_fork = <Prefork.pre_fork()>");
  EXPECT_EQ(line_for(text, "ssl_context"), "ssl_context = <NewSSLContext.ssl_context()>");
  EXPECT_EQ(line_for(text, "raw_env"), "raw_env = []");
  EXPECT_EQ(line_for(text, "secure_scheme_headers"),
            "secure_scheme_headers = {'X-FORWARDED-PROTOCOL': 'ssl', "
            "'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on'}");
  EXPECT_EQ(line_for(text, "sendfile"), "sendfile = None");
  EXPECT_EQ(line_for(text, "suppress_ragged_eofs"), "suppress_ragged_eofs = True");
  EXPECT_EQ(line_for(text, "umask"), "umask = 0");
  EXPECT_EQ(line_for(text, "control_socket_mode"), "control_socket_mode = 384");
}

TEST(PrintConfig, ShowsSetValuesAndQuotesInsideLists) {
  Config config(Environment::for_tests());
  ASSERT_TRUE(config.set_value("bind", std::vector<std::string>{"a", "it's"}, Source::kConfigFile));
  ASSERT_TRUE(config.set_from_text("pidfile", "/run/app.pid", Source::kCommandLine));
  int dummy = 0;
  ASSERT_TRUE(config.set_value("when_ready", PyHandle{&dummy}, Source::kConfigFile));
  std::string text = print_config_text(config, [](PyHandle) { return "<when_ready()>"; });
  EXPECT_EQ(line_for(text, "bind"), "bind = ['a', \"it's\"]");
  EXPECT_EQ(line_for(text, "pidfile"), "pidfile = /run/app.pid");
  EXPECT_EQ(line_for(text, "when_ready"), "when_ready = <when_ready()>");
  // Without a formatter a set handle still prints something.
  EXPECT_EQ(line_for(print_config_text(config), "when_ready"), "when_ready = <python object>");
}

TEST(PythonRepr, QuotesLikePython) {
  EXPECT_EQ(python_repr("abc"), "'abc'");
  EXPECT_EQ(python_repr("it's"), "\"it's\"");
  EXPECT_EQ(python_repr("a'b\"c"), "'a\\'b\"c'");
  EXPECT_EQ(python_repr("back\\slash\n\t\x01"), "'back\\\\slash\\n\\t\\x01'");
  EXPECT_EQ(python_repr(Value()), "None");
  EXPECT_EQ(python_repr(Value(true)), "True");
  EXPECT_EQ(python_repr(Value(int64_t{-3})), "-3");
  EXPECT_EQ(python_repr(Value(1.0)), "1.0");
  EXPECT_EQ(python_repr(Value(std::vector<std::string>{})), "[]");
  EXPECT_EQ(python_str(Value(std::string("x"))), "x");
}

}  // namespace
}  // namespace qilin::config
