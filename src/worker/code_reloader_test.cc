#include "worker/code_reloader.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace qilin::worker {
namespace {

namespace fs = std::filesystem;

class CodeReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/qilin-reloader-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // Moves the file's mtime by `seconds`, as an edit that the clock sees.
  static void bump(const std::string& path, int seconds) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += seconds;
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }
  static bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 1000) == 1;
  }

  std::string dir_;
};

TEST(SourcePath, CompiledModulesMapToTheirSource) {
  EXPECT_EQ(source_path("/a/b/../c/mod.pyc"), "/a/c/mod.py");
  EXPECT_EQ(source_path("/a/mod.py"), "/a/mod.py");
  EXPECT_EQ(source_path("/a/ext.so"), "/a/ext.so");
  EXPECT_EQ(source_path("rel.py"), (fs::current_path() / "rel.py").string());
}

TEST_F(CodeReloaderTest, PollSeesAChangedModuleOnce) {
  std::string mod = write("mod.py", "x = 1\n");
  auto r = CodeReloader::create("poll", {}, [&] { return std::vector<std::string>{mod}; });
  ASSERT_TRUE(r);
  EXPECT_STREQ((*r)->engine_name(), "poll");
  EXPECT_EQ((*r)->fd(), -1);
  EXPECT_EQ((*r)->on_tick(), std::nullopt);
  bump(mod, 2);
  EXPECT_EQ((*r)->on_tick(), mod);
  EXPECT_EQ((*r)->on_tick(), std::nullopt);
}

TEST_F(CodeReloaderTest, PollTakesAFileSeenLaterAsABaseline) {
  std::vector<std::string> modules;
  auto r = CodeReloader::create("poll", {}, [&] { return modules; });
  ASSERT_TRUE(r);
  modules.push_back(write("late.py", "x = 1\n"));
  EXPECT_EQ((*r)->on_tick(), std::nullopt);  // first seen: no change
  bump(modules[0], 2);
  EXPECT_EQ((*r)->on_tick(), modules[0]);
}

TEST_F(CodeReloaderTest, PollSkipsAFileThatIsGoneUntilItComesBack) {
  std::string mod = write("mod.py", "x = 1\n");
  auto r = CodeReloader::create("poll", {}, [&] { return std::vector<std::string>{mod}; });
  ASSERT_TRUE(r);
  fs::remove(mod);
  EXPECT_EQ((*r)->on_tick(), std::nullopt);
  write("mod.py", "x = 2\n");
  bump(mod, 2);
  EXPECT_EQ((*r)->on_tick(), mod);
}

TEST_F(CodeReloaderTest, GlobPatternsAreExpandedAgainOnEveryTick) {
  auto r =
      CodeReloader::create("poll", {dir_ + "/*.html"}, [] { return std::vector<std::string>{}; });
  ASSERT_TRUE(r);
  std::string page = write("page.html", "<p>\n");
  EXPECT_EQ((*r)->on_tick(), std::nullopt);  // newly matched: a baseline
  bump(page, 2);
  EXPECT_EQ((*r)->on_tick(), page);
}

TEST_F(CodeReloaderTest, InotifyReportsAWatchedNameOnly) {
  std::string mod = write("mod.py", "x = 1\n");
  std::string other = write("notes.txt", "\n");
  auto r = CodeReloader::create("inotify", {}, [&] { return std::vector<std::string>{mod}; });
  ASSERT_TRUE(r) << r.message();
  EXPECT_STREQ((*r)->engine_name(), "inotify");
  ASSERT_GE((*r)->fd(), 0);
  std::ofstream(other) << "changed\n";
  ASSERT_TRUE(readable((*r)->fd()));
  EXPECT_EQ((*r)->on_readable(), std::nullopt);
  std::ofstream(mod) << "x = 2\n";
  ASSERT_TRUE(readable((*r)->fd()));
  EXPECT_EQ((*r)->on_readable(), mod);
}

TEST_F(CodeReloaderTest, InotifySeesAFileReplacedByARename) {
  std::string mod = write("mod.py", "x = 1\n");
  auto r = CodeReloader::create("auto", {}, [&] { return std::vector<std::string>{mod}; });
  ASSERT_TRUE(r);
  std::string tmp = write(".mod.py.swp", "x = 2\n");
  (void)(*r)->on_readable();  // the swap file's own events
  fs::rename(tmp, mod);
  ASSERT_TRUE(readable((*r)->fd()));
  EXPECT_EQ((*r)->on_readable(), mod);
}

TEST_F(CodeReloaderTest, AnAddedFileIsWatched) {
  std::string broken = write("broken.py", "def f(:\n");
  auto r = CodeReloader::create("inotify", {}, [] { return std::vector<std::string>{}; });
  ASSERT_TRUE(r);
  (*r)->add_file(broken);
  std::ofstream(broken) << "def f(): pass\n";
  ASSERT_TRUE(readable((*r)->fd()));
  EXPECT_EQ((*r)->on_readable(), broken);
}

}  // namespace
}  // namespace qilin::worker
