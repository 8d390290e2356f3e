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
//   kError      - `error` says why; `detail` is gunicorn's exception text for
//                 it (what its log line shows, e.g. "Invalid HTTP Version:
//                 'FTP/1.1'"); render_error_response() wraps it for the page.
//                 Nothing after an error may be read from that connection.
//                 `out` holds what was parsed before the error (the request
//                 line, once it was complete), for the access log.
// After kIncomplete, `out` holds nothing usable, except the private progress
// that lets the next call skip the bytes already scanned: call again with the
// same `out`, or reset() it first if the bytes are not the same plus more.
// The result does not depend on how the bytes were split across calls.
//
// Error precedence, as in gunicorn: a PROXY header, then the request line
// (its length limit, then its syntax), then each field in order (the field
// count when it starts, its size while it is scanned, then its syntax and
// header policy), then the framing (Content-Length / Transfer-Encoding, judged
// after all fields). See header_rules.h for the block scan.
//
// Where it differs from gunicorn 26 on purpose:
//  - Limits are enforced while bytes arrive (gunicorn waits for the blank
//    line, up to its header buffer), so a field that is both too long and
//    malformed may get 431 where gunicorn says 400, and an error in a
//    complete field is reported even if the client then goes away (gunicorn:
//    NoMoreData, no response).
//  - Numbers must fit in 64 bits (a larger Content-Length is refused).
//  - Transfer-Encoding items are trimmed of SP/HTAB only (gunicorn's
//    str.strip() also eats NBSP, so it takes "chunked\xa0" for chunked).
//  - PROXY v1: "UNKNOWN" is accepted, ports are plain digits, the line is at
//    most 107 bytes (see proxy_protocol.h).
// `data` may be modified in place (case folding); it is never reallocated.
// Thread-safe: no shared mutable state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/header_rules.h"
#include "http/parse_error.h"
#include "http/proxy_protocol.h"
#include "http/request.h"

namespace qilin::http {

// HeaderMapPolicy (header_rules.h) and ProxyProtocolMode (proxy_protocol.h)
// are declared beside the code that applies them.

// Setting spellings gunicorn's validators accept, case-insensitive, with
// surrounding whitespace ignored. proxy_protocol: "off", "false", "0",
// "none" -> kOff; "true", "1", "auto" -> kAuto (so `proxy_protocol = True` in a
// config file, and the bare --proxy-protocol flag, mean auto); "v1"; "v2".
// header_map: "drop", "refuse", "dangerous". False for anything else.
bool parse_proxy_protocol_mode(std::string_view text, ProxyProtocolMode* out);
bool parse_header_map_policy(std::string_view text, HeaderMapPolicy* out);

// Built once per worker from the settings. Limits are already normalized by
// normalize_limits() (gunicorn's rules for 0, negatives and caps).
struct ParserOptions {
  size_t limit_request_line = 4094;  // 0 = unlimited
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
  // may send despite header_map; "*" allows every name.
  std::vector<std::string> forwarder_headers = {"SCRIPT_NAME", "PATH_INFO"};
  // Upper-case header name -> value meaning https, from a trusted forwarder.
  // Names are matched against the upper-cased field name (a key with a
  // lower-case letter never matches, as in gunicorn); values exactly.
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
