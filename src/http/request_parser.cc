#include "http/request_parser.h"

#include <cstring>
#include <limits>

#include "core/strings.h"
#include "http/detail_text.h"
#include "http/header_rules.h"
#include "http/proxy_protocol.h"
#include "http/uri.h"

namespace qilin::http {
namespace {

constexpr size_t kNpos = std::string_view::npos;
constexpr size_t kMaxRequestLine = 8190;    // gunicorn's MAX_REQUEST_LINE
constexpr size_t kMaxHeaders = 32768;       // MAX_HEADERS
constexpr size_t kDefaultFieldSize = 8190;  // DEFAULT_MAX_HEADERFIELD_SIZE

ParseResult failure(ErrorKind kind, std::string detail) {
  ParseResult r;
  r.status = ParseResult::kError;
  r.error = kind;
  r.detail = std::move(detail);
  return r;
}

// The first bytes of the buffer, to notice a resumed call on other bytes.
uint64_t fingerprint(const char* data, size_t len) {
  uint64_t v = 0;
  std::memcpy(&v, data, std::min<size_t>(len, sizeof(v)));
  return v;
}

std::string_view trim_ascii_space(std::string_view s) { return trim(s, " \t\n\r\f\v"); }

// --- the request line ---------------------------------------------------

bool conventional_method(std::string_view m) {
  if (m.size() < 3 || m.size() > 20) return false;
  for (char c : m) {
    if ((c >= 'a' && c <= 'z') || c == '#') return false;
  }
  return true;
}

// "HTTP/d.d" exactly; *major and *minor get the digits.
bool parse_version(std::string_view v, int* major, int* minor) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return false;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(v[5]) || !digit(v[7])) return false;
  *major = v[5] - '0';
  *minor = v[7] - '0';
  return true;
}

// Parses the request line data[0, n) into `out` with gunicorn's checks, in
// its order: three parts split at the first two spaces, the method, the
// target's form, its split, the version.
ErrorKind parse_request_line(const ParserOptions& o, char* data, size_t n, Request* out,
                             std::string* detail) {
  const std::string_view line(data, n);
  auto bad_line = [&] {
    *detail = "Invalid HTTP request line: " + py_repr(line);
    return ErrorKind::kInvalidRequestLine;
  };
  const size_t s1 = line.find(' ');
  const size_t s2 = s1 == kNpos ? kNpos : line.find(' ', s1 + 1);
  if (s2 == kNpos) return bad_line();

  const std::string_view method = line.substr(0, s1);
  if ((!o.permit_unconventional_http_method && !conventional_method(method)) || !is_token(method)) {
    *detail = "Invalid HTTP method: " + py_repr(method);
    return ErrorKind::kInvalidRequestMethod;
  }
  if (o.casefold_http_method) {
    for (size_t i = 0; i < s1; ++i) data[i] = ascii_upper(data[i]);
  }
  out->method = method;  // sees the folded bytes

  const std::string_view target = line.substr(s1 + 1, s2 - s1 - 1);
  if (target.empty()) return bad_line();
  if (target == "*" && method != "OPTIONS") return bad_line();
  if (method != "CONNECT" && target != "*" && target[0] != '/' && target.find("://") == kNpos) {
    return bad_line();  // authority-form without CONNECT, or a relative target
  }
  std::string_view cleaned = target;
  if (has_tab_cr_lf(target)) cleaned = out->storage.emplace_back(remove_tab_cr_lf(target));
  TargetParts parts;
  if (!split_request_target(target, cleaned, &parts)) return bad_line();
  out->uri = target;
  out->path = parts.path;
  out->query = parts.query;
  out->fragment = parts.fragment;

  const std::string_view version = line.substr(s2 + 1);
  int major = 0, minor = 0;
  if (!parse_version(version, &major, &minor)) {
    *detail = "Invalid HTTP Version: " + py_repr(version);
    return ErrorKind::kInvalidHTTPVersion;
  }
  // gunicorn accepts 1.0 <= version < 2.0 (so also "HTTP/1.5").
  if (major != 1 && !o.permit_unconventional_http_version) {
    *detail =
        "Invalid HTTP Version: (" + std::to_string(major) + ", " + std::to_string(minor) + ")";
    return ErrorKind::kInvalidHTTPVersion;
  }
  out->version_major = major;
  out->version_minor = minor;
  return ErrorKind::kNone;
}

