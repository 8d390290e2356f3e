// How gunicorn shows setting values. --print-config and the "[default]" in -h
// print Python's str() of the stored object: a top-level string is bare, while
// strings inside lists and dicts are repr()'d ('a'). Error messages show the
// repr(). Pure functions, thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/setting_table.h"

namespace qilin::config {

// Renders a PyHandle (a hook, a class, a nested dict). Supplied by the python
// layer, which can ask the object; without one a placeholder is printed.
using HandleFormatter = std::function<std::string(PyHandle)>;

// Python's repr() of a str: single quotes unless the text holds only ', and
// backslash escapes for control characters.
std::string python_repr(std::string_view text);
inline std::string python_repr(const std::string& text) {
  return python_repr(std::string_view(text));
}
inline std::string python_repr(const char* text) { return python_repr(std::string_view(text)); }
// Python's repr() / str() of a value as gunicorn would hold it.
std::string python_repr(const Value& value, const HandleFormatter& format_handle = {});
std::string python_str(const Value& value, const HandleFormatter& format_handle = {});
// python_str, knowing the row: a null hook is gunicorn's built-in default
// ("<OnStarting.on_starting()>"), a null object is an empty dict ("{}").
std::string display_value(const Setting& row, const Value& value,
                          const HandleFormatter& format_handle = {});

}  // namespace qilin::config
