#include "arbiter/binary_upgrade.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace qilin::arbiter {
namespace {

void clear_handover_environment() {
  for (const char* name : {"GUNICORN_PID", "GUNICORN_FD", "LISTEN_PID", "LISTEN_FDS"}) {
    ::unsetenv(name);
  }
}

TEST(Inheritance, NothingHandedOverMeansBind) {
  clear_handover_environment();
  Inheritance inherited = Inheritance::take();
  EXPECT_TRUE(inherited.listener_fds.empty());
  EXPECT_FALSE(inherited.from_systemd);
  EXPECT_EQ(inherited.old_master, 0);
}

TEST(Inheritance, AnOldMastersSocketsAreTakenAndForgotten) {
  clear_handover_environment();
  ::setenv("GUNICORN_PID", "4321", 1);
  ::setenv("GUNICORN_FD", "5, 6,x", 1);
  Inheritance inherited = Inheritance::take();
  EXPECT_EQ(inherited.old_master, 4321);
  EXPECT_EQ(inherited.listener_fds, (std::vector<int>{5, 6}));  // what is no fd is skipped
  EXPECT_FALSE(inherited.from_systemd);
  EXPECT_EQ(std::getenv("GUNICORN_PID"), nullptr);
  EXPECT_EQ(std::getenv("GUNICORN_FD"), nullptr);
}

TEST(Inheritance, GunicornFdCountsOnlyWithTheOldMastersPid) {
  clear_handover_environment();
  ::setenv("GUNICORN_FD", "5", 1);
  EXPECT_TRUE(Inheritance::take().listener_fds.empty());
  EXPECT_EQ(std::getenv("GUNICORN_FD"), nullptr);
}

TEST(Inheritance, SystemdsSocketsComeFirst) {
  clear_handover_environment();
  ::setenv("GUNICORN_PID", "4321", 1);
  ::setenv("GUNICORN_FD", "7", 1);
  ::setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  Inheritance inherited = Inheritance::take();
  EXPECT_TRUE(inherited.from_systemd);
  EXPECT_EQ(inherited.listener_fds, (std::vector<int>{3}));
  EXPECT_EQ(inherited.old_master, 4321);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
}

TEST(StartContext, KeepsTheCommandLineAndTheEnvironment) {
  ::setenv("QILIN_START_CONTEXT_TEST", "yes", 1);
  char arg0[] = "qilin", arg1[] = "-w", arg2[] = "2";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  StartContext start = StartContext::capture(3, argv);
  EXPECT_EQ(start.argv, (std::vector<std::string>{"qilin", "-w", "2"}));
  EXPECT_NE(
      std::find(start.environment.begin(), start.environment.end(), "QILIN_START_CONTEXT_TEST=yes"),
      start.environment.end());
  ::unsetenv("QILIN_START_CONTEXT_TEST");
}

TEST(StartContext, TheDirectoryIsPwdWhenItNamesTheSamePlace) {
  namespace fs = std::filesystem;
  const fs::path real = fs::temp_directory_path() / ("qilin-start-" + std::to_string(getpid()));
  const fs::path link = real.string() + "-current";
  fs::create_directories(real);
  fs::remove(link);
  fs::create_directory_symlink(real, link);
  const fs::path before = fs::current_path();
  fs::current_path(link);
  // A symlinked release directory is followed again on the next USR2.
  ::setenv("PWD", link.c_str(), 1);
  EXPECT_EQ(StartContext::capture(0, nullptr).cwd, link.string());
  ::setenv("PWD", "/", 1);  // names another directory: not believed
  EXPECT_EQ(StartContext::capture(0, nullptr).cwd, fs::canonical(real).string());
  fs::current_path(before);
  fs::remove(link);
  fs::remove(real);
}

}  // namespace
}  // namespace qilin::arbiter