// --- the fields -------------------------------------------------------------

// The field names the policy looks at, found with one comparison.
enum class Known {
  kOther,
  kHost,
  kExpect,
  kConnection,
  kContentType,
  kContentLength,
  kTransferEncoding
};

Known classify(std::string_view name) {
  switch (name.size()) {
    case 4:
      return equals_upper(name, "HOST") ? Known::kHost : Known::kOther;
    case 6:
      return equals_upper(name, "EXPECT") ? Known::kExpect : Known::kOther;
    case 10:
      return equals_upper(name, "CONNECTION") ? Known::kConnection : Known::kOther;
    case 12:
      return equals_upper(name, "CONTENT-TYPE") ? Known::kContentType : Known::kOther;
    case 14:
      return equals_upper(name, "CONTENT-LENGTH") ? Known::kContentLength : Known::kOther;
    case 17:
      return equals_upper(name, "TRANSFER-ENCODING") ? Known::kTransferEncoding : Known::kOther;
    default:
      return Known::kOther;
  }
}

// Applies gunicorn's HeaderPolicy and body-framing rules to each field of
// the head as the scan completes it, filling `out`.
class FieldPolicy : public FieldSink {
 public:
  FieldPolicy(const ParserOptions& o, const PeerContext& peer, Request* out)
      : o_(o), peer_(peer), out_(out) {
    syntax_.permit_obsolete_folding = o.permit_obsolete_folding;
    syntax_.strip_header_spaces = o.strip_header_spaces;
  }

  const FieldSyntax& syntax() const { return syntax_; }
  ErrorKind on_field(const RawField& raw, bool* keep, std::string* detail) override;
  // After the blank line: the framing and connection rules.
  ErrorKind finish(std::string* detail);

  // The state later fields are checked against, kept across calls.
  void save(HeadScanProgress* p) const {
    p->seen_host = seen_host_;
    p->seen_content_type = seen_content_type_;
    p->scheme = out_->forwarded_scheme;
  }
  void restore(const HeadScanProgress& p) {
    seen_host_ = p.seen_host;
    seen_content_type_ = p.seen_content_type;
    out_->forwarded_scheme = p.scheme;
  }

 private:
  bool at_least_http11() const {
    return out_->version_major > 1 || (out_->version_major == 1 && out_->version_minor >= 1);
  }
  // kNone with *keep set, or the error.
  ErrorKind apply(const ParsedField& f, Known known, bool* keep, std::string* detail);
  bool forwarder_allowed(std::string_view name) const;
  // Content-Length and Transfer-Encoding; an error here only counts if no
  // field after it fails (gunicorn checks framing after all fields).
  void note_framing(const ParsedField& f, Known known);
  void framing_error(ErrorKind kind, std::string detail) {
    framing_error_ = kind;
    framing_detail_ = std::move(detail);
  }

  const ParserOptions& o_;
  const PeerContext& peer_;
  Request* out_;
  FieldSyntax syntax_;
  std::string scratch_;
  bool seen_host_ = false, seen_content_type_ = false;
  bool have_length_ = false, chunked_ = false, force_close_ = false, have_coding_ = false;
  std::string_view length_value_;
  bool seen_connection_ = false;
  std::string_view connection_value_;
  ErrorKind framing_error_ = ErrorKind::kNone;
  std::string framing_detail_;
};

ErrorKind FieldPolicy::on_field(const RawField& raw, bool* keep, std::string* detail) {
  // A folded value is joined into storage, whose elements never move.
  std::string* joined = &scratch_;
  if (!raw.folded.empty() && o_.permit_obsolete_folding) joined = &out_->storage.emplace_back();
  ParsedField field;
  ErrorKind e = parse_field(raw, syntax_, &field, joined, detail);
  if (e != ErrorKind::kNone) return e;
  const Known known = classify(field.name);
  e = apply(field, known, keep, detail);
  if (e != ErrorKind::kNone || !*keep) return e;
  out_->headers.push_back(Header{field.name, field.value});
  note_framing(field, known);
  return ErrorKind::kNone;
}

