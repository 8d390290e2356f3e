#include "arbiter/pidfile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace qilin::arbiter {
namespace {

namespace fs = std::filesystem;

std::string contents(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PidfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qilin-pidfile-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PidfileTest, ANewMastersFileIsRenamedToThePlainNameOnPromotion) {
  const fs::path plain = dir_ / "q.pid", second = dir_ / "q.pid.2";
  Pidfile pidfile;
  ASSERT_TRUE(pidfile.create(second.string(), getpid()));
  // The old master left its file behind (killed): the new one replaces it.
  std::ofstream(plain) << "999999\n";
  ASSERT_TRUE(pidfile.rename(plain.string()));
  EXPECT_FALSE(fs::exists(second));
  EXPECT_EQ(contents(plain), std::to_string(getpid()) + "\n");
  EXPECT_EQ(pidfile.path(), plain.string());
  pidfile.unlink();
  EXPECT_FALSE(fs::exists(plain));
}

TEST_F(PidfileTest, RenameWritesTheFileAfreshWhenOursWasRemoved) {
  const fs::path plain = dir_ / "q.pid", second = dir_ / "q.pid.2";
  Pidfile pidfile;
  ASSERT_TRUE(pidfile.create(second.string(), getpid()));
  fs::remove(second);
  ASSERT_TRUE(pidfile.rename(plain.string()));
  EXPECT_EQ(contents(plain), std::to_string(getpid()) + "\n");
}

TEST_F(PidfileTest, ALiveProcessInTheFileRefusesTheStartAndUnlinkLeavesOthersFiles) {
  const fs::path path = dir_ / "q.pid";
  std::ofstream(path) << getppid() << "\n";  // alive
  Pidfile pidfile;
  EXPECT_FALSE(pidfile.create(path.string(), getpid()));
  std::ofstream(path) << "999999\n";  // stale
  ASSERT_TRUE(pidfile.create(path.string(), getpid()));
  std::ofstream(path) << getppid() << "\n";  // another master wrote it since
  pidfile.unlink();
  EXPECT_TRUE(fs::exists(path));
}

}  // namespace
}  // namespace qilin::arbiter
