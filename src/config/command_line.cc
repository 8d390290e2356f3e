#include "config/command_line.h"

#include <algorithm>

#include "config/setting_table.h"
#include "config/validators.h"
#include "config/value_format.h"

#ifndef QILIN_VERSION
#define QILIN_VERSION "0.0.0"
#endif

namespace qilin::config {
namespace {

// What an option string stands for: a row of the table, -h or -v.
constexpr int kHelpAction = -1;
constexpr int kVersionAction = -2;
constexpr int kUnknownAction = -3;

struct OptionString {
  std::string_view text;
  int action;
};

// Every option string, in the order argparse registers them: -h, -v, then
// the table's flags in definition order. Ambiguity messages list them so.
const std::vector<OptionString>& option_strings() {
  static const std::vector<OptionString> kOptions = [] {
    std::vector<OptionString> out = {{"-h", kHelpAction},
                                     {"--help", kHelpAction},
                                     {"-v", kVersionAction},
                                     {"--version", kVersionAction}};
    std::span<const Setting> table = setting_table();
    for (size_t i = 0; i < table.size(); ++i) {
      for (std::string_view flag : table[i].flags) out.push_back({flag, int(i)});
    }
    return out;
  }();
  return kOptions;
}

std::optional<int> exact_option(std::string_view text) {
  for (const OptionString& option : option_strings()) {
    if (option.text == text) return option.action;
  }
  return std::nullopt;
}

std::string action_name(int action) {
  if (action == kHelpAction) return "-h/--help";
  if (action == kVersionAction) return "-v/--version";
  return setting_table()[size_t(action)].flags_text();
}

// How many values an action takes: 0 (switch), 1, or 0..1 (optional value).
enum class Arity { kNone, kOne, kOptional };

Arity arity_of(int action) {
  if (action < 0) return Arity::kNone;
  switch (setting_table()[size_t(action)].action) {
    case Action::kStoreTrue:
    case Action::kStoreConst:
      return Arity::kNone;
    case Action::kStoreOptional:
      return Arity::kOptional;
    default:
      return Arity::kOne;
  }
}

struct OptionMatch {
  int action = kUnknownAction;
  std::string option;                       // the option string matched
  std::optional<std::string> explicit_arg;  // the value glued to it
};

bool looks_like_negative_number(std::string_view s) {
  // argparse's '^-\d+$|^-\d*\.\d+$'
  if (s.size() < 2 || s[0] != '-') return false;
  std::string_view rest = s.substr(1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return digits(rest);
  return digits(rest.substr(0, dot)) && rest.size() > dot + 1 && digits(rest.substr(dot + 1));
}

// argparse's _parse_optional: nullopt for a positional, a match (maybe of an
// unknown option) otherwise; an error for an ambiguous prefix.
Result<std::optional<OptionMatch>> classify(const std::string& arg) {
  using Out = std::optional<OptionMatch>;
  if (arg.empty() || arg[0] != '-') return Out();
  if (auto action = exact_option(arg)) return Out(OptionMatch{*action, arg, std::nullopt});
  if (arg.size() == 1) return Out();
  if (size_t eq = arg.find('='); eq != std::string::npos) {
    std::string head = arg.substr(0, eq);
    if (auto action = exact_option(head))
      return Out(OptionMatch{*action, head, arg.substr(eq + 1)});
  }
  // _get_option_tuples: long options match by prefix (before any '='); a
  // single-dash option matches its first two characters, the rest is its value.
  std::vector<OptionMatch> found;
  if (arg[1] == '-') {
    size_t eq = arg.find('=');
    std::string prefix = arg.substr(0, eq);
    std::optional<std::string> value;
    if (eq != std::string::npos) value = arg.substr(eq + 1);
    for (const OptionString& option : option_strings()) {
      if (option.text.starts_with(prefix)) {
        found.push_back({option.action, std::string(option.text), value});
      }
    }
  } else {
    std::string_view short_prefix = std::string_view(arg).substr(0, 2);
    for (const OptionString& option : option_strings()) {
      if (option.text == short_prefix) {
        found.push_back({option.action, std::string(option.text), arg.substr(2)});
      } else if (option.text.starts_with(arg)) {
        found.push_back({option.action, std::string(option.text), std::nullopt});
      }
    }
  }
  if (found.size() > 1) {
    std::string matches;
    for (const OptionMatch& m : found) {
      if (!matches.empty()) matches += ", ";
      matches += m.option;
    }
    return Result<Out>::error("ambiguous option: " + arg + " could match " + matches);
  }
  if (found.size() == 1) return Out(found[0]);
  if (looks_like_negative_number(arg)) return Out();  // no option looks like a number
  if (arg.find(' ') != std::string::npos) return Out();
  return Out(OptionMatch{kUnknownAction, arg, std::nullopt});
}

// One parse: argparse's _parse_known_args over a pattern of 'O' (option),
// 'A' (argument) and '-' (the "--" marker).
class Parser {
 public:
  explicit Parser(std::span<const std::string> args) : args_(args) {}

  Result<CommandLine> run() {
    if (Status s = build_pattern(); !s) return s;
    std::vector<size_t> option_indices;
    for (size_t i = 0; i < pattern_.size(); ++i) {
      if (pattern_[i] == 'O') option_indices.push_back(i);
    }
    size_t start = 0;
    while (!stopped() && !option_indices.empty() && start <= option_indices.back()) {
      size_t next_option = *std::lower_bound(option_indices.begin(), option_indices.end(), start);
      if (start != next_option) {
        size_t end = consume_positionals(start);
        if (end > start) {
          start = end;
          continue;
        }
      }
      if (start != next_option) {  // arguments nobody takes
        for (size_t i = start; i < next_option; ++i) extras_.push_back(args_[i]);
        start = next_option;
      }
      Result<size_t> next = consume_optional(start);
      if (!next) return next.status();
      start = *next;
    }
    if (stopped()) return line_;
    size_t stop = consume_positionals(start);
    for (size_t i = stop; i < args_.size(); ++i) extras_.push_back(args_[i]);
    if (!extras_.empty()) {
      std::string joined;
      for (size_t i = 0; i < extras_.size(); ++i) joined += (i ? " " : "") + extras_[i];
      return Result<CommandLine>::error("unrecognized arguments: " + joined);
    }
    return line_;
  }

 private:
  bool stopped() const { return line_.help || line_.version; }

  Status build_pattern() {
    matches_.resize(args_.size());
    for (size_t i = 0; i < args_.size(); ++i) {
      if (args_[i] == "--") {
        pattern_ += '-';
        pattern_.append(args_.size() - i - 1, 'A');
        break;
      }
      Result<std::optional<OptionMatch>> match = classify(args_[i]);
      if (!match) return match.status();
      pattern_ += match->has_value() ? 'O' : 'A';
      matches_[i] = std::move(*match);
    }
    return Status::ok();
  }

  // The one positional, nargs='*': takes the run of arguments at `start`,
  // dropping the first "--" among them. Once taken, it takes nothing more.
  size_t consume_positionals(size_t start) {
    if (positional_taken_) return start;
    positional_taken_ = true;
    size_t end = start;
    while (end < pattern_.size() && pattern_[end] != 'O') ++end;
    std::vector<std::string> values(args_.begin() + long(start), args_.begin() + long(end));
    if (auto dashes = std::find(values.begin(), values.end(), "--"); dashes != values.end()) {
      values.erase(dashes);
    }
    line_.positionals = std::move(values);
    return end;
  }

  struct Taken {
    int action;
    std::vector<std::string> values;
  };

  Result<size_t> consume_optional(size_t start) {
    OptionMatch match = *matches_[start];
    if (match.action == kUnknownAction) {
      extras_.push_back(args_[start]);
      return start + 1;
    }
    std::vector<Taken> taken;
    size_t stop = start + 1;
    while (true) {
      Arity arity = arity_of(match.action);
      if (match.explicit_arg) {
        const std::string& glued = *match.explicit_arg;
        if (arity == Arity::kNone && match.option[1] != '-' && !glued.empty()) {
          // "-DR": a switch followed by more single-letter options.
          taken.push_back({match.action, {}});
          std::string next = "-" + glued.substr(0, 1);
          std::optional<int> action = exact_option(next);
          if (!action) return ignored_argument(match.action, glued);
          match = OptionMatch{*action, next, std::nullopt};
          if (glued.size() > 1) match.explicit_arg = glued.substr(1);
          continue;
        }
        if (arity == Arity::kNone) return ignored_argument(match.action, glued);
        taken.push_back({match.action, {glued}});
        break;
      }
      bool next_is_argument = stop < pattern_.size() && pattern_[stop] == 'A';
      if (arity == Arity::kOne && !next_is_argument) {
        return Result<size_t>::error("argument " + action_name(match.action) +
                                     ": expected one argument");
      }
      if (arity != Arity::kNone && next_is_argument) {
        taken.push_back({match.action, {args_[stop]}});
        ++stop;
      } else {
        taken.push_back({match.action, {}});
      }
      break;
    }
    for (Taken& t : taken) {
      if (Status s = take_action(t); !s) return s;
      if (stopped()) break;
    }
    return stop;
  }

  static Result<size_t> ignored_argument(int action, const std::string& glued) {
    return Result<size_t>::error("argument " + action_name(action) +
                                 ": ignored explicit argument " + python_repr(glued));
  }

  Status take_action(const Taken& t) {
    if (t.action == kHelpAction) {
      line_.help = true;
      return Status::ok();
    }
    if (t.action == kVersionAction) {
      line_.version = true;
      return Status::ok();
    }
    const Setting& row = setting_table()[size_t(t.action)];
    std::string text;
    switch (row.action) {
      case Action::kStoreTrue:
        text = "true";
        break;
      case Action::kStoreConst:
        text = std::string(row.const_text);
        break;
      case Action::kStoreOptional:
        text = t.values.empty() ? std::string(row.const_text) : t.values[0];
        break;
      default:
        text = t.values[0];
        break;
    }
    if (row.takes_value() && row.arg_type != ArgType::kText) {
      bool automatic = row.arg_type == ArgType::kAutoInt;
      std::optional<int64_t> number = automatic ? auto_int(text) : python_int(text, 10);
      if (!number) {
        return Status::error("argument " + row.flags_text() + ": invalid " +
                             (automatic ? "auto_int" : "int") + " value: " + python_repr(text));
      }
      text = std::to_string(*number);
    }
    line_.assignments.push_back({std::string(row.name), std::move(text)});
    return Status::ok();
  }

  std::span<const std::string> args_;
  std::string pattern_;
  std::vector<std::optional<OptionMatch>> matches_;
  std::vector<std::string> extras_;
  bool positional_taken_ = false;
  CommandLine line_;
};

}  // namespace

std::optional<std::string> CommandLine::app_module() const {
  if (positionals.empty()) return std::nullopt;
  return positionals.front();
}

std::optional<std::string> CommandLine::last(std::string_view name) const {
  for (auto it = assignments.rbegin(); it != assignments.rend(); ++it) {
    if (it->name == name) return it->text;
  }
  return std::nullopt;
}

Result<CommandLine> parse_command_line(std::span<const std::string> args) {
  return Parser(args).run();
}

Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_command_line(args);
}

Status apply(const CommandLine& line, Source source, Config& config) {
  std::span<const Setting> table = setting_table();
  for (const Setting& row : table) {
    std::vector<const std::string*> texts;
    for (const Assignment& a : line.assignments) {
      if (a.name == row.name) texts.push_back(&a.text);
    }
    if (texts.empty()) continue;
    if (row.action != Action::kAppend) texts.erase(texts.begin(), texts.end() - 1);
    for (const std::string* text : texts) {
      if (Status s = config.set_from_text(row.name, *text, source); !s) return s;
    }
  }
  return Status::ok();
}

std::string usage_line() {
  return "usage: " + std::string(kProgramName) + " [OPTIONS] [APP_MODULE]\n";
}

std::string usage_error_text(std::string_view message) {
  return usage_line() + std::string(kProgramName) + ": error: " + std::string(message) + "\n";
}

std::string version_text() {
  return std::string(kProgramName) + " (version " + QILIN_VERSION + ")\n";
}

}  // namespace qilin::config
