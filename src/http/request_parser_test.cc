#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/parse_test_support.h"

namespace qilin::http {
namespace {

using namespace test_support;

// --- the request line ---------------------------------------------------

TEST(RequestLine, Refusals) {
  run_error_cases({
      {"two parts", head("GET HTTP/1.1"), ErrorKind::kInvalidRequestLine,
       "Invalid HTTP request line: 'GET HTTP/1.1'"},
      {"bare LF is no separator", head("GET\n/\nHTTP/1.1"), ErrorKind::kInvalidRequestLine,
       "Invalid HTTP request line: 'GET\\n/\\nHTTP/1.1'"},
      {"leading empty line", "\r\n" + head("GET / HTTP/1.1"), ErrorKind::kInvalidRequestLine,
       "Invalid HTTP request line: ''"},
      {"double space", head("GET  / HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      {"tab separator", head("GET\t/ HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      {"a fourth part", head("GET / HTTP/1.1 x"), ErrorKind::kInvalidHTTPVersion,
       "Invalid HTTP Version: 'HTTP/1.1 x'"},
      {"space in target", head("GET /a b HTTP/1.1"), ErrorKind::kInvalidHTTPVersion,
       "Invalid HTTP Version: 'b HTTP/1.1'"},
      {"empty version", head("GET / "), ErrorKind::kInvalidHTTPVersion, "Invalid HTTP Version: ''"},
      // method
      {"lower case", head("get / HTTP/1.1"), ErrorKind::kInvalidRequestMethod,
       "Invalid HTTP method: 'get'"},
      {"hash", head("G#T / HTTP/1.1"), ErrorKind::kInvalidRequestMethod},
      {"too short", head("GE / HTTP/1.1"), ErrorKind::kInvalidRequestMethod},
      {"too long", head(std::string(21, 'X') + " / HTTP/1.1"), ErrorKind::kInvalidRequestMethod},
      {"colon", head("bla:rgh /foo HTTP/1.1"), ErrorKind::kInvalidRequestMethod},
      {"trailing colon", head("GET: /foo HTTP/1.1"), ErrorKind::kInvalidRequestMethod,
       "Invalid HTTP method: 'GET:'"},
      {"NUL", head(std::string("GET\0PROXY /foo HTTP/1.1", 23)), ErrorKind::kInvalidRequestMethod,
       "Invalid HTTP method: 'GET\\x00PROXY'"},
      {"latin-1", head("GET\xc3\x9f /x HTTP/1.1"), ErrorKind::kInvalidRequestMethod},
      {"permitted yet not a token", head("get: / HTTP/1.1"), ErrorKind::kInvalidRequestMethod, "",
       kPermitMethod},
      {"empty method", head(" / HTTP/1.1"), ErrorKind::kInvalidRequestMethod, "", kPermitMethod},
      // target
      {"asterisk without OPTIONS", head("GET * HTTP/1.1"), ErrorKind::kInvalidRequestLine,
       "Invalid HTTP request line: 'GET * HTTP/1.1'"},
      {"authority without CONNECT", head("GET example.com:443 HTTP/1.1"),
       ErrorKind::kInvalidRequestLine},
      {"relative", head("GET foo/bar HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      {"asterisk with CONNECT", head("CONNECT * HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      {"unbalanced bracket", head("PUT s://]ufd/: HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      {"IPv4 in brackets", head("GET http://[1.2.3.4]/ HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      {"junk after bracket", head("GET http://[::1]x/ HTTP/1.1"), ErrorKind::kInvalidRequestLine},
      // version
      {"not HTTP", head("GET /foo FTP/1.1"), ErrorKind::kInvalidHTTPVersion,
       "Invalid HTTP Version: 'FTP/1.1'"},
      {"2.0", head("GET /foo HTTP/2.0"), ErrorKind::kInvalidHTTPVersion,
       "Invalid HTTP Version: (2, 0)"},
      {"0.9", head("GET /foo HTTP/0.9"), ErrorKind::kInvalidHTTPVersion,
       "Invalid HTTP Version: (0, 9)"},
      {"two digits", head("GET /foo HTTP/0.99"), ErrorKind::kInvalidHTTPVersion},
      {"no dot", head("GET /test HTTP/111"), ErrorKind::kInvalidHTTPVersion},
      {"lower case", head("GET / http/1.1"), ErrorKind::kInvalidHTTPVersion},
      {"huge", head("GET / HTTP/" + std::string(90, '1') + ".1"), ErrorKind::kInvalidHTTPVersion},
  });
}

TEST(RequestLine, Accepted) {
  Outcome o = parse(head("GET /forums/1/topics/2375?page=1#posts-17408 HTTP/1.1"));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_EQ(o.method, "GET");
  EXPECT_EQ(o.uri, "/forums/1/topics/2375?page=1#posts-17408");
  EXPECT_EQ(o.path, "/forums/1/topics/2375");
  EXPECT_EQ(o.query, "page=1");
  EXPECT_EQ(o.fragment, "posts-17408");
  EXPECT_EQ(o.major, 1);
  EXPECT_EQ(o.minor, 1);

  struct Case {
    std::string line, method, path;
    Configure setup = nullptr;
  } cases[] = {
      {"-BLARGH /foo HTTP/1.1", "-BLARGH", "/foo"},
      {"GET ///keeping_slashes HTTP/1.1", "GET", "///keeping_slashes"},
      {"OPTIONS * HTTP/1.1", "OPTIONS", "*"},
      {"CONNECT example.com:443 HTTP/1.1", "CONNECT", "443"},
      {"CONNECT [::1]:443 HTTP/1.1", "CONNECT", "[::1]:443"},
      {"GET http://user:pass@example.com:8080/foo?q=1 HTTP/1.1", "GET", "/foo"},
      {"GET http://[::1]:8080/foo HTTP/1.1", "GET", "/foo"},
      {std::string(20, 'X') + " / HTTP/1.1", std::string(20, 'X'), "/"},
      {"get / HTTP/1.1", "get", "/", kPermitMethod},
      {"G#T / HTTP/1.1", "G#T", "/", kPermitMethod},
      {"-blargh /foo HTTP/1.1", "-BLARGH", "/foo",
       [](ParserOptions& o, PeerContext&) {
         o.permit_unconventional_http_method = true;
         o.casefold_http_method = true;
       }},
      {"connect h:1 HTTP/1.1", "CONNECT", "1",  // OPTIONS/CONNECT rules see the folded method
       [](ParserOptions& o, PeerContext&) {
         o.permit_unconventional_http_method = true;
         o.casefold_http_method = true;
       }},
      {"GET /a\tb HTTP/1.1", "GET", "/ab"},  // urlsplit deletes TAB
  };
  for (const Case& c : cases) {
    Outcome r = parse(head(c.line), c.setup);
    ASSERT_EQ(r.status, ParseResult::kComplete) << c.line << ": " << r;
    EXPECT_EQ(r.method, c.method) << c.line;
    EXPECT_EQ(r.path, c.path) << c.line;
  }
  // The raw target stays as sent.
  EXPECT_EQ(parse(head("GET /a\tb HTTP/1.1")).uri, "/a\tb");
}

TEST(RequestLine, CasefoldRewritesTheBufferInPlace) {
  ParserOptions o;
  o.permit_unconventional_http_method = true;
  o.casefold_http_method = true;
  std::string buffer = head("patch /x HTTP/1.1");
  Request r;
  ASSERT_EQ(parse_request_head(o, {}, buffer.data(), buffer.size(), &r).status,
            ParseResult::kComplete);
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(buffer.substr(0, 5), "PATCH");
  // Without the permit, lower case is refused before any folding.
  o.permit_unconventional_http_method = false;
  EXPECT_EQ(parse(head("get / HTTP/1.1"),
                  [](ParserOptions& o, PeerContext&) { o.casefold_http_method = true; })
                .error,
            ErrorKind::kInvalidRequestMethod);
}

TEST(RequestLine, Versions) {
  struct Case {
    const char* version;
    int major, minor;
    bool permit;
  } cases[] = {
      {"HTTP/1.0", 1, 0, false}, {"HTTP/1.1", 1, 1, false},
      {"HTTP/1.2", 1, 2, false},  // gunicorn accepts 1.0 <= v < 2.0
      {"HTTP/2.0", 2, 0, true},  {"HTTP/0.9", 0, 9, true},
  };
  for (const Case& c : cases) {
    Outcome o = parse(head(std::string("GET / ") + c.version), [&](ParserOptions& o, PeerContext&) {
      o.permit_unconventional_http_version = c.permit;
    });
    ASSERT_EQ(o.status, ParseResult::kComplete) << c.version;
    EXPECT_EQ(o.major, c.major);
    EXPECT_EQ(o.minor, c.minor);
  }
}

// --- header fields ----------------------------------------------------------

TEST(Fields, Refusals) {
  const std::string get = "GET / HTTP/1.1";
  run_error_cases({
      {"NUL in name", head(get, {std::string("ba\0z: bar", 9)}), ErrorKind::kInvalidHeaderName,
       "Invalid HTTP header name: 'ba\\x00z'"},
      {"space before colon", head(get, {"Content-Length : 3"}), ErrorKind::kInvalidHeaderName,
       "Invalid HTTP header name: 'Content-Length '"},
      {"tab before colon", head(get, {"X\t: 3"}), ErrorKind::kInvalidHeaderName},
      {"latin-1 in name", head(get, {"Content-Length\xc3\x9f: 3"}), ErrorKind::kInvalidHeaderName},
      {"leading space on first field", head(get, {" Foo: bar"}), ErrorKind::kInvalidHeaderName,
       "Invalid HTTP header name: ' Foo'"},
      {"empty name", head(get, {": x"}), ErrorKind::kInvalidHeader, "Invalid HTTP Header: ': x'"},
      {"no colon", head(get, {"NoColon"}), ErrorKind::kInvalidHeader,
       "Invalid HTTP Header: 'NoColon'"},
      {"BEL in value", head(get, {"X-Value: plain\x07injected"}), ErrorKind::kInvalidHeader,
       "Invalid HTTP Header: 'X-VALUE'"},
      {"DEL in value", head(get, {"X-Value: plain\x7finjected"}), ErrorKind::kInvalidHeader},
      {"NUL in value", head(get, {std::string("X: a\0b", 6)}), ErrorKind::kInvalidHeader},
      {"bare CR in value", head(get, {"X: a\rb"}), ErrorKind::kInvalidHeader},
      {"bare LF in value", head(get, {"Newline: a\nContent-Length: 26"}), ErrorKind::kInvalidHeader,
       "Invalid HTTP Header: 'NEWLINE'"},
      {"obs-fold", head(get, {"Long: one", " two", "Host: localhost"}), ErrorKind::kObsoleteFolding,
       "Obsolete line folding is unacceptable: 'LONG'"},
      {"obs-fold with tab", head(get, {"Long: one", "\ttwo"}), ErrorKind::kObsoleteFolding},
      {"name checked before obs-fold", head(get, {"Bad Name: one", " two"}),
       ErrorKind::kInvalidHeaderName},
      {"second Host", head(get, {"Host: a", "Host: b"}), ErrorKind::kInvalidHeader,
       "Invalid HTTP Header: 'HOST'"},
      {"second Content-Type", head(get, {"Content-Type: a", "content-type: b"}),
       ErrorKind::kInvalidHeader, "Invalid HTTP Header: 'CONTENT-TYPE'"},
      {"Expect other", head(get, {"Expect: 200-ok"}), ErrorKind::kExpectationFailed,
       "Unable to comply with expectation: '200-ok'"},
      {"Expect empty", head(get, {"Expect:"}), ErrorKind::kExpectationFailed},
      {"Expect on 1.0 too", head("GET / HTTP/1.0", {"Expect: x"}), ErrorKind::kExpectationFailed},
      {"refuse underscore", head(get, {"X_Foo: 1"}), ErrorKind::kInvalidHeaderName,
       "Invalid HTTP header name: 'X_FOO'",
       [](ParserOptions& o, PeerContext&) { o.header_map = HeaderMapPolicy::kRefuse; }},
      {"conflicting scheme headers",
       head(get, {"X-Forwarded-Proto: https", "X-Forwarded-Ssl: off"}),
       ErrorKind::kInvalidSchemeHeaders, "Contradictory scheme headers", kTrusted},
  });
}

TEST(Fields, ValuesAndNames) {
  Outcome o =
      parse(head("GET / HTTP/1.1",
                 {"Host: localhost", "Name: \t value \t ", "X-Value:\tabc\t", "X.Custom|Pipe: ok",
                  "aaaa:++++", "X-Obs: caf\xc3\xa9", "Empty:", "If-Match: a", "If-Match: b"}));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  std::vector<std::pair<std::string, std::string>> expected = {
      {"Host", "localhost"},   {"Name", "value"}, {"X-Value", "abc"},
      {"X.Custom|Pipe", "ok"}, {"aaaa", "++++"},  {"X-Obs", "caf\xc3\xa9"},
      {"Empty", ""},           {"If-Match", "a"}, {"If-Match", "b"}};
  EXPECT_EQ(o.headers, expected);
}

TEST(Fields, StripHeaderSpaces) {
  Outcome o = parse(head("GET / HTTP/1.1", {"Content-Length \t: 3"}),
                    [](ParserOptions& o, PeerContext&) { o.strip_header_spaces = true; });
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0].first, "Content-Length");
  EXPECT_EQ(o.framing, BodyFraming::kContentLength);
  EXPECT_EQ(o.length, 3u);
}

TEST(Fields, PermittedObsFoldIsJoined) {
  const Configure fold = [](ParserOptions& o, PeerContext&) { o.permit_obsolete_folding = true; };
  Outcome o = parse(head("GET / HTTP/1.1", {"Long: one", " two", "Host: localhost"}), fold);
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  ASSERT_EQ(o.headers.size(), 2u);
  EXPECT_EQ(o.headers[0], std::make_pair(std::string("Long"), std::string("one two")));
  // Every continuation line is trimmed and joined by one SP, even an empty one.
  o = parse(head("GET / HTTP/1.1", {"A:  x ", "\t y\t", "   ", " z"}), fold);
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_EQ(o.headers[0].second, "x y  z");
  // The joined value is still checked for control bytes.
  EXPECT_EQ(parse(head("GET / HTTP/1.1", {"A: x", " \x01"}), fold).error,
            ErrorKind::kInvalidHeader);
}

// --- body framing and connection ---------------------------------------------

TEST(Framing, Refusals) {
  const std::string post = "POST / HTTP/1.1";
  const std::string cl = "Invalid HTTP Header: 'CONTENT-LENGTH'";
  const std::string te = "Invalid HTTP Header: 'TRANSFER-ENCODING'";
  std::vector<ErrorCase> cases;
  for (const char* v : {"-1", "+1", "-0", "0_1", "1 2", "5, 5", "", "0x5", "bla-bla-bla", "\xb2",
                        "99999999999999999999999", "18446744073709551616"}) {
    cases.push_back(
        {v, head(post, {std::string("Content-Length: ") + v}), ErrorKind::kInvalidHeader, cl});
  }
  std::vector<ErrorCase> more = {
      {"second CL", head(post, {"Content-Length: 3", "Content-Length: 3"}),
       ErrorKind::kInvalidHeader, cl},
      {"CL and TE", head(post, {"Content-Length: 3", "Transfer-Encoding: chunked"}),
       ErrorKind::kInvalidHeader, cl},
      {"TE then CL", head(post, {"Transfer-Encoding: \tchunked", "Content-Length: 12"}),
       ErrorKind::kInvalidHeader, cl},
      {"chunked not last", head(post, {"Transfer-Encoding: chunked, gzip"}),
       ErrorKind::kInvalidHeader, te},
      {"chunked then identity",
       head(post, {"Transfer-Encoding: chunked", "Transfer-Encoding: identity"}),
       ErrorKind::kInvalidHeader, te},
      {"chunked twice", head(post, {"Transfer-Encoding: chunked, chunked"}),
       ErrorKind::kInvalidHeader, te},
      {"chunked twice over fields",
       head(post, {"Transfer-Encoding: identity, chunked, identity, chunked"}),
       ErrorKind::kInvalidHeader, te},
      {"chunked then gzip field",
       head(post, {"Transfer-Encoding: chunked", "Transfer-Encoding: gzip"}),
       ErrorKind::kInvalidHeader, te},
      {"chunked on 1.0", head("POST / HTTP/1.0", {"Transfer-Encoding: chunked"}),
       ErrorKind::kInvalidHeader, te},
      // RFC 9112 6.3: no chunked last and no Content-Length: the length is
      // unknown. gunicorn reads to EOF here; qilin answers 400.
      {"gzip alone", head(post, {"Transfer-Encoding: gzip"}), ErrorKind::kInvalidHeader, te},
      {"identity alone", head(post, {"Transfer-Encoding: identity"}), ErrorKind::kInvalidHeader,
       te},
      {"unknown coding", head(post, {"Transfer-Encoding: br"}),
       ErrorKind::kUnsupportedTransferCoding, "Unsupported transfer coding: 'br'"},
      {"unknown coding in a list", head(post, {"Transfer-Encoding: gzip, x, chunked"}),
       ErrorKind::kUnsupportedTransferCoding, "Unsupported transfer coding: 'gzip, x, chunked'"},
      {"empty list element", head(post, {"Transfer-Encoding: chunked,"}),
       ErrorKind::kUnsupportedTransferCoding},
      {"NBSP is no whitespace", head(post, {"Transfer-Encoding: chunked\xa0"}),
       ErrorKind::kUnsupportedTransferCoding},
      // Framing is judged after all fields: a later field's error wins.
      {"field error beats framing", head(post, {"Content-Length: x", "Bad Name: y"}),
       ErrorKind::kInvalidHeaderName},
      {"417 beats 501", head(post, {"Transfer-Encoding: br", "Expect: x"}),
       ErrorKind::kExpectationFailed},
      {"first framing error wins",
       head(post, {"Transfer-Encoding: br", "Content-Length: 1", "Content-Length: 1"}),
       ErrorKind::kUnsupportedTransferCoding},
  };
  cases.insert(cases.end(), more.begin(), more.end());
  run_error_cases(cases);
}

TEST(Framing, Accepted) {
  struct Case {
    std::string version;
    std::vector<std::string> fields;
    BodyFraming framing;
    uint64_t length;
    bool close;
  } cases[] = {
      {"HTTP/1.1", {}, BodyFraming::kNone, 0, false},
      {"HTTP/1.0", {}, BodyFraming::kNone, 0, true},
      {"HTTP/1.1", {"Content-Length: 5"}, BodyFraming::kContentLength, 5, false},
      {"HTTP/1.1", {"conTENT-Length: 005"}, BodyFraming::kContentLength, 5, false},
      {"HTTP/1.1", {"Content-Length: 0"}, BodyFraming::kContentLength, 0, false},
      {"HTTP/1.1",
       {"Content-Length: 18446744073709551615"},
       BodyFraming::kContentLength,
       18446744073709551615ull,
       false},
      {"HTTP/1.1", {"Transfer-Encoding: chunked"}, BodyFraming::kChunked, 0, false},
      {"HTTP/1.1", {"Transfer-Encoding: CHUNKED"}, BodyFraming::kChunked, 0, false},
      {"HTTP/1.1", {"Transfer-Encoding: identity, chunked"}, BodyFraming::kChunked, 0, false},
      // Codings without chunked but with a Content-Length: that length (gunicorn's valid/009).
      {"HTTP/1.1",
       {"Transfer-Encoding: identity", "Content-Length: 5"},
       BodyFraming::kContentLength,
       5,
       false},
      {"HTTP/1.1", {"Transfer-Encoding: gzip", "Content-Length: 5"}, BodyFraming::kContentLength, 5, true},
      {"HTTP/1.1",
       {"Transfer-Encoding: identity", "Transfer-Encoding: chunked"},
       BodyFraming::kChunked,
       0,
       false},
      {"HTTP/1.1", {"Transfer-Encoding: gzip, chunked"}, BodyFraming::kChunked, 0, true},
      {"HTTP/1.1", {"Transfer-Encoding: gzip,chunked"}, BodyFraming::kChunked, 0, true},
      {"HTTP/1.1",
       {"Transfer-Encoding: gzip", "Transfer-Encoding: chunked"},
       BodyFraming::kChunked,
       0,
       true},
      {"HTTP/1.1",
       {"Transfer-Encoding: deflate, compress , chunked"},
       BodyFraming::kChunked,
       0,
       true},
      {"HTTP/1.0", {"Content-Length: 5"}, BodyFraming::kContentLength, 5, true},
      // Connection: only the first field counts, and only exact values.
      {"HTTP/1.0", {"Connection: Keep-Alive"}, BodyFraming::kNone, 0, false},
      {"HTTP/1.1", {"Connection: Close"}, BodyFraming::kNone, 0, true},
      {"HTTP/1.1", {"Connection: close, foo"}, BodyFraming::kNone, 0, false},
      {"HTTP/1.0", {"Connection: keep-alive, foo"}, BodyFraming::kNone, 0, true},
      {"HTTP/1.1", {"Connection: upgrade", "Connection: close"}, BodyFraming::kNone, 0, false},
      {"HTTP/1.0",
       {"Connection: keep-alive", "Transfer-Encoding: gzip", "Content-Length: 0"},
       BodyFraming::kContentLength,
       0,
       true},
  };
  for (const Case& c : cases) {
    std::string bytes = "POST / " + c.version + "\r\n";
    for (const std::string& f : c.fields) bytes += f + "\r\n";
    bytes += "\r\n";
    Outcome o = parse(bytes);
    ASSERT_EQ(o.status, ParseResult::kComplete) << bytes << o;
    EXPECT_EQ(o.framing, c.framing) << bytes;
    EXPECT_EQ(o.length, c.length) << bytes;
    EXPECT_EQ(o.close, c.close) << bytes;
  }
}

TEST(Framing, ExpectContinue) {
  EXPECT_TRUE(parse(head("POST / HTTP/1.1", {"Expect: 100-continue"})).expect);
  EXPECT_TRUE(parse(head("POST / HTTP/1.1", {"Expect: 100-Continue"})).expect);
  Outcome o = parse(head("POST / HTTP/1.0", {"Expect: 100-continue"}));  // RFC 9110: ignored
  ASSERT_EQ(o.status, ParseResult::kComplete);
  EXPECT_FALSE(o.expect);
  EXPECT_FALSE(parse(head("POST / HTTP/1.1")).expect);
}

// --- header_map, forwarders and the scheme -------------------------------------

TEST(HeaderMap, Policies) {
  const std::string bytes = head("GET / HTTP/1.0", {"Transfer_Encoding: tricked",
                                                    "Content-Length: 7", "Content_Length: -1E23"});
  Outcome drop = parse(bytes);
  ASSERT_EQ(drop.status, ParseResult::kComplete) << drop;
  ASSERT_EQ(drop.headers.size(), 1u);
  EXPECT_EQ(drop.headers[0].first, "Content-Length");
  EXPECT_EQ(drop.length, 7u);

  Outcome dangerous = parse(
      bytes, [](ParserOptions& o, PeerContext&) { o.header_map = HeaderMapPolicy::kDangerous; });
  ASSERT_EQ(dangerous.status, ParseResult::kComplete);
  EXPECT_EQ(dangerous.headers.size(), 3u);
  EXPECT_EQ(dangerous.length, 7u);

  EXPECT_EQ(
      parse(bytes, [](ParserOptions& o, PeerContext&) { o.header_map = HeaderMapPolicy::kRefuse; })
          .error,
      ErrorKind::kInvalidHeaderName);
}

TEST(HeaderMap, ForwarderHeadersFromATrustedPeer) {
  const std::string bytes =
      head("GET / HTTP/1.1", {"SCRIPT_NAME: /app", "Remote_User: bob", "X_Other: 1"});
  // Untrusted: all dropped.
  EXPECT_TRUE(parse(bytes).headers.empty());
  // Trusted: the listed names (matched case-insensitively) pass.
  Outcome o = parse(bytes, kTrusted);
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0].first, "SCRIPT_NAME");
  o = parse(bytes, [](ParserOptions& o, PeerContext& p) {
    p.forwarder_trusted = true;
    o.forwarder_headers.push_back("REMOTE_USER");
    o.header_map = HeaderMapPolicy::kRefuse;
  });
  EXPECT_EQ(o.error, ErrorKind::kInvalidHeaderName);  // X_Other is still refused
  o = parse(bytes, [](ParserOptions& o, PeerContext& p) {
    p.forwarder_trusted = true;
    o.forwarder_headers = {"*"};
    o.header_map = HeaderMapPolicy::kRefuse;
  });
  ASSERT_EQ(o.status, ParseResult::kComplete);
  EXPECT_EQ(o.headers.size(), 3u);
}

TEST(HeaderMap, DroppedFieldsDoNotCountAsFields) {
  // gunicorn counts the fields it keeps; dropped ones still count against
  // the field size and the block size.
  Outcome o =
      parse(head("GET / HTTP/1.1", {"A_1: x", "A_2: x", "A_3: x", "B: y"}), limits(4094, 1, 8190));
  ASSERT_EQ(o.status, ParseResult::kComplete) << o;
  EXPECT_EQ(o.headers.size(), 1u);
  o = parse(head("GET / HTTP/1.1", {"A: x", "B_1: y", "C: z"}), limits(4094, 1, 8190));
  EXPECT_EQ(o.error, ErrorKind::kLimitRequestHeaders);
  EXPECT_EQ(o.detail, "limit request headers fields");
}

TEST(SchemeHeaders, FromTrustedPeersOnly) {
  struct Case {
    std::vector<std::string> fields;
    bool trusted;
    ForwardedScheme scheme;
  } cases[] = {
      {{"X-Forwarded-Proto: https"}, true, ForwardedScheme::kHttps},
      {{"x-forwarded-proto: https"}, true, ForwardedScheme::kHttps},
      {{"X-Forwarded-Proto: HTTPS"}, true, ForwardedScheme::kHttp},  // values are case-sensitive
      {{"X-Forwarded-Ssl: on", "X-Forwarded-Protocol: ssl"}, true, ForwardedScheme::kHttps},
      {{"X-Forwarded-Proto: http", "X-Forwarded-Ssl: off"}, true, ForwardedScheme::kHttp},
      {{"X-Forwarded-Proto: https"}, false, ForwardedScheme::kUnknown},
      {{"X-Forwarded-Proto: https", "X-Forwarded-Ssl: off"}, false, ForwardedScheme::kUnknown},
      {{}, true, ForwardedScheme::kUnknown},
  };
  for (const Case& c : cases) {
    std::string bytes = "GET / HTTP/1.1\r\n";
    for (const std::string& f : c.fields) bytes += f + "\r\n";
    Outcome o = parse(bytes + "\r\n",
                      [&](ParserOptions&, PeerContext& p) { p.forwarder_trusted = c.trusted; });
    ASSERT_EQ(o.status, ParseResult::kComplete) << bytes;
    EXPECT_EQ(o.scheme, c.scheme) << bytes;
  }
  // A configured name with a lower-case letter never matches (as gunicorn).
  Outcome o = parse(head("GET / HTTP/1.1", {"X-Proto: yes"}), [](ParserOptions& o, PeerContext& p) {
    p.forwarder_trusted = true;
    o.secure_scheme_headers = {{"X-Proto", "yes"}};
  });
  EXPECT_EQ(o.scheme, ForwardedScheme::kUnknown);
}

// --- limits -------------------------------------------------------------------

TEST(Limits, Normalize) {
  struct Case {
    long long line, fields, size;
    size_t want_line, want_fields, want_size;
  } cases[] = {
      {4094, 100, 8190, 4094, 100, 8190}, {0, 0, 0, 0, 32768, 8190},
      {-1, -1, -1, 8190, 32768, 8190},    {8190, 32768, 100000, 8190, 32768, 100000},
      {8189, 32769, 1, 8189, 32768, 1},   {100000, 1, 10, 8190, 1, 10},
  };
  for (const Case& c : cases) {
    ParserOptions o;
    o.normalize_limits(c.line, c.fields, c.size);
    EXPECT_EQ(o.limit_request_line, c.want_line);
    EXPECT_EQ(o.limit_request_fields, c.want_fields);
    EXPECT_EQ(o.limit_request_field_size, c.want_size);
  }
}

TEST(Limits, RequestLine) {
  const std::string line20 = "GET /abcdefgh HTTP/1";  // 20 bytes
  const std::string ok = line20 + ".1";               // 22 bytes
  EXPECT_EQ(parse(head(ok), limits(22, 100, 8190)).status, ParseResult::kComplete);
  Outcome o = parse(head(ok), limits(21, 100, 8190));
  EXPECT_EQ(o.error, ErrorKind::kLimitRequestLine);
  EXPECT_EQ(o.detail, "Request Line is too large (23 > 21)");
  // 0 is unlimited.
  EXPECT_EQ(
      parse(head("GET /" + std::string(20000, 'a') + " HTTP/1.1"), limits(0, 100, 8190)).status,
      ParseResult::kComplete);
  // The default caps at 8190.
  EXPECT_EQ(
      parse(head("GET /" + std::string(8200, 'a') + " HTTP/1.1"), limits(9000, 100, 8190)).error,
      ErrorKind::kLimitRequestLine);
}

TEST(Limits, FieldCountAndSize) {
  run_error_cases({
      {"count", head("GET / HTTP/1.1", {"A: 1", "B: 2", "C: 3"}), ErrorKind::kLimitRequestHeaders,
       "limit request headers fields", limits(4094, 2, 8190)},
      {"size", head("GET / HTTP/1.1", {"Accept: */*"}), ErrorKind::kLimitRequestHeaders,
       "limit request headers fields size", limits(4094, 100, 12)},
      {"size counts folded lines", head("GET /test HTTP/1.1", {"Accept:", " */*"}),
       ErrorKind::kLimitRequestHeaders, "limit request headers fields size",
       [](ParserOptions& o, PeerContext&) {
         o.normalize_limits(4094, 100, 14);
         o.permit_obsolete_folding = true;
       }},
      {"a bad name seen before the size", head("GET / HTTP/1.1", {"Bad Name: xxxxxxxxxx"}),
       ErrorKind::kInvalidHeaderName, "Invalid HTTP header name: 'Bad Name'",
       limits(4094, 100, 12)},
      {"no colon in sight", head("GET / HTTP/1.1", {"Abcdefghijklmnop: x"}),
       ErrorKind::kLimitRequestHeaders, "limit request headers fields size", limits(4094, 100, 12)},
      {"default field size", head("GET / HTTP/1.1", {"X: " + std::string(8186, 'y')}),
       ErrorKind::kLimitRequestHeaders, "", limits(4094, 100, 0)},
      {"dropped fields fill the block", head("GET / HTTP/1.1", {"A_B: 1", "A_B: 2", "A_B: 3"}),
       ErrorKind::kLimitRequestHeaders, "max buffer headers", limits(4094, 1, 10)},
  });
  // A field of exactly the limit (name, colon, value, CRLF) passes.
  EXPECT_EQ(parse(head("GET / HTTP/1.1", {"Accept: */*"}), limits(4094, 100, 13)).status,
            ParseResult::kComplete);
  EXPECT_EQ(parse(head("GET / HTTP/1.1", {"A: 1", "B: 2"}), limits(4094, 2, 8190)).status,
            ParseResult::kComplete);
  EXPECT_EQ(
      parse(head("GET / HTTP/1.1", {"X: " + std::string(8185, 'y')}), limits(4094, 100, 0)).status,
      ParseResult::kComplete);
}

// A limit must be found while the bytes still trickle in, never only once
// the CRLF that would break it arrives.
TEST(Limits, FoundOnPartialInput) {
  ParserOptions o;
  Request r;
  std::string line = "GET /" + std::string(5000, 'a');
  ParseResult res = parse_request_head(o, {}, line.data(), line.size(), &r);
  EXPECT_EQ(res.status, ParseResult::kError);
  EXPECT_EQ(res.error, ErrorKind::kLimitRequestLine);

  std::string field = "GET / HTTP/1.1\r\nX: " + std::string(9000, 'a');
  r.reset();
  res = parse_request_head(o, {}, field.data(), field.size(), &r);
  EXPECT_EQ(res.error, ErrorKind::kLimitRequestHeaders);

  // Right at the limit it still waits.
  o.normalize_limits(4094, 100, 20);
  std::string at = "GET / HTTP/1.1\r\nX: " + std::string(15, 'a') + "\r";  // 19 bytes of field
  r.reset();
  EXPECT_EQ(parse_request_head(o, {}, at.data(), at.size(), &r).status, ParseResult::kIncomplete);
  at += "\n\r\n";
  EXPECT_EQ(parse_request_head(o, {}, at.data(), at.size(), &r).status, ParseResult::kComplete);

  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "A: b\r\n";
  r.reset();
  res = parse_request_head(ParserOptions(), {}, many.data(), many.size(), &r);
  EXPECT_EQ(res.error, ErrorKind::kLimitRequestHeaders);
  EXPECT_EQ(res.detail, "limit request headers fields");
}

// --- incremental use ------------------------------------------------------------

TEST(Incremental, ConsumedStopsAtTheBlankLine) {
  std::string bytes =
      head("POST /a HTTP/1.1", {"Content-Length: 5"}) + "helloGET /next HTTP/1.1\r\n";
  Outcome o = parse(bytes);
  ASSERT_EQ(o.status, ParseResult::kComplete);
  EXPECT_EQ(bytes.substr(o.consumed), "helloGET /next HTTP/1.1\r\n");
  // Nothing but a head: incomplete until the blank line.
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n").status, ParseResult::kIncomplete);
  EXPECT_EQ(parse("").status, ParseResult::kIncomplete);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r").status, ParseResult::kIncomplete);
}

TEST(Incremental, ResetKeepsCapacityAndReuseStartsAfresh) {
  ParserOptions o;
  Request r;
  std::string a = head("GET /a HTTP/1.1", {"A: 1", "B: 2", "C: 3"});
  ASSERT_EQ(parse_request_head(o, {}, a.data(), a.size(), &r).status, ParseResult::kComplete);
  size_t capacity = r.headers.capacity();
  EXPECT_GE(capacity, 3u);
  r.reset();
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(r.headers.capacity(), capacity);
  EXPECT_TRUE(r.method.empty());

  // A Request left mid-head, then given other bytes: not confused by the
  // progress of the abandoned parse.
  std::string partial = "GET /a HTTP/1.1\r\nLong-Name: abcdefgh";
  ASSERT_EQ(parse_request_head(o, {}, partial.data(), partial.size(), &r).status,
            ParseResult::kIncomplete);
  std::string other = head("PUT /b HTTP/1.0", {"X: y"});
  ParseResult res = parse_request_head(o, {}, other.data(), other.size(), &r);
  ASSERT_EQ(res.status, ParseResult::kComplete);
  EXPECT_EQ(r.method, "PUT");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].name, "X");
}

TEST(Incremental, TricklingHeadIsResumedNotRescanned) {
  // A large head fed in pieces completes with every field (the final pass
  // rebuilds what earlier calls only checked).
  std::string bytes = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 90; ++i)
    bytes += "X-" + std::to_string(i) + ": " + std::string(50, 'v') + "\r\n";
  bytes += "Host: h\r\n\r\n";
  ParserOptions o;
  Request r;
  std::string buffer;
  ParseResult res;
  for (size_t at = 0; at < bytes.size(); at += 7) {
    buffer = bytes.substr(0, at);
    res = parse_request_head(o, {}, buffer.data(), buffer.size(), &r);
    ASSERT_EQ(res.status, ParseResult::kIncomplete);
  }
  buffer = bytes;
  res = parse_request_head(o, {}, buffer.data(), buffer.size(), &r);
  ASSERT_EQ(res.status, ParseResult::kComplete);
  EXPECT_EQ(r.headers.size(), 91u);
  EXPECT_EQ(r.headers.back().value, "h");
  // A duplicate Host split across calls is still seen.
  std::string dup = head("GET / HTTP/1.1", {"Host: a", "X: " + std::string(100, 'x'), "Host: b"});
  EXPECT_EQ(parse(dup).error, ErrorKind::kInvalidHeader);
}

TEST(Settings, ProxyProtocolSpellings) {
  struct Case {
    const char* text;
    bool ok;
    ProxyProtocolMode mode;
  } cases[] = {
      {"off", true, ProxyProtocolMode::kOff},   {"false", true, ProxyProtocolMode::kOff},
      {"False", true, ProxyProtocolMode::kOff}, {"0", true, ProxyProtocolMode::kOff},
      {"none", true, ProxyProtocolMode::kOff},  {"true", true, ProxyProtocolMode::kAuto},
      {"True", true, ProxyProtocolMode::kAuto}, {"1", true, ProxyProtocolMode::kAuto},
      {"auto", true, ProxyProtocolMode::kAuto}, {" AUTO\n", true, ProxyProtocolMode::kAuto},
      {"v1", true, ProxyProtocolMode::kV1},     {"V2", true, ProxyProtocolMode::kV2},
      {"v3", false, ProxyProtocolMode::kOff},   {"", false, ProxyProtocolMode::kOff},
      {"yes", false, ProxyProtocolMode::kOff},
  };
  for (const Case& c : cases) {
    ProxyProtocolMode m = ProxyProtocolMode::kOff;
    EXPECT_EQ(parse_proxy_protocol_mode(c.text, &m), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(m, c.mode) << c.text;
    }
  }
}

TEST(Settings, HeaderMapSpellings) {
  HeaderMapPolicy p = HeaderMapPolicy::kDrop;
  EXPECT_TRUE(parse_header_map_policy("refuse", &p));
  EXPECT_EQ(p, HeaderMapPolicy::kRefuse);
  EXPECT_TRUE(parse_header_map_policy(" Dangerous ", &p));
  EXPECT_EQ(p, HeaderMapPolicy::kDangerous);
  EXPECT_TRUE(parse_header_map_policy("DROP", &p));
  EXPECT_EQ(p, HeaderMapPolicy::kDrop);
  EXPECT_FALSE(parse_header_map_policy("keep", &p));
  EXPECT_FALSE(parse_header_map_policy("", &p));
}

}  // namespace
}  // namespace qilin::http
