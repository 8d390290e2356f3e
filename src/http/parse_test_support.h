// Helpers shared by the parser's unit tests: run a head through
// parse_request_head() at once and byte by byte (both must agree) and copy
// out everything it produced. Test-only; included by *_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "http/request_parser.h"

namespace qilin::http::test_support {

using Configure = std::function<void(ParserOptions&, PeerContext&)>;

// Everything a parse produces, copied out of the buffer.
struct Outcome {
  ParseResult::Status status = ParseResult::kIncomplete;
  ErrorKind error = ErrorKind::kNone;
  std::string detail;
  size_t consumed = 0;
  std::string method, uri, path, query, fragment;
  int major = 0, minor = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t length = 0;
  bool expect = false, close = false;
  ForwardedScheme scheme = ForwardedScheme::kUnknown;
  bool proxy = false;
  std::string proxy_protocol, src_addr, dst_addr;
  int src_port = 0, dst_port = 0;

  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "status=" << o.status << " error=" << error_info(o.error).class_name << " detail=["
     << o.detail << "] consumed=" << o.consumed << " method=" << o.method << " uri=" << o.uri
     << " headers=" << o.headers.size();
  return os;
}

inline Outcome snapshot(const ParseResult& r, const Request& q) {
  Outcome o;
  o.status = r.status;
  o.error = r.error;
  o.detail = r.detail;
  if (r.status != ParseResult::kComplete) return o;
  o.consumed = r.consumed;
  o.method = q.method;
  o.uri = q.uri;
  o.path = q.path;
  o.query = q.query;
  o.fragment = q.fragment;
  o.major = q.version_major;
  o.minor = q.version_minor;
  for (const Header& h : q.headers) o.headers.emplace_back(h.name, h.value);
  o.framing = q.framing;
  o.length = q.content_length;
  o.expect = q.expect_continue;
  o.close = q.must_close;
  o.scheme = q.forwarded_scheme;
  o.proxy = q.proxy.present;
  o.proxy_protocol = q.proxy.protocol;
  o.src_addr = q.proxy.src_addr;
  o.dst_addr = q.proxy.dst_addr;
  o.src_port = q.proxy.src_port;
  o.dst_port = q.proxy.dst_port;
  return o;
}

inline Outcome parse_at_once(const std::string& bytes, const ParserOptions& o,
                             const PeerContext& p) {
  std::string buffer = bytes;
  Request r;
  return snapshot(parse_request_head(o, p, buffer.data(), buffer.size(), &r), r);
}

// One more byte per call, each call in a new buffer (as after a reallocating
// read), with the same Request: the parser resumes where it stopped.
inline Outcome parse_bytewise(const std::string& bytes, const ParserOptions& o,
                              const PeerContext& p) {
  Request r;
  Outcome last;
  for (size_t n = 0; n <= bytes.size(); ++n) {
    std::vector<char> buffer(bytes.begin(), bytes.begin() + long(n));
    buffer.push_back('\0');
    ParseResult res = parse_request_head(o, p, buffer.data(), n, &r);
    last = snapshot(res, r);
    if (res.status != ParseResult::kIncomplete) break;
  }
  return last;
}

// Parses at once and byte by byte; both must agree.
inline Outcome parse(const std::string& bytes, const Configure& setup = nullptr) {
  ParserOptions o;
  PeerContext p;
  if (setup) setup(o, p);
  Outcome once = parse_at_once(bytes, o, p);
  Outcome bytewise = parse_bytewise(bytes, o, p);
  EXPECT_EQ(once, bytewise) << "split-dependent result for: " << bytes;
  return once;
}

// "line\r\n" + each field + "\r\n" + blank line.
inline std::string head(const std::string& line, std::initializer_list<std::string> fields = {}) {
  std::string out = line + "\r\n";
  for (const std::string& f : fields) out += f + "\r\n";
  return out + "\r\n";
}

inline Configure limits(long long line, long long fields, long long field_size) {
  return [=](ParserOptions& o, PeerContext&) { o.normalize_limits(line, fields, field_size); };
}

struct ErrorCase {
  const char* name;
  std::string input;
  ErrorKind kind;
  std::string detail = {};  // empty: not checked
  Configure setup = nullptr;
};

inline void run_error_cases(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    Outcome o = parse(c.input, c.setup);
    EXPECT_EQ(o.status, ParseResult::kError) << o;
    EXPECT_EQ(error_info(o.error).class_name, error_info(c.kind).class_name);
    if (!c.detail.empty()) {
      EXPECT_EQ(o.detail, c.detail);
    }
  }
}

inline const Configure kPermitMethod = [](ParserOptions& o, PeerContext&) {
  o.permit_unconventional_http_method = true;
};
inline const Configure kTrusted = [](ParserOptions&, PeerContext& p) {
  p.forwarder_trusted = true;
};

}  // namespace qilin::http::test_support
