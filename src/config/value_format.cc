#include "config/value_format.h"

#include <cstdio>

namespace qilin::config {
namespace {

std::string handle_text(PyHandle handle, const HandleFormatter& format_handle) {
  if (format_handle) return format_handle(handle);
  return handle.object == nullptr ? "None" : "<python object>";
}

template <typename Item>
std::string join_repr(const Item& items, const HandleFormatter& format_handle) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += python_repr(Value(item), format_handle);
  }
  return out;
}

}  // namespace

std::string python_repr(std::string_view text) {
  bool has_single = text.find('\'') != std::string_view::npos;
  bool has_double = text.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", byte);
      out += buf;
    } else {
      out += c;  // printable ASCII, or UTF-8 that Python would show as is
    }
  }
  out += quote;
  return out;
}

std::string python_repr(const Value& value, const HandleFormatter& format_handle) {
  if (const auto* s = std::get_if<std::string>(&value)) return python_repr(*s);
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    return "[" + join_repr(*list, format_handle) + "]";
  }
  if (const auto* map = std::get_if<StringMap>(&value)) {
    std::string out;
    for (const auto& [key, item] : *map) {
      if (!out.empty()) out += ", ";
      out += python_repr(key) + ": " + python_repr(item);
    }
    return "{" + out + "}";
  }
  return python_str(value, format_handle);
}

std::string python_str(const Value& value, const HandleFormatter& format_handle) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "None";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "True" : "False";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.17g", v);
          std::string text = buf;
          if (text.find_first_of(".eni") == std::string::npos) text += ".0";  // Python's 1.0
          return text;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, PyHandle>) {
          return handle_text(v, format_handle);
        } else {
          return python_repr(value, format_handle);
        }
      },
      value);
}

std::string display_value(const Setting& row, const Value& value,
                          const HandleFormatter& format_handle) {
  if (const auto* handle = std::get_if<PyHandle>(&value); handle && handle->object == nullptr) {
    if (row.type == ValueType::kHook) {
      return "<" + std::string(row.default_qualname.empty() ? row.name : row.default_qualname) + "()>";
    }
    if (row.type == ValueType::kObject) return "{}";
  }
  return python_str(value, format_handle);
}

}  // namespace qilin::config
