#include "config/help_text.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "config/command_line.h"
#include "config/setting_table.h"
#include "config/value_format.h"

namespace qilin::config {
namespace {

constexpr int kIndent = 2;
constexpr int kMaxHelpPosition = 24;

// Greedy word wrap at `width` columns; whitespace runs collapse, as argparse does.
std::vector<std::string> wrap(const std::string& text, int width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word, line;
  while (words >> word) {
    if (!line.empty() && int(line.size() + 1 + word.size()) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

class HelpWriter {
 public:
  explicit HelpWriter(int columns) {
    width_ = std::max(columns - 2, 11);
    help_position_ = std::min(kMaxHelpPosition, std::max(width_ - 20, 2 * kIndent));
  }

  void heading(std::string_view title) { out_ += "\n" + std::string(title) + ":\n"; }

  // One entry: the invocation ("-w INT, --workers INT") and its help.
  void entry(const std::string& invocation, const std::string& help) {
    int action_width = help_position_ - kIndent - 2;
    std::string line(kIndent, ' ');
    line += invocation;
    std::vector<std::string> help_lines = wrap(help, std::max(width_ - help_position_, 11));
    if (int(invocation.size()) <= action_width && !help_lines.empty()) {
      line.append(size_t(help_position_) - line.size(), ' ');
      out_ += line + help_lines[0] + "\n";
      help_lines.erase(help_lines.begin());
    } else {
      out_ += line + "\n";
    }
    for (const std::string& h : help_lines) {
      out_ += std::string(size_t(help_position_), ' ') + h + "\n";
    }
  }

  std::string& text() { return out_; }

 private:
  int width_;
  int help_position_;
  std::string out_;
};

std::string invocation(const Setting& row) {
  std::string out;
  std::string value;
  if (row.action == Action::kStoreOptional) {
    value = " [" + row.metavar() + "]";
  } else if (row.takes_value()) {
    value = " " + row.metavar();
  }
  for (std::string_view flag : row.flags) {
    if (!out.empty()) out += ", ";
    out += std::string(flag) + value;
  }
  return out;
}

std::string option_help(const Setting& row, const Environment& env) {
  Result<Value> raw = row.default_for(env);
  std::string help =
      std::string(row.help) + " [" + display_value(row, raw ? *raw : row.default_value) + "]";
  if (row.support == Support::kUnsupported) help += " (not supported yet)";
  return help;
}

}  // namespace

std::string help_text(const Environment& env, int columns) {
  HelpWriter writer(columns);
  writer.text() = usage_line();
  writer.heading("positional arguments");
  writer.entry("APP_MODULE", "The WSGI application, as MODULE:VARIABLE (or a factory call).");
  writer.heading("options");
  writer.entry("-h, --help", "show this help message and exit");
  writer.entry("-v, --version", "show program's version number and exit");
  for (Section section : all_sections()) {
    bool first = true;
    for (const Setting& row : setting_table()) {
      if (row.section != section || row.flags.empty()) continue;
      if (first) writer.heading(section_name(section));
      first = false;
      writer.entry(invocation(row), option_help(row, env));
    }
  }
  return writer.text();
}

}  // namespace qilin::config
