#include "log/access_log_format.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "core/strings.h"

namespace qilin::log {

namespace {

// Appends a string value as gunicorn does: '"' becomes '\"'.
void append_escaped(std::string* out, std::string_view value) {
  for (char c : value) {
    if (c == '"') out->append("\\\"");
    else out->push_back(c);
  }
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string format_access_time(int64_t unix_seconds) {
  time_t t = time_t(unix_seconds);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "[%d/%b/%Y:%H:%M:%S %z]", &tm);
  return std::string(buf, n);
}

std::string basic_auth_user(std::string_view authorization) {
  std::string_view v = trim(authorization);
  if (v.size() < 6 || !iequals(v.substr(0, 6), "basic ")) return "";
  v = trim(v.substr(6));
  std::string decoded;
  int bits = 0, acc = 0;
  for (char c : v) {
    if (c == '=') break;
    int x = base64_value(c);
    if (x < 0) return "";
    acc = (acc << 6) | x;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded.push_back(char((acc >> bits) & 0xff));
    }
  }
  size_t colon = decoded.find(':');
  return colon == std::string::npos ? "" : decoded.substr(0, colon);
}

Result<AccessLogFormat> AccessLogFormat::compile(std::string_view format) {
  AccessLogFormat f;
  std::string literal;
  auto flush = [&]() {
    if (!literal.empty()) f.parts_.push_back({Kind::kLiteral, std::move(literal), 's'});
    literal.clear();
  };
  size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c != '%') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      literal.push_back('%');
      i += 2;
      continue;
    }
    if (i + 1 >= format.size() || format[i + 1] != '(') {
      return Result<AccessLogFormat>::error("Invalid access log format at offset " + std::to_string(i) +
                                            ": expected '%(' or '%%'");
    }
    // %(key)<flags/width><conversion>; the key may hold parentheses inside {}.
    size_t key_start = i + 2;
    size_t depth = 1, j = key_start;
    for (; j < format.size() && depth > 0; ++j) {
      if (format[j] == '(') ++depth;
      else if (format[j] == ')') --depth;
    }
    if (depth != 0) return Result<AccessLogFormat>::error("Invalid access log format: unclosed '%('");
    std::string_view key = format.substr(key_start, j - 1 - key_start);
    size_t k = j;
    while (k < format.size() && std::string_view("#0- +.0123456789").find(format[k]) != std::string_view::npos) ++k;
    if (k >= format.size()) return Result<AccessLogFormat>::error("Invalid access log format: missing conversion");
    char conversion = format[k];
    i = k + 1;
    flush();
    Part part{Kind::kUnknown, "", conversion};
    static const struct { const char* name; Kind kind; } kAtoms[] = {
        {"h", Kind::kRemoteAddr}, {"l", Kind::kDash}, {"u", Kind::kUser}, {"t", Kind::kTime},
        {"r", Kind::kRequestLine}, {"s", Kind::kStatus}, {"m", Kind::kMethod}, {"U", Kind::kPath},
        {"q", Kind::kQuery}, {"H", Kind::kProtocol}, {"B", Kind::kBytes}, {"b", Kind::kBytesOrDash},
        {"f", Kind::kReferer}, {"a", Kind::kUserAgent}, {"T", Kind::kSeconds}, {"M", Kind::kMillis},
        {"D", Kind::kMicros}, {"L", Kind::kDecimalSeconds}, {"p", Kind::kPid}};
    for (const auto& atom : kAtoms) {
      if (key == atom.name) part.kind = atom.kind;
    }
    if (part.kind == Kind::kUnknown && key.size() > 3 && key.front() == '{' && key[key.size() - 2] == '}') {
      char which = key.back();
      std::string name = to_lower(key.substr(1, key.size() - 3));
      if (which == 'i') part = {Kind::kRequestHeader, name, conversion};
      else if (which == 'o') part = {Kind::kResponseHeader, name, conversion};
      else if (which == 'e') {
        part = {Kind::kEnviron, name, conversion};
        f.uses_environ_ = true;
      }
    }
    f.parts_.push_back(std::move(part));
  }
  flush();
  return f;
}

void AccessLogFormat::render(const AccessRecord& r, std::string* out) const {
  char buf[64];
  auto text = [&](std::string_view v) { append_escaped(out, v); };
  auto text_or_dash = [&](std::optional<std::string_view> v) {
    if (v) append_escaped(out, *v);
    else out->push_back('-');
  };
  for (const Part& p : parts_) {
    switch (p.kind) {
      case Kind::kLiteral: out->append(p.text); break;
      case Kind::kRemoteAddr: text(r.remote_addr.empty() ? "-" : r.remote_addr); break;
      case Kind::kDash:
      case Kind::kUnknown: out->push_back('-'); break;
      case Kind::kUser: text(r.user.empty() ? "-" : r.user); break;
      case Kind::kTime: out->append(format_access_time(r.start_unix_seconds)); break;
      case Kind::kRequestLine:
        text(r.method);
        out->push_back(' ');
        text(r.raw_uri);
        out->push_back(' ');
        text(r.protocol);
        break;
      case Kind::kStatus: out->append(std::to_string(r.status)); break;
      case Kind::kMethod: text(r.method); break;
      case Kind::kPath: text(r.path_info); break;
      case Kind::kQuery: text(r.query); break;
      case Kind::kProtocol: text(r.protocol); break;
      case Kind::kBytes:
        if (r.bytes_sent >= 0) out->append(std::to_string(r.bytes_sent));
        else out->append("None");
        break;
      case Kind::kBytesOrDash:
        if (r.bytes_sent >= 0) out->append(std::to_string(r.bytes_sent));
        else out->push_back('-');
        break;
      case Kind::kReferer: text_or_dash(r.request_header ? r.request_header("referer") : std::nullopt); break;
      case Kind::kUserAgent:
        text_or_dash(r.request_header ? r.request_header("user-agent") : std::nullopt);
        break;
      case Kind::kSeconds: out->append(std::to_string(r.duration_us / 1000000)); break;
      case Kind::kMillis: out->append(std::to_string(r.duration_us / 1000)); break;
      case Kind::kMicros: out->append(std::to_string(r.duration_us)); break;
      case Kind::kDecimalSeconds:
        std::snprintf(buf, sizeof(buf), "%lld.%06lld", (long long)(r.duration_us / 1000000),
                      (long long)(r.duration_us % 1000000));
        out->append(buf);
        break;
      case Kind::kPid: out->append("<" + std::to_string(getpid()) + ">"); break;
      case Kind::kRequestHeader:
        text_or_dash(r.request_header ? r.request_header(p.text) : std::nullopt);
        break;
      case Kind::kResponseHeader:
        text_or_dash(r.response_header ? r.response_header(p.text) : std::nullopt);
        break;
      case Kind::kEnviron: {
        std::optional<std::string> v = r.environ_value ? r.environ_value(p.text) : std::nullopt;
        if (v) append_escaped(out, *v);
        else out->push_back('-');
        break;
      }
    }
  }
}

}  // namespace qilin::log
