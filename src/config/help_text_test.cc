#include "config/help_text.h"

#include <gtest/gtest.h>

namespace qilin::config {
namespace {

TEST(HelpText, HasArgparseShape) {
  std::string help = help_text(Environment::for_tests());
  EXPECT_TRUE(help.starts_with("usage: qilin [OPTIONS] [APP_MODULE]\n\npositional arguments:\n"));
  EXPECT_NE(help.find("\noptions:\n  -h, --help            show this help message and exit\n"),
            std::string::npos);
  EXPECT_NE(help.find("  -v, --version         show program's version number and exit\n"),
            std::string::npos);
}

TEST(HelpText, GroupsOptionsBySection) {
  std::string help = help_text(Environment::for_tests());
  size_t socket = help.find("\nServer Socket:\n");
  size_t workers = help.find("\nWorker Processes:\n");
  ASSERT_NE(socket, std::string::npos);
  ASSERT_NE(workers, std::string::npos);
  EXPECT_LT(socket, workers);
  EXPECT_EQ(help.find("\nServer Hooks:\n"), std::string::npos);  // no flags there
  EXPECT_NE(help.find("  -b ADDRESS, --bind ADDRESS\n"), std::string::npos);
  EXPECT_NE(help.find("  --backlog INT         Length of the queue"), std::string::npos);
  EXPECT_NE(help.find("  --proxy-protocol [MODE]\n"), std::string::npos);
  EXPECT_NE(help.find("  -D, --daemon          Detach"), std::string::npos);
}

TEST(HelpText, ShowsDefaultsAndSupport) {
  Environment env = Environment::for_tests();
  env.vars["PORT"] = "9000";
  std::string help = help_text(env, 200);  // wide: each help on one line
  EXPECT_NE(help.find("[['0.0.0.0:9000']]\n"), std::string::npos);
  EXPECT_NE(help.find("Number of worker processes. [1]\n"), std::string::npos);
  EXPECT_NE(help.find("[127.0.0.1,::1]"), std::string::npos);  // raw, as gunicorn shows it
  EXPECT_NE(help.find("Detach from the terminal and run in the background. [False]\n"),
            std::string::npos);
  EXPECT_NE(help.find("Number of dirty worker processes; 0 turns the dirty arbiter off. [0] (not "
                      "supported yet)\n"),
            std::string::npos);
}

TEST(HelpText, WrapsToTheWidth) {
  std::string help = help_text(Environment::for_tests(), 60);
  size_t start = 0;
  while (start < help.size()) {
    size_t end = help.find('\n', start);
    std::string line = help.substr(start, end - start);
    // An option's invocation may be longer; help text wraps at 58 columns.
    if (!line.starts_with("  -")) {
      EXPECT_LE(line.size(), 58u) << line;
    }
    start = end + 1;
  }
}

}  // namespace
}  // namespace qilin::config
