#include "config/settings_doc.h"

#include <string_view>

#include "config/setting_table.h"
#include "config/value_format.h"
#include "core/strings.h"

namespace qilin::config {
namespace {

// GitHub's anchor for a heading: lower case, spaces to '-', other punctuation dropped.
std::string anchor(std::string_view title) {
  std::string out;
  for (char c : title) {
    if (c == ' ') {
      out += '-';
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += ascii_lower(c);
    }
  }
  return out;
}

std::string flags_doc(const Setting& row) {
  if (row.flags.empty()) return "config file only";
  std::string value;
  if (row.action == Action::kStoreOptional) {
    value = " [" + row.metavar() + "]";
  } else if (row.takes_value()) {
    value = " " + row.metavar();
  }
  std::string out;
  for (std::string_view flag : row.flags) {
    if (!out.empty()) out += ", ";
    out += "`" + std::string(flag) + value + "`";
  }
  if (row.action == Action::kAppend) out += " (repeatable)";
  return out;
}

std::string type_doc(const Setting& row) {
  switch (row.type) {
    case ValueType::kString:
      return "string";
    case ValueType::kInt:
      return row.arg_type == ArgType::kAutoInt ? "integer (octal with a leading 0, or 0o/0x/0b)"
                                               : "integer, not negative";
    case ValueType::kBool:
      return "boolean";
    case ValueType::kChoice: {
      std::string out;
      for (std::string_view choice : row.choices) {
        out += (out.empty() ? "one of `" : ", `") + std::string(choice) + "`";
      }
      return out;
    }
    case ValueType::kList:
      return "list of strings";
    case ValueType::kMap:
      return "dict of strings";
    case ValueType::kObject:
      return "dict";
    case ValueType::kHook: {
      auto [low, high] = row.arity;
      std::string count =
          low == high ? std::to_string(low) : std::to_string(low) + " to " + std::to_string(high);
      return "callable taking " + count + (high == 1 ? " argument" : " arguments");
    }
    case ValueType::kClass:
      return "class, or its name or dotted path";
  }
  return "";
}

std::string default_doc(const Setting& row) {
  if (!row.default_doc.empty()) return std::string(row.default_doc);
  if (row.type == ValueType::kHook) return "does nothing";
  return "`" + python_repr(row.default_value) + "`";
}

int supported_count(Section section, int* total) {
  int supported = 0;
  *total = 0;
  for (const Setting& row : setting_table()) {
    if (row.section != section) continue;
    ++*total;
    if (row.support == Support::kSupported) ++supported;
  }
  return supported;
}

}  // namespace

std::string settings_markdown() {
  std::string out;
  out +=
      "# Settings\n\n"
      "<!-- Generated from src/config/setting_table.cc by settings_markdown(); do not edit.\n"
      "     Regenerate: QILIN_UPDATE_DOCS=1 ./config_tests --gtest_filter='SettingsDoc.*' -->\n\n"
      "qilin reads gunicorn 26's settings under the same names, flags and defaults, from the\n"
      "command line, `GUNICORN_CMD_ARGS` and the config file. Later sources win: defaults, then\n"
      "the config file, then `GUNICORN_CMD_ARGS`, then the command line. A setting marked\n"
      "*not supported yet* is accepted at its default; any other value stops qilin with\n"
      "`setting 'NAME' (--flag) is not supported yet`.\n\n";
  int all_total = 0, all_supported = 0;
  out += "| Section | Settings | Supported |\n|---|---|---|\n";
  for (Section section : all_sections()) {
    int total = 0;
    int supported = supported_count(section, &total);
    all_total += total;
    all_supported += supported;
    std::string title(section_name(section));
    out += "| [" + title + "](#" + anchor(title) + ") | " + std::to_string(total) + " | " +
           std::to_string(supported) + " |\n";
  }
  out += "| all | " + std::to_string(all_total) + " | " + std::to_string(all_supported) + " |\n";

  for (Section section : all_sections()) {
    out += "\n## " + std::string(section_name(section)) + "\n";
    for (const Setting& row : setting_table()) {
      if (row.section != section) continue;
      out += "\n### `" + std::string(row.name) + "`\n\n";
      out += "- Command line: " + flags_doc(row) + "\n";
      out += "- Type: " + type_doc(row) + "\n";
      out += "- Default: " + default_doc(row) + "\n";
      out += std::string("- qilin: ") +
             (row.support == Support::kSupported ? "supported" : "**not supported yet**") +
             (row.limit != nullptr ? " (with limits, see below)" : "") +
             (row.qilin_only ? "; qilin's own setting, not in gunicorn" : "") + "\n\n";
      out += std::string(row.help) + "\n\n" + std::string(row.doc) + "\n";
    }
  }
  return out;
}

}  // namespace qilin::config
