// The quoting gunicorn's exception texts use, so our error details read the
// same: Python's repr() of a latin-1 str ('GET\x00 /'), or of bytes (b'6_0').
// Non-ASCII printable latin-1 characters are kept as their single byte, as
// gunicorn's error page (written in latin-1) carries them. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qilin::http {

// repr() of `bytes` decoded as latin-1.
std::string py_repr(std::string_view bytes);
// repr() of a Python bytes object.
std::string py_bytes_repr(std::string_view bytes);

}  // namespace qilin::http