bool FieldPolicy::forwarder_allowed(std::string_view name) const {
  if (!peer_.forwarder_trusted) return false;
  for (const std::string& allowed : o_.forwarder_headers) {
    if (allowed == "*" || equals_upper(name, allowed)) return true;
  }
  return false;
}

ErrorKind FieldPolicy::apply(const ParsedField& f, Known known, bool* keep, std::string* detail) {
  const std::string_view name = f.name, value = f.value;
  // RFC 9110 5.3: a second Host or Content-Type makes the message ambiguous.
  bool* seen = known == Known::kHost          ? &seen_host_
               : known == Known::kContentType ? &seen_content_type_
                                              : nullptr;
  if (seen != nullptr) {
    if (*seen) {
      *detail = "Invalid HTTP Header: " + py_repr(to_upper(name));
      return ErrorKind::kInvalidHeader;
    }
    *seen = true;
  } else if (known == Known::kExpect) {
    if (!iequals(value, "100-continue")) {
      *detail = "Unable to comply with expectation: " + py_repr(value);
      return ErrorKind::kExpectationFailed;
    }
    // RFC 9110 10.1.1: an HTTP/1.0 server ignores 100-continue.
    if (at_least_http11()) out_->expect_continue = true;
  }
  if (peer_.forwarder_trusted) {
    for (const auto& [header, https_value] : o_.secure_scheme_headers) {
      if (!equals_upper(name, header)) continue;
      ForwardedScheme scheme =
          value == https_value ? ForwardedScheme::kHttps : ForwardedScheme::kHttp;
      if (out_->forwarded_scheme != ForwardedScheme::kUnknown && out_->forwarded_scheme != scheme) {
        *detail = "Contradictory scheme headers";
        return ErrorKind::kInvalidSchemeHeaders;
      }
      out_->forwarded_scheme = scheme;
      break;
    }
  }
  if (!f.underscore) return ErrorKind::kNone;
  switch (underscore_action(o_.header_map, forwarder_allowed(name))) {
    case UnderscoreAction::kKeep:
      break;
    case UnderscoreAction::kDrop:
      *keep = false;
      break;
    case UnderscoreAction::kRefuse:
      *detail = "Invalid HTTP header name: " + py_repr(to_upper(name));
      return ErrorKind::kInvalidHeaderName;
  }
  return ErrorKind::kNone;
}

void FieldPolicy::note_framing(const ParsedField& f, Known known) {
  if (known == Known::kConnection && !seen_connection_) {
    seen_connection_ = true;  // only the first one counts, as in gunicorn
    connection_value_ = f.value;
  }
  if (framing_error_ != ErrorKind::kNone) return;
  if (known == Known::kContentLength) {
    if (have_length_)
      return framing_error(ErrorKind::kInvalidHeader, "Invalid HTTP Header: 'CONTENT-LENGTH'");
    have_length_ = true;
    length_value_ = f.value;
    return;
  }
  if (known != Known::kTransferEncoding) return;
  // A list of codings: chunked once and last; identity and the compressions
  // only before it; the compressions force the connection closed.
  std::string_view rest = f.value;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view coding = trim_ows(rest.substr(0, comma));
    bool compression =
        iequals(coding, "gzip") || iequals(coding, "deflate") || iequals(coding, "compress");
    if (!compression && !iequals(coding, "chunked") && !iequals(coding, "identity")) {
      return framing_error(ErrorKind::kUnsupportedTransferCoding,
                           "Unsupported transfer coding: " + py_repr(f.value));
    }
    if (chunked_) {
      return framing_error(ErrorKind::kInvalidHeader, "Invalid HTTP Header: 'TRANSFER-ENCODING'");
    }
    if (iequals(coding, "chunked")) chunked_ = true;
    if (compression) force_close_ = true;
    have_coding_ = true;
    if (comma == kNpos) break;
    rest.remove_prefix(comma + 1);
  }
}

