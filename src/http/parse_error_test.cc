#include "http/parse_error.h"

#include <gtest/gtest.h>

#include <string>

#include "http/detail_text.h"

namespace qilin::http {
namespace {

struct KindCase {
  ErrorKind kind;
  int status;
  const char* reason;
  const char* class_name;
};

// gunicorn 26 handle_error(): status and reason per exception class.
const KindCase kKinds[] = {
    {ErrorKind::kNoMoreData, 0, "", "NoMoreData"},
    {ErrorKind::kInvalidRequestLine, 400, "Bad Request", "InvalidRequestLine"},
    {ErrorKind::kInvalidRequestMethod, 400, "Bad Request", "InvalidRequestMethod"},
    {ErrorKind::kInvalidHTTPVersion, 400, "Bad Request", "InvalidHTTPVersion"},
    {ErrorKind::kInvalidHeader, 400, "Bad Request", "InvalidHeader"},
    {ErrorKind::kInvalidHeaderName, 400, "Bad Request", "InvalidHeaderName"},
    {ErrorKind::kObsoleteFolding, 400, "Bad Request", "ObsoleteFolding"},
    {ErrorKind::kUnsupportedTransferCoding, 501, "Bad Request", "UnsupportedTransferCoding"},
    {ErrorKind::kExpectationFailed, 417, "Expectation Failed", "ExpectationFailed"},
    {ErrorKind::kLimitRequestLine, 400, "Bad Request", "LimitRequestLine"},
    {ErrorKind::kLimitRequestHeaders, 431, "Request Header Fields Too Large",
     "LimitRequestHeaders"},
    {ErrorKind::kInvalidProxyLine, 400, "Bad Request", "InvalidProxyLine"},
    {ErrorKind::kInvalidProxyHeader, 400, "Bad Request", "InvalidProxyHeader"},
    {ErrorKind::kForbiddenProxyRequest, 403, "Forbidden", "ForbiddenProxyRequest"},
    {ErrorKind::kInvalidSchemeHeaders, 400, "Bad Request", "InvalidSchemeHeaders"},
    {ErrorKind::kInvalidChunkSize, 400, "Bad Request", "InvalidChunkSize"},
    {ErrorKind::kChunkMissingTerminator, 400, "Bad Request", "ChunkMissingTerminator"},
    {ErrorKind::kInvalidChunkExtension, 400, "Bad Request", "InvalidChunkExtension"},
    {ErrorKind::kRequestTimeout, 408, "Request Timeout", "RequestTimeout"},
};

TEST(ErrorInfo, EveryKindHasItsRow) {
  for (const KindCase& c : kKinds) {
    const ErrorInfo& info = error_info(c.kind);
    SCOPED_TRACE(c.class_name);
    EXPECT_EQ(info.kind, c.kind);
    EXPECT_EQ(info.status, c.status);
    EXPECT_EQ(info.reason, c.reason);
    EXPECT_EQ(info.class_name, c.class_name);
  }
  EXPECT_EQ(error_info(ErrorKind::kNone).status, 0);
}

// The expected bytes are what gunicorn's util.write_error() produced for the
// same exceptions.
TEST(RenderErrorResponse, MatchesGunicornByteForByte) {
  EXPECT_EQ(
      render_error_response(ErrorKind::kInvalidHTTPVersion, "Invalid HTTP Version: 'FTP/1.1'"),
      "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\n"
      "Content-Length: 195\r\n\r\n<html>\n  <head>\n    <title>Bad Request</title>\n  "
      "</head>\n  <body>\n    <h1><p>Bad Request</p></h1>\n    Invalid HTTP Version "
      "&#x27;Invalid HTTP Version: &#x27;FTP/1.1&#x27;&#x27;\n  </body>\n</html>\n");
  EXPECT_EQ(render_error_response(ErrorKind::kLimitRequestHeaders, "limit request headers fields"),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: "
            "text/html\r\nContent-Length: 224\r\n\r\n<html>\n  <head>\n    <title>Request Header "
            "Fields Too Large</title>\n  </head>\n  <body>\n    <h1><p>Request Header Fields Too "
            "Large</p></h1>\n    Error parsing headers: &#x27;limit request headers "
            "fields&#x27;\n  </body>\n</html>\n");
  EXPECT_EQ(render_error_response(ErrorKind::kInvalidRequestLine,
                                  "Invalid HTTP request line: 'GET <x> \"y\" &'"),
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\n"
            "Content-Length: 226\r\n\r\n<html>\n  <head>\n    <title>Bad Request</title>\n  "
            "</head>\n  <body>\n    <h1><p>Bad Request</p></h1>\n    Invalid Request Line "
            "&#x27;Invalid HTTP request line: &#x27;GET &lt;x&gt; &quot;y&quot; "
            "&amp;&#x27;&#x27;\n  </body>\n</html>\n");
}

TEST(RenderErrorResponse, PageMessagePerKind) {
  struct Case {
    ErrorKind kind;
    const char* detail;
    const char* page_text;  // the line between the h1 and </body>
  } cases[] = {
      {ErrorKind::kInvalidRequestMethod, "Invalid HTTP method: 'get'",
       "Invalid Method &#x27;Invalid HTTP method: &#x27;get&#x27;&#x27;"},
      {ErrorKind::kInvalidHeader, "Invalid HTTP Header: 'HOST'",
       "Invalid HTTP Header: &#x27;HOST&#x27;"},
      {ErrorKind::kInvalidProxyLine, "Invalid PROXY line: 'PROXY X'",
       "&#x27;Invalid PROXY line: &#x27;PROXY X&#x27;&#x27;"},
      {ErrorKind::kForbiddenProxyRequest, "Proxy request not allowed", "Request forbidden"},
      {ErrorKind::kExpectationFailed, "Unable to comply with expectation: 'x'",
       "Unable to comply with expectation: &#x27;x&#x27;"},
      {ErrorKind::kUnsupportedTransferCoding, "Unsupported transfer coding: 'br'",
       "Unsupported transfer coding: &#x27;br&#x27;"},
  };
  for (const Case& c : cases) {
    std::string r = render_error_response(c.kind, c.detail);
    SCOPED_TRACE(c.detail);
    EXPECT_NE(r.find(std::string("</p></h1>\n    ") + c.page_text + "\n  </body>"),
              std::string::npos)
        << r;
    size_t body = r.find("\r\n\r\n") + 4;
    EXPECT_NE(r.find("Content-Length: " + std::to_string(r.size() - body) + "\r\n"),
              std::string::npos);
  }
  EXPECT_EQ(render_error_response(ErrorKind::kUnsupportedTransferCoding, "x").substr(0, 26),
            "HTTP/1.1 501 Bad Request\r\n");
}

TEST(RenderErrorResponse, NoResponseForNoMoreData) {
  EXPECT_EQ(render_error_response(ErrorKind::kNoMoreData, "x"), "");
  EXPECT_EQ(render_error_response(ErrorKind::kNone, ""), "");
}

TEST(DetailText, QuotesLikePythonRepr) {
  struct Case {
    std::string in, repr, bytes_repr;
  } cases[] = {
      {"abc", "'abc'", "b'abc'"},
      {"it's", "\"it's\"", "b\"it's\""},
      {"'\"", "'\\'\"'", "b'\\'\"'"},
      {std::string("a\0b", 3), "'a\\x00b'", "b'a\\x00b'"},
      {"\t\r\n\\", "'\\t\\r\\n\\\\'", "b'\\t\\r\\n\\\\'"},
      {"\x7f\xa0\xa1\xad\xdf", "'\\x7f\\xa0\xa1\\xad\xdf'", "b'\\x7f\\xa0\\xa1\\xad\\xdf'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(py_repr(c.in), c.repr);
    EXPECT_EQ(py_bytes_repr(c.in), c.bytes_repr);
  }
}

}  // namespace
}  // namespace qilin::http
