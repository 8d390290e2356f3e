#include "config/shell_words.h"

namespace qilin::config {

Result<std::vector<std::string>> split_shell_words(std::string_view text) {
  // shlex in POSIX mode with whitespace_split: states are between words (' '),
  // in a word ('a'), inside quotes ('\'' or '"'), and after a backslash.
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started (it may be empty: '')
  char quote = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i++];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (quote == '"' && c == '\\') {
        if (i == text.size())
          return Result<std::vector<std::string>>::error("No escaped character");
        char next = text[i++];
        if (next != '"' && next != '\\') word += '\\';  // only \" and \\ are escapes here
        word += next;
      } else {
        word += c;
      }
    } else if (is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i == text.size()) return Result<std::vector<std::string>>::error("No escaped character");
      word += text[i++];
      in_word = true;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return Result<std::vector<std::string>>::error("No closing quotation");
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace qilin::config