ErrorKind FieldPolicy::finish(std::string* detail) {
  if (framing_error_ != ErrorKind::kNone) {
    *detail = std::move(framing_detail_);
    return framing_error_;
  }
  if (chunked_) {
    // RFC 9112 6.1: chunked on HTTP/1.0 is faulty; with a Content-Length the
    // framing we see may not be the one a proxy in front saw.
    if (!at_least_http11()) {
      *detail = "Invalid HTTP Header: 'TRANSFER-ENCODING'";
      return ErrorKind::kInvalidHeader;
    }
    if (have_length_) {
      *detail = "Invalid HTTP Header: 'CONTENT-LENGTH'";
      return ErrorKind::kInvalidHeader;
    }
    out_->framing = BodyFraming::kChunked;
  } else if (have_coding_ && !have_length_) {
    // RFC 9112 6.3: codings without chunked last and no Content-Length
    // leave the body's length unknown: 400. (gunicorn reads such a body
    // until EOF, a length that a proxy in front may not agree with.)
    *detail = "Invalid HTTP Header: 'TRANSFER-ENCODING'";
    return ErrorKind::kInvalidHeader;
  } else if (have_length_) {
    uint64_t n = 0;
    bool ok = !length_value_.empty();
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    for (char c : length_value_) {
      const uint64_t digit = uint64_t(c - '0');
      if (c < '0' || c > '9' || n > (kMax - digit) / 10) {
        ok = false;  // not a number, or one past 2^64 - 1
        break;
      }
      n = n * 10 + digit;
    }
    if (!ok) {
      *detail = "Invalid HTTP Header: 'CONTENT-LENGTH'";
      return ErrorKind::kInvalidHeader;
    }
    out_->framing = BodyFraming::kContentLength;
    out_->content_length = n;
  }
  // gunicorn's should_close(): forced, else the first Connection header's
  // close/keep-alive, else HTTP/1.0 and older close.
  bool close = !at_least_http11();
  if (seen_connection_) {
    if (iequals(connection_value_, "close")) close = true;
    if (iequals(connection_value_, "keep-alive")) close = false;
  }
  out_->must_close = force_close_ || close;
  return ErrorKind::kNone;
}

void save_progress(Request* out, const char* data, size_t len) {
  out->progress.len_seen = len;
  out->progress.fingerprint = fingerprint(data, len);
}

// One pass over the head; `resume`, when given, skips what an earlier call
// over the same bytes already checked.
ParseResult parse_head(const ParserOptions& o, const PeerContext& peer, char* data, size_t len,
                       Request* out, const HeadScanProgress* resume) {
  // 1. An optional PROXY header, before the first request of a connection.
  size_t pos = 0;
  if (o.proxy_protocol != ProxyProtocolMode::kOff && peer.first_on_connection) {
    ProxyParse pp =
        parse_proxy_header(o.proxy_protocol, peer.proxy_trusted, data, len, &out->proxy);
    if (pp.status == ProxyParse::kError) return failure(pp.error, std::move(pp.detail));
    if (pp.status == ProxyParse::kIncomplete) return ParseResult{};
    pos = pp.consumed;
  }

  // 2. The request line: at most limit_request_line bytes before its CRLF.
  const size_t line_limit = o.limit_request_line;
  const size_t line_bound = line_limit == 0 ? std::numeric_limits<size_t>::max()
                                            : pos + std::min(line_limit, kNpos / 4) + 2;
  const size_t line_end = std::min(len, line_bound);
  const size_t search_from = resume ? std::max(pos, resume->line_search_from) : pos;
  const size_t cr = find_crlf(data, pos, search_from, line_end);
  if (cr == kNpos) {
    if (len >= line_bound) {
      return failure(ErrorKind::kLimitRequestLine, "Request Line is too large (" +
                                                       std::to_string(line_limit + 2) + " > " +
                                                       std::to_string(line_limit) + ")");
    }
    out->progress.line_search_from = line_end;
    save_progress(out, data, len);
    return ParseResult{};
  }
  ParseResult result;
  ErrorKind e = parse_request_line(o, data + pos, cr - pos, out, &result.detail);
  if (e != ErrorKind::kNone) return failure(e, std::move(result.detail));

  // 3. The fields, each checked as soon as it is complete.
  const size_t fields = o.limit_request_fields ? o.limit_request_fields : kMaxHeaders;
  const size_t field_size =
      o.limit_request_field_size ? o.limit_request_field_size : kDefaultFieldSize;
  const FieldBlockLimits limits{fields, field_size, max_block_size(fields, field_size)};
  const size_t block_start = cr + 2;
  FieldPolicy policy(o, peer, out);
  FieldBlockScan scan;
  scan.line_start = block_start;
  if (resume && resume->in_fields) {
    scan = resume->fields;
    policy.restore(*resume);
  }
  size_t block_end = 0;
  switch (scan_field_block(data, len, block_start, limits, policy.syntax(), &scan, &policy,
                           &block_end, &result.error, &result.detail)) {
    case ScanStatus::kError:
      result.status = ParseResult::kError;
      return result;
    case ScanStatus::kNeedMore:
      out->progress.line_search_from = cr;
      out->progress.in_fields = true;
      out->progress.fields = scan;
      policy.save(&out->progress);
      save_progress(out, data, len);
      return ParseResult{};
    case ScanStatus::kDone:
      break;
  }

  // 4. The framing.
  e = policy.finish(&result.detail);
  if (e != ErrorKind::kNone) return failure(e, std::move(result.detail));
  result.status = ParseResult::kComplete;
  result.consumed = block_end;
  return result;
}

}  // namespace

