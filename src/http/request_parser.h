// The HTTP/1.0 and 1.1 request-head parser: a pure function over a buffer
// (no sockets, no Python). Its strictness and limits are gunicorn 26's.
//
// Contract of parse_request_head():
//   kComplete   - `consumed` bytes (an optional PROXY header, the request line,
//                 the fields and the blank line) form a request; `out` is filled
//                 with views into `data`. The body, if any, starts at
//                 data + consumed.
//   kIncomplete - no error in the bytes so far, but the head is not complete.
//                 Call again with the same bytes plus more. Limits are checked
//                 on the partial bytes too, so an over-long line fails as soon as
//                 it exceeds its limit, not when its end arrives.
//   kError      - `error` says why; `detail` is the text for the error page.
//                 Nothing after an error may be read from that connection.
// `data` may be modified in place (case folding); it is never reallocated.
// Thread-safe: no shared mutable state.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "http/parse_error.h"
#include "http/request.h"

namespace qilin::http {

enum class HeaderMapPolicy { kDrop, kRefuse, kDangerous };
enum class ProxyProtocolMode { kOff, kV1, kV2, kAuto };

// Built once per worker from the settings. Limits are already normalized by
// normalize_limits() (gunicorn's rules for 0, negatives and caps).
struct ParserOptions {
  size_t limit_request_line = 4094;        // 0 = unlimited
  size_t limit_request_fields = 100;
  size_t limit_request_field_size = 8190;
  bool permit_unconventional_http_method = false;
  bool permit_unconventional_http_version = false;
  bool casefold_http_method = false;
  bool permit_obsolete_folding = false;
  bool strip_header_spaces = false;
  HeaderMapPolicy header_map = HeaderMapPolicy::kDrop;
  ProxyProtocolMode proxy_protocol = ProxyProtocolMode::kOff;
  // Upper-case names with '_' (e.g. "SCRIPT_NAME") that a trusted forwarder
  // may send despite header_map.
  std::vector<std::string> forwarder_headers = {"SCRIPT_NAME", "PATH_INFO"};
  // Upper-case header name -> value meaning https, from a trusted forwarder.
  std::vector<std::pair<std::string, std::string>> secure_scheme_headers = {
      {"X-FORWARDED-PROTOCOL", "ssl"}, {"X-FORWARDED-PROTO", "https"}, {"X-FORWARDED-SSL", "on"}};

  // Applies gunicorn's rules to raw setting values: request line 0 = unlimited,
  // negative or >= 8190 -> 8190; fields <= 0 or > 32768 -> 32768; field size
  // <= 0 -> 8190.
  void normalize_limits(long long line, long long fields, long long field_size);
};

// Per-connection facts the parser cannot know by itself.
struct PeerContext {
  bool first_on_connection = true;  // a PROXY header is only looked for here
  bool forwarder_trusted = false;   // peer is in forwarded_allow_ips (or a unix socket)
  bool proxy_trusted = false;       // peer is in proxy_allow_ips
};

struct ParseResult {
  enum Status { kComplete, kIncomplete, kError } status = kIncomplete;
  size_t consumed = 0;
  ErrorKind error = ErrorKind::kNone;
  std::string detail;
};

ParseResult parse_request_head(const ParserOptions& options, const PeerContext& peer, char* data,
                               size_t len, Request* out);

}  // namespace qilin::http
