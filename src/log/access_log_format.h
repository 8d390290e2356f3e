// gunicorn's access-log format (`--access-logformat`), compiled once at
// start-up into a list of parts and rendered per request without parsing.
//
// The format is Python %-style over named atoms: %(h)s, %(r)s, %(s)s, ...,
// %({header}i)s for a request header, %({header}o)s for a response header,
// %({key}e)s for an environ value, %% for a literal percent. Unknown atoms
// render as "-"; string values have '"' escaped as '\"', as gunicorn does.
// Rendering reads everything through an AccessRecord, so the caller decides
// where values come from. Thread-safe once compiled.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace qilin::log {

// What one finished request contributes to its access-log line.
struct AccessRecord {
  std::string_view remote_addr;  // h
  std::string_view method;       // m
  std::string_view raw_uri;      // part of r
  std::string_view protocol;     // H, part of r: "HTTP/1.1"
  std::string_view path_info;    // U (decoded, as in environ)
  std::string_view query;        // q
  int status = 0;                // s
  int64_t bytes_sent = -1;       // B, b; -1 = unknown
  int64_t duration_us = 0;       // T, M, D, L
  int64_t start_unix_seconds = 0;  // t
  std::string_view user;         // u: from Basic auth; "" = none
  // Header lookups by lower-case name; nullopt when absent. A repeated
  // request header gives its last value, as gunicorn's dict does.
  std::function<std::optional<std::string_view>(std::string_view)> request_header;
  std::function<std::optional<std::string_view>(std::string_view)> response_header;
  // environ lookup by lower-case key ({key}e), str values only.
  std::function<std::optional<std::string>(std::string_view)> environ_value;
};

class AccessLogFormat {
 public:
  static Result<AccessLogFormat> compile(std::string_view format);
  // Appends the line (without newline) to `out`.
  void render(const AccessRecord& record, std::string* out) const;
  // Whether any part needs AccessRecord::environ_value.
  bool uses_environ() const { return uses_environ_; }

 private:
  enum class Kind {
    kLiteral, kRemoteAddr, kDash, kUser, kTime, kRequestLine, kStatus, kMethod, kPath, kQuery,
    kProtocol, kBytes, kBytesOrDash, kReferer, kUserAgent, kSeconds, kMillis, kMicros,
    kDecimalSeconds, kPid, kRequestHeader, kResponseHeader, kEnviron, kUnknown
  };
  struct Part {
    Kind kind;
    std::string text;  // literal text, or the lower-case header/environ name
    char conversion;   // 's', 'd', ...: how Python would convert
  };
  std::vector<Part> parts_;
  bool uses_environ_ = false;
};

// "[27/Nov/2026:10:00:00 +0000]" for a unix time, local time zone.
std::string format_access_time(int64_t unix_seconds);
// The user name of an HTTP Basic Authorization header value, or "".
std::string basic_auth_user(std::string_view authorization);

}  // namespace qilin::log