bool parse_proxy_protocol_mode(std::string_view text, ProxyProtocolMode* out) {
  const std::string v = to_lower(trim_ascii_space(text));
  if (v == "off" || v == "false" || v == "0" || v == "none") {
    *out = ProxyProtocolMode::kOff;
  } else if (v == "auto" || v == "true" || v == "1") {
    *out = ProxyProtocolMode::kAuto;
  } else if (v == "v1") {
    *out = ProxyProtocolMode::kV1;
  } else if (v == "v2") {
    *out = ProxyProtocolMode::kV2;
  } else {
    return false;
  }
  return true;
}

bool parse_header_map_policy(std::string_view text, HeaderMapPolicy* out) {
  const std::string v = to_lower(trim_ascii_space(text));
  if (v == "drop") {
    *out = HeaderMapPolicy::kDrop;
  } else if (v == "refuse") {
    *out = HeaderMapPolicy::kRefuse;
  } else if (v == "dangerous") {
    *out = HeaderMapPolicy::kDangerous;
  } else {
    return false;
  }
  return true;
}

void ParserOptions::normalize_limits(long long line, long long fields, long long field_size) {
  limit_request_line =
      (line < 0 || line >= (long long)kMaxRequestLine) ? kMaxRequestLine : size_t(line);
  limit_request_fields =
      (fields <= 0 || fields > (long long)kMaxHeaders) ? kMaxHeaders : size_t(fields);
  limit_request_field_size = field_size <= 0 ? kDefaultFieldSize : size_t(field_size);
}

ParseResult parse_request_head(const ParserOptions& o, const PeerContext& peer, char* data,
                               size_t len, Request* out) {
  // Resume only over the same bytes plus more; otherwise start afresh.
  const HeadScanProgress progress = out->progress;
  const bool resumable = progress.len_seen != 0 && len >= progress.len_seen &&
                         fingerprint(data, progress.len_seen) == progress.fingerprint;
  out->reset();
  ParseResult r = parse_head(o, peer, data, len, out, resumable ? &progress : nullptr);
  if (r.status != ParseResult::kIncomplete && resumable && progress.in_fields) {
    // The fields before the resume point were checked by earlier calls but
    // are not in `out`, nor in the framing checks: redo it all in one pass
    // from the start (it reaches the same verdict on those fields).
    out->reset();
    r = parse_head(o, peer, data, len, out, nullptr);
  }
  return r;
}

}  // namespace qilin::http
