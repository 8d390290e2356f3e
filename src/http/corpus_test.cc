// Runs gunicorn's own request corpus (tests/requests in gunicorn, copied to
// ../shared/conformance/gunicorn-requests beside this repository) through
// the parser and the chunked decoder, the way gunicorn's tests/treq.py does:
// each .http file is decoded, the options its .py sets are applied, and the
// requests are read in sequence (bodies skipped or decoded) until the input
// ends, a request asks to close, or an error. An invalid case must fail with
// the error class its .py names; a valid one must not fail and must yield as
// many requests as its .py lists, the first with the expected method, target
// and version. Skipped when the corpus is not there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/strings.h"
#include "http/chunked_decoder.h"
#include "http/request_parser.h"

namespace qilin::http {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> corpus_dir() {
  std::error_code ec;
  if (const char* env = std::getenv("QILIN_GUNICORN_REQUESTS")) {
    if (fs::is_directory(fs::path(env) / "invalid", ec)) return fs::path(env);
  }
  // This file is <repo>/src/http/corpus_test.cc; the corpus is <repo>/../shared/...
  fs::path p = fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "conformance" /
               "gunicorn-requests";
  if (fs::is_directory(p / "invalid", ec) && fs::is_directory(p / "valid", ec)) return p;
  return std::nullopt;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replace_all(std::string* s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t at = s->find(from, pos);
    if (at == std::string::npos) break;
    out.append(*s, pos, at - pos);
    out.append(to);
    pos = at + from.size();
  }
  out.append(*s, pos);
  *s = std::move(out);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// treq.py's decoding: newlines dropped, then the escapes \r\n, \0, \n, \t
// and \xHH.
std::string decode_http(std::string data) {
  replace_all(&data, "\n", "");
  replace_all(&data, "\\r\\n", "\r\n");
  replace_all(&data, "\\0", std::string(1, '\0'));
  replace_all(&data, "\\n", "\n");
  replace_all(&data, "\\t", "\t");
  std::string out;
  for (size_t i = 0; i < data.size(); ++i) {
    if (i + 3 < data.size() && data[i] == '\\' && data[i + 1] == 'x' &&
        hex_digit(data[i + 2]) >= 0 && hex_digit(data[i + 3]) >= 0) {
      out.push_back(char(hex_digit(data[i + 2]) * 16 + hex_digit(data[i + 3])));
      i += 3;
      continue;
    }
    out.push_back(data[i]);
  }
  return out;
}

// The contents of a Python string literal starting at s[0] (a quote).
std::string python_string(std::string_view s) {
  std::string out;
  if (s.empty()) return out;
  char q = s[0];
  for (size_t i = 1; i < s.size() && s[i] != q; ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    if (e == 'x' && i + 2 < s.size()) {
      out.push_back(char(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else if (e == 'u' && i + 4 < s.size()) {  // only U+0000 to U+00FF occur
      out.push_back(char(hex_digit(s[i + 3]) * 16 + hex_digit(s[i + 4])));
      i += 4;
    } else if (e == 'r') {
      out.push_back('\r');
    } else if (e == 'n') {
      out.push_back('\n');
    } else if (e == 't') {
      out.push_back('\t');
    } else {
      out.push_back(e);
    }
  }
  return out;
}

// What a corpus .py says.
struct Expectation {
  ParserOptions options;
  std::string error_class;  // invalid cases
  size_t requests = 0;      // valid cases
  std::string method, uri;
  int major = -1, minor = -1;
};

Expectation read_expectation(const fs::path& py) {
  Expectation e;
  long long line = 4094, fields = 100, field_size = 8190;
  std::istringstream in(read_file(py));
  std::string text;
  while (std::getline(in, text)) {
    std::string_view l = trim(text);
    if (l.rfind("cfg.set(", 0) == 0) {
      std::string_view args = l.substr(8, l.rfind(')') - 8);
      size_t comma = args.find(',');
      std::string name = python_string(trim(args.substr(0, comma)));
      std::string_view raw = trim(args.substr(comma + 1));
      std::string value =
          raw.empty() || (raw[0] != '\'' && raw[0] != '"') ? std::string(raw) : python_string(raw);
      bool on = value == "True";
      ParserOptions& o = e.options;
      if (name == "limit_request_line")
        line = std::stoll(value);
      else if (name == "limit_request_fields")
        fields = std::stoll(value);
      else if (name == "limit_request_field_size")
        field_size = std::stoll(value);
      else if (name == "permit_unconventional_http_method")
        o.permit_unconventional_http_method = on;
      else if (name == "permit_unconventional_http_version")
        o.permit_unconventional_http_version = on;
      else if (name == "casefold_http_method")
        o.casefold_http_method = on;
      else if (name == "permit_obsolete_folding")
        o.permit_obsolete_folding = on;
      else if (name == "strip_header_spaces")
        o.strip_header_spaces = on;
      else if (name == "header_map")
        EXPECT_TRUE(parse_header_map_policy(value, &o.header_map));
      else if (name == "proxy_protocol")
        EXPECT_TRUE(parse_proxy_protocol_mode(value, &o.proxy_protocol));
      else if (name != "forwarded_allow_ips")
        ADD_FAILURE() << py << ": unknown setting " << name;
    } else if (l.rfind("request = ", 0) == 0) {
      std::string_view v = l.substr(10);
      if (v[0] == '[') {
        e.requests = size_t(std::count(v.begin(), v.end(), ',')) + 1;
      } else if (v[0] == '{') {
        e.requests = 1;
      } else {
        e.error_class = std::string(trim(v));
      }
    } else if (l.rfind("\"method\": ", 0) == 0 && e.method.empty()) {
      e.method = python_string(l.substr(10));
    } else if (l.rfind("\"uri\": uri(", 0) == 0 && e.uri.empty()) {
      e.uri = python_string(l.substr(11));
    } else if (l.rfind("uri(", 0) == 0 && e.uri.empty()) {  // "uri":\n uri("...")
      e.uri = python_string(l.substr(4));
    } else if (l.rfind("\"version\": (", 0) == 0 && e.major < 0) {
      e.major = l[12] - '0';
      e.minor = l[15] - '0';
    }
  }
  e.options.normalize_limits(line, fields, field_size);
  return e;
}

struct Walk {
  ErrorKind error = ErrorKind::kNone;
  std::string detail;
  size_t requests = 0;
  std::string method, uri;
  int major = 0, minor = 0;
};

// gunicorn's RequestParser loop over the whole input. The peer is trusted for
// everything, as treq's peer address of None is.
Walk walk(std::string data, const ParserOptions& o) {
  Walk w;
  PeerContext peer;
  peer.forwarder_trusted = true;
  peer.proxy_trusted = true;
  size_t pos = 0;
  Request r;
  while (pos < data.size()) {
    peer.first_on_connection = w.requests == 0;
    r.reset();
    ParseResult res = parse_request_head(o, peer, data.data() + pos, data.size() - pos, &r);
    if (res.status != ParseResult::kComplete) {
      w.error = res.status == ParseResult::kError ? res.error : ErrorKind::kNoMoreData;
      w.detail = res.detail;
      return w;
    }
    if (w.requests++ == 0) {
      w.method = r.method;
      w.uri = r.uri;
      w.major = r.version_major;
      w.minor = r.version_minor;
    }
    pos += res.consumed;
    if (r.framing == BodyFraming::kContentLength) {
      pos += size_t(std::min<uint64_t>(r.content_length, data.size() - pos));
    } else if (r.framing == BodyFraming::kChunked) {
      ChunkedDecoder d(o);
      while (true) {
        ChunkedDecoder::Step s = d.next(std::string_view(data).substr(pos));
        pos += s.consumed;
        if (s.kind == ChunkedDecoder::Step::kDone) break;
        if (s.kind == ChunkedDecoder::Step::kNeedMore && pos == data.size()) s = d.finish();
        if (s.kind == ChunkedDecoder::Step::kError) {
          w.error = s.error;
          w.detail = d.error_detail();
          return w;
        }
      }
    }
    if (r.must_close) break;
  }
  return w;
}

std::vector<fs::path> cases(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".http") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GunicornCorpus, InvalidRequestsFailWithGunicornsError) {
  std::optional<fs::path> dir = corpus_dir();
  if (!dir)
    GTEST_SKIP() << "gunicorn request corpus not found at ../shared/conformance/gunicorn-requests";
  std::vector<fs::path> files = cases(*dir / "invalid");
  ASSERT_GT(files.size(), 50u);
  for (const fs::path& http : files) {
    SCOPED_TRACE(http.filename().string());
    Expectation e = read_expectation(fs::path(http).replace_extension(".py"));
    ASSERT_FALSE(e.error_class.empty());
    Walk w = walk(decode_http(read_file(http)), e.options);
    EXPECT_EQ(error_info(w.error).class_name, e.error_class) << w.detail;
  }
}

TEST(GunicornCorpus, ValidRequestsParse) {
  std::optional<fs::path> dir = corpus_dir();
  if (!dir)
    GTEST_SKIP() << "gunicorn request corpus not found at ../shared/conformance/gunicorn-requests";
  std::vector<fs::path> files = cases(*dir / "valid");
  ASSERT_GT(files.size(), 50u);
  for (const fs::path& http : files) {
    SCOPED_TRACE(http.filename().string());
    Expectation e = read_expectation(fs::path(http).replace_extension(".py"));
    Walk w = walk(decode_http(read_file(http)), e.options);
    EXPECT_EQ(w.error, ErrorKind::kNone) << error_info(w.error).class_name << ": " << w.detail;
    EXPECT_EQ(w.requests, e.requests);
    if (!e.method.empty()) {
      EXPECT_EQ(w.method, e.method);
    }
    if (!e.uri.empty()) {
      EXPECT_EQ(w.uri, e.uri);
    }
    if (e.major >= 0) {
      EXPECT_EQ(w.major, e.major);
      EXPECT_EQ(w.minor, e.minor);
    }
  }
}

}  // namespace
}  // namespace qilin::http
