// A parsed HTTP/1.x request head. Views point into the caller's read buffer
// (a case-folded method is rewritten there in place), or into `storage` for
// the rare bytes the parser had to build: a value joined from obs-fold
// lines, the path/query/fragment of a target holding TAB, CR or LF (which
// urlsplit deletes). A Request is valid only as long as that buffer is
// unchanged. Not thread-safe; one per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_rules.h"

namespace qilin::http {

struct Header {
  std::string_view name;   // as received (after --strip-header-spaces), original case
  std::string_view value;  // leading/trailing SP and HTAB removed
};

enum class BodyFraming { kNone, kContentLength, kChunked };

// What the secure_scheme_headers of a trusted peer said.
enum class ForwardedScheme { kUnknown, kHttp, kHttps };

// Filled when a PROXY protocol header preceded the first request. Only the
// call that parsed the header fills it: the connection should keep it for
// its later requests.
struct ProxyInfo {
  bool present = false;
  // v1: "TCP4", "TCP6" or "UNKNOWN"; v2: "TCP4", "TCP6", "UNSPEC" or "LOCAL".
  // For UNKNOWN, UNSPEC and LOCAL the addresses are empty and the ports 0:
  // the real peer address stands.
  std::string protocol;
  std::string src_addr, dst_addr;  // v1: as sent; v2: formatted like inet_ntop
  int src_port = 0, dst_port = 0;

  void clear() {
    present = false;
    protocol.clear();
    src_addr.clear();
    dst_addr.clear();
    src_port = dst_port = 0;
  }
};

// Where an unfinished parse_request_head() stopped, so that the next call
// with the same bytes plus more resumes instead of rescanning (a head that
// trickles in stays linear). Private to the parser; a Request
// value-initialised or reset() has none.
struct HeadScanProgress {
  size_t len_seen = 0;       // bytes the previous call saw (0: no progress)
  uint64_t fingerprint = 0;  // their first bytes, to notice a different buffer
  size_t line_search_from = 0;
  bool in_fields = false;  // the request line was complete and valid
  FieldBlockScan fields;   // the header block scan
  bool seen_host = false, seen_content_type = false;
  ForwardedScheme scheme = ForwardedScheme::kUnknown;
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
  uint64_t content_length = 0;   // meaningful for kContentLength
  bool expect_continue = false;  // "Expect: 100-continue" on HTTP/1.1
  // True when the connection may not carry another request after this one:
  // HTTP/1.0 without "Connection: keep-alive", "Connection: close", or a
  // transfer coding other than chunked before chunked.
  bool must_close = false;
  ForwardedScheme forwarded_scheme = ForwardedScheme::kUnknown;
  ProxyInfo proxy;

  std::deque<std::string> storage;  // owns rewritten bytes; element addresses are stable
  HeadScanProgress progress;        // the parser's, see HeadScanProgress

  // Back to the default state, releasing all memory.
  void clear() { *this = Request(); }
  // Back to the default state, but `headers` keeps its capacity so a Request
  // reused for every request of a connection (or worker) stops allocating.
  // Call it before parsing a head into a Request that may hold an abandoned
  // partial parse (a connection dropped mid-head); after kComplete or kError
  // the parser starts afresh by itself.
  void reset() {
    method = uri = path = query = fragment = {};
    version_major = version_minor = 1;
    headers.clear();
    framing = BodyFraming::kNone;
    content_length = 0;
    expect_continue = false;
    must_close = false;
    forwarded_scheme = ForwardedScheme::kUnknown;
    proxy.clear();
    storage.clear();
    progress = HeadScanProgress();
  }
};

}  // namespace qilin::http
