#include "http/chunked_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/request_parser.h"

namespace qilin::http {
namespace {

struct Decoded {
  ErrorKind error = ErrorKind::kNone;  // kNone: kDone reached
  std::string body;
  std::string detail;
  std::vector<std::pair<std::string, std::string>> trailers;
  size_t left = 0;  // input bytes after kDone
  bool operator==(const Decoded&) const = default;
};

// Feeds `input` in pieces of `piece` bytes (0: all at once), as a caller
// that discards what was consumed; at the end of input, finish().
Decoded decode(const std::string& input, size_t piece, ChunkedDecoder d) {
  Decoded out;
  std::string pending;
  size_t fed = 0;
  while (true) {
    size_t n = piece == 0 ? input.size() - fed : std::min(piece, input.size() - fed);
    pending.append(input, fed, n);
    fed += n;
    ChunkedDecoder::Step s = d.next(pending);
    EXPECT_LE(s.consumed, pending.size());
    if (s.kind == ChunkedDecoder::Step::kData) {
      EXPECT_FALSE(s.data.empty());
      out.body.append(s.data);
    }
    pending.erase(0, s.consumed);
    if (s.kind == ChunkedDecoder::Step::kError) {
      out.error = s.error;
      out.detail = d.error_detail();
      return out;
    }
    if (s.kind == ChunkedDecoder::Step::kDone) {
      EXPECT_TRUE(d.done());
      out.trailers = d.trailers();
      out.left = pending.size() + (input.size() - fed);
      return out;
    }
    if (s.kind == ChunkedDecoder::Step::kNeedMore && fed == input.size() && pending.empty()) {
      ChunkedDecoder::Step f = d.finish();
      out.error = f.error;
      out.detail = d.error_detail();
      return out;
    }
  }
}

// Decodes at once, in 1- and 3-byte pieces; all must agree.
Decoded decode(const std::string& input, const ChunkedDecoder& proto = ChunkedDecoder()) {
  Decoded once = decode(input, 0, proto);
  EXPECT_EQ(once, decode(input, 1, proto)) << input;
  EXPECT_EQ(once, decode(input, 3, proto)) << input;
  return once;
}

TEST(ChunkedDecoder, Bodies) {
  struct Case {
    std::string input, body;
    size_t left = 0;
  } cases[] = {
      {"1e\r\nall your base are belong to us\r\n0\r\n\r\n", "all your base are belong to us"},
      {"5\r\nhello\r\n6\r\n world\r\n000\r\n\r\n", "hello world"},
      {"5; some; parameters=stuff\r\nhello\r\n6; blahblah; blah\r\n world\r\n0\r\n\r\n",
       "hello world"},
      {"5;foo=\"bar baz\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5 ;ext\r\nhello\r\n0\t;x\r\n\r\n", "hello"},  // BWS before ';'
      {"0005\r\nhello\r\n0\r\n\r\n", "hello"},
      {"A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"a\r\n\r\n\r\n\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n\r\n\r\n\r\n"},
      {"3;x=\n\r\nabc\r\n0\r\n\r\n", "abc"},  // a bare LF in an extension passes (gunicorn)
      {"0\r\n\r\n", ""},
      {"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc", 16},
  };
  for (const Case& c : cases) {
    Decoded d = decode(c.input);
    EXPECT_EQ(d.error, ErrorKind::kNone) << c.input << " " << d.detail;
    EXPECT_EQ(d.body, c.body) << c.input;
    EXPECT_EQ(d.left, c.left) << c.input;
  }
}

TEST(ChunkedDecoder, Trailers) {
  Decoded d = decode("5\r\nhello\r\n0\r\nVary: *\r\nContent-Type: text/plain\r\n\r\nrest");
  ASSERT_EQ(d.error, ErrorKind::kNone) << d.detail;
  EXPECT_EQ(d.body, "hello");
  std::vector<std::pair<std::string, std::string>> expected = {{"Vary", "*"},
                                                               {"Content-Type", "text/plain"}};
  EXPECT_EQ(d.trailers, expected);
  EXPECT_EQ(d.left, 4u);
  // header_map drops underscore names in trailers (no forwarder exception).
  d = decode("0\r\nX_Y: 1\r\nA: b\r\n\r\n");
  ASSERT_EQ(d.error, ErrorKind::kNone);
  ASSERT_EQ(d.trailers.size(), 1u);
  EXPECT_EQ(d.trailers[0].first, "A");
}

TEST(ChunkedDecoder, Refusals) {
  struct Case {
    std::string input;
    ErrorKind error;
    std::string detail = {};  // empty: not checked
  } cases[] = {
      {"5\r\nhello\r\n6_0\r\n world\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize,
       "Invalid chunk size: b'6_0'"},
      {"5\r\nhello\r\n0 \r\n\r\n", ErrorKind::kInvalidChunkSize, "Invalid chunk size: b'0 '"},
      {"5\r\nhello\r\n 0\r\n\r\n", ErrorKind::kInvalidChunkSize},
      {"5\n;\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize, "Invalid chunk size: b'5\\n'"},
      {" ;foo=bar\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize, "Invalid chunk size: b''"},
      {"\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize},
      {"-5\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize},
      {"+5\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize},
      {"0x5\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkSize},
      {"10000000000000000\r\n", ErrorKind::kInvalidChunkSize},  // over 64 bits
      {"5;ext=val\rue\r\nhello\r\n0\r\n\r\n", ErrorKind::kInvalidChunkExtension,
       "Invalid chunk extension: bare CR not allowed"},
      {"z;\r\r\n", ErrorKind::kInvalidChunkExtension},  // the extension is checked first
      {"5\r\nhelloXX0\r\n\r\n", ErrorKind::kChunkMissingTerminator,
       "Invalid chunk terminator is not '\\r\\n': b'XX'"},
      {"5\r\nhello\n0\r\n\r\n", ErrorKind::kChunkMissingTerminator},
      {"0\r\nHost: evil.example.com\r\n\r\n", ErrorKind::kInvalidHeaderName,
       "Invalid HTTP header name: 'HOST'"},
      {"0\r\nContent-Length: 99\r\n\r\n", ErrorKind::kInvalidHeaderName},
      {"0\r\nTransfer-Encoding: chunked\r\n\r\n", ErrorKind::kInvalidHeaderName},
      {"0\r\ntrailer: x\r\n\r\n", ErrorKind::kInvalidHeaderName},
      {"0\r\nAuthorization: x\r\n\r\n", ErrorKind::kInvalidHeaderName},
      {"0\r\nTE: x\r\n\r\n", ErrorKind::kInvalidHeaderName},
      {"0\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n", ErrorKind::kInvalidHeader},
      {"0\r\nA: 1\r\n b\r\n\r\n", ErrorKind::kObsoleteFolding},
      {"0\r\nBad Name: x\r\n\r\n", ErrorKind::kInvalidHeaderName},
      {"0\r\nX: a\x07"
       "b\r\n\r\n",
       ErrorKind::kInvalidHeader},
      // Truncations, reported by finish().
      {"", ErrorKind::kNoMoreData},
      {"5\r\nhel", ErrorKind::kNoMoreData},
      {"5", ErrorKind::kNoMoreData},
      {"5\r\nhello", ErrorKind::kChunkMissingTerminator},
      {"5\r\nhello\r", ErrorKind::kChunkMissingTerminator},
      {"0\r\n", ErrorKind::kChunkMissingTerminator,
       "Invalid chunk terminator is not '\\r\\n': b''"},
      {"0\r\nA: b\r\n", ErrorKind::kChunkMissingTerminator},
      {"0\r\n\r", ErrorKind::kChunkMissingTerminator},
  };
  for (const Case& c : cases) {
    Decoded d = decode(c.input);
    EXPECT_EQ(error_info(d.error).class_name, error_info(c.error).class_name) << c.input;
    if (!c.detail.empty()) {
      EXPECT_EQ(d.detail, c.detail) << c.input;
    }
  }
}

TEST(ChunkedDecoder, Limits) {
  // The size line, extensions and CRLF included, is bounded by the field size.
  EXPECT_EQ(
      decode("5;" + std::string(20, 'x') + "\r\nhello\r\n0\r\n\r\n", ChunkedDecoder(20)).error,
      ErrorKind::kInvalidChunkExtension);
  EXPECT_EQ(decode(std::string(30, '0') + "5\r\nhello\r\n0\r\n\r\n", ChunkedDecoder(20)).error,
            ErrorKind::kInvalidChunkSize);
  EXPECT_EQ(
      decode("5;" + std::string(16, 'x') + "\r\nhello\r\n0\r\n\r\n", ChunkedDecoder(20)).error,
      ErrorKind::kNone);
  // Trailer fields follow the head's limits.
  ParserOptions o;
  o.normalize_limits(4094, 1, 20);
  EXPECT_EQ(decode("0\r\nA: 1\r\nB: 2\r\n\r\n", ChunkedDecoder(o)).error,
            ErrorKind::kLimitRequestHeaders);
  EXPECT_EQ(decode("0\r\nA: " + std::string(20, 'x') + "\r\n\r\n", ChunkedDecoder(o)).error,
            ErrorKind::kLimitRequestHeaders);
  EXPECT_EQ(decode("0\r\nA: 1\r\n\r\n", ChunkedDecoder(o)).error, ErrorKind::kNone);
  // A partial trailer line is refused as soon as it cannot fit.
  ChunkedDecoder d(o);
  std::string in = "0\r\nA: " + std::string(40, 'x');
  EXPECT_EQ(d.next(in).kind, ChunkedDecoder::Step::kError);
}

TEST(ChunkedDecoder, TrailerRulesFromOptions) {
  ParserOptions o;
  o.permit_obsolete_folding = true;
  o.header_map = HeaderMapPolicy::kRefuse;
  Decoded d = decode("0\r\nA: 1\r\n b\r\n\r\n", ChunkedDecoder(o));
  ASSERT_EQ(d.error, ErrorKind::kNone) << d.detail;
  EXPECT_EQ(d.trailers[0].second, "1 b");
  EXPECT_EQ(decode("0\r\nX_Y: 1\r\n\r\n", ChunkedDecoder(o)).error, ErrorKind::kInvalidHeaderName);
  o.strip_header_spaces = true;
  d = decode("0\r\nA : 1\r\n\r\n", ChunkedDecoder(o));
  ASSERT_EQ(d.error, ErrorKind::kNone);
  EXPECT_EQ(d.trailers[0].first, "A");
}

TEST(ChunkedDecoder, DataIsAViewIntoTheInputAndErrorsStick) {
  ChunkedDecoder d;
  std::string in = "5\r\nhello\r\n";
  ChunkedDecoder::Step s = d.next(in);
  ASSERT_EQ(s.kind, ChunkedDecoder::Step::kData);
  EXPECT_EQ(s.data.data(), in.data() + 3);
  EXPECT_EQ(s.consumed, 8u);
  s = d.next(std::string_view(in).substr(8));
  EXPECT_EQ(s.kind, ChunkedDecoder::Step::kNeedMore);
  EXPECT_EQ(s.consumed, 2u);
  s = d.next("zz\r\n");
  EXPECT_EQ(s.kind, ChunkedDecoder::Step::kError);
  EXPECT_EQ(d.next("0\r\n\r\n").kind, ChunkedDecoder::Step::kError);
  EXPECT_EQ(d.finish().error, ErrorKind::kInvalidChunkSize);
  d.reset();
  s = d.next("0\r\n\r\n");
  EXPECT_EQ(s.kind, ChunkedDecoder::Step::kDone);
  EXPECT_EQ(s.consumed, 5u);
  EXPECT_EQ(d.finish().kind, ChunkedDecoder::Step::kDone);
}

}  // namespace
}  // namespace qilin::http
