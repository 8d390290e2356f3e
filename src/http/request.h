// A parsed HTTP/1.x request head. Views point into the caller's read buffer
// (or into `storage` for the rare bytes the parser had to rewrite: a
// case-folded method, a value joined from obs-fold lines). A Request is valid
// only as long as that buffer is unchanged. Not thread-safe; one per connection.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace qilin::http {

struct Header {
  std::string_view name;   // as received (after --strip-header-spaces), original case
  std::string_view value;  // leading/trailing SP and HTAB removed
};

enum class BodyFraming { kNone, kContentLength, kChunked };

// What the secure_scheme_headers of a trusted peer said.
enum class ForwardedScheme { kUnknown, kHttp, kHttps };

// Filled when a PROXY protocol header preceded the first request.
struct ProxyInfo {
  bool present = false;
  std::string protocol;  // "TCP4", "TCP6", "UNKNOWN" (v1) or the v2 equivalents
  std::string src_addr, dst_addr;
  int src_port = 0, dst_port = 0;
};

struct Request {
  std::string_view method;  // after --casefold-http-method
  std::string_view uri;     // the raw request-target (RAW_URI)
  std::string_view path;    // target up to '?' or '#' (absolute-form: the path part only)
  std::string_view query;   // after '?', before '#', without the '?'
  std::string_view fragment;
  int version_major = 1;
  int version_minor = 1;
  std::vector<Header> headers;  // in arrival order; underscore names per header_map

  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;  // meaningful for kContentLength
  bool expect_continue = false; // "Expect: 100-continue" on HTTP/1.1
  // True when the connection may not carry another request after this one:
  // HTTP/1.0 without "Connection: keep-alive", "Connection: close", or a
  // transfer coding other than chunked before chunked.
  bool must_close = false;
  ForwardedScheme forwarded_scheme = ForwardedScheme::kUnknown;
  ProxyInfo proxy;

  std::deque<std::string> storage;  // owns rewritten bytes; element addresses are stable

  void clear() { *this = Request(); }
};

}  // namespace qilin::http
