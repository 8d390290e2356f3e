#include "config/settings_doc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "config/setting_table.h"

namespace qilin::config {
namespace {

// docs/settings.md, found from this source file: src/config/ -> repository root.
std::filesystem::path checked_in_doc() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "docs" /
         "settings.md";
}

TEST(SettingsDoc, CheckedInFileIsCurrent) {
  std::string generated = settings_markdown();
  std::filesystem::path path = checked_in_doc();
  const char* update = std::getenv("QILIN_UPDATE_DOCS");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream(path, std::ios::binary) << generated;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << path;
  std::stringstream current;
  current << in.rdbuf();
  EXPECT_TRUE(current.str() == generated)
      << path << " is stale. Regenerate it from the settings table with:\n"
      << "  QILIN_UPDATE_DOCS=1 ./config_tests --gtest_filter='SettingsDoc.*'\n"
      << "(run in the build directory), then commit docs/settings.md.";
}

TEST(SettingsDoc, DescribesEverySetting) {
  std::string doc = settings_markdown();
  for (const Setting& row : setting_table()) {
    EXPECT_NE(doc.find("### `" + std::string(row.name) + "`\n"), std::string::npos) << row.name;
  }
  for (Section section : all_sections()) {
    EXPECT_NE(doc.find("\n## " + std::string(section_name(section)) + "\n"), std::string::npos);
  }
  EXPECT_NE(doc.find("- Command line: `-w INT`, `--workers INT`\n"), std::string::npos);
  EXPECT_NE(doc.find("- Command line: `-b ADDRESS`, `--bind ADDRESS` (repeatable)\n"),
            std::string::npos);
  EXPECT_NE(doc.find("- Command line: `--proxy-protocol [MODE]`\n"), std::string::npos);
  EXPECT_NE(doc.find("- qilin: **not supported yet**\n"), std::string::npos);
  EXPECT_NE(doc.find("| all | 122 |"), std::string::npos);  // gunicorn's 119 and qilin's three
}

TEST(SettingsDoc, DoesNotDependOnTheEnvironment) {
  // Defaults come from the table, never from PORT or the working directory.
  EXPECT_NE(settings_markdown().find("`['0.0.0.0:$PORT']` when `PORT` is set"), std::string::npos);
}

}  // namespace
}  // namespace qilin::config
