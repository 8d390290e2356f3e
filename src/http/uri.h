// Request-target helpers: splitting a target into path, query and fragment
// the way gunicorn does (util.split_request_uri over Python's urlsplit), and
// percent-decoding for PATH_INFO. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qilin::http {

// "%XX" with two hex digits becomes that byte; anything else, including a
// '%' without two hex digits after it, is kept as is (urllib's
// unquote_to_bytes). Bytes in, bytes out.
//
// Note: gunicorn passes the latin-1 *str* to unquote_to_bytes, which encodes
// it as UTF-8 first, so a raw (unescaped) byte >= 0x80 in the target comes out
// of gunicorn's PATH_INFO double-encoded. This function does not do that.
std::string percent_decode(std::string_view s);

struct TargetParts {
  std::string_view path;
  std::string_view query;     // after the first '?' before any '#', without the '?'
  std::string_view fragment;  // after the first '#'
};

// True if `target` holds TAB, CR or LF, which urlsplit deletes before
// splitting; pass the result of remove_tab_cr_lf() as `cleaned` then.
bool has_tab_cr_lf(std::string_view target);
std::string remove_tab_cr_lf(std::string_view target);

// Splits `cleaned` (the raw target, or its remove_tab_cr_lf() copy) as
// gunicorn does: a target starting with "//" (checked on the raw one) is all
// path; otherwise leading C0 controls and spaces are skipped, a scheme and
// an authority are skipped, and the authority's brackets must hold an IPv6
// address or an IPvFuture. Views point into `cleaned`. Returns false where
// urlsplit raises ValueError (gunicorn: InvalidRequestLine).
bool split_request_target(std::string_view raw, std::string_view cleaned, TargetParts* out);

}  // namespace qilin::http
