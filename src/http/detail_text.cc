#include "http/detail_text.h"

namespace qilin::http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_escape(std::string* out, unsigned char c) {
  out->append("\\x");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

// Python's quote choice: single quotes unless the text has a single quote
// and no double quote.
char pick_quote(std::string_view s) {
  bool single = s.find('\'') != std::string_view::npos;
  bool dbl = s.find('"') != std::string_view::npos;
  return (single && !dbl) ? '"' : '\'';
}

// `printable(c)` decides which bytes stay as they are.
template <typename Printable>
std::string quote(std::string_view s, std::string_view prefix, Printable printable) {
  char q = pick_quote(s);
  std::string out(prefix);
  out.reserve(out.size() + s.size() + 2);
  out.push_back(q);
  for (unsigned char c : s) {
    if (c == '\\' || c == static_cast<unsigned char>(q)) {
      out.push_back('\\');
      out.push_back(char(c));
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (printable(c)) {
      out.push_back(char(c));
    } else {
      append_hex_escape(&out, c);
    }
  }
  out.push_back(q);
  return out;
}

}  // namespace

std::string py_repr(std::string_view bytes) {
  // str.isprintable() over latin-1: ASCII graphic and space, and U+00A1 to
  // U+00FF except the soft hyphen U+00AD.
  return quote(bytes, "",
               [](unsigned char c) { return (c >= 0x20 && c < 0x7f) || (c >= 0xa1 && c != 0xad); });
}

std::string py_bytes_repr(std::string_view bytes) {
  return quote(bytes, "b", [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace qilin::http
