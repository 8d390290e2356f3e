#include "http/parse_error.h"

#include <array>

namespace qilin::http {
namespace {

constexpr std::string_view kBadRequest = "Bad Request";

// THE table: one row per ErrorKind, in declaration order. Statuses, reasons
// and page messages are those of gunicorn's handle_error(); gunicorn keeps
// the reason "Bad Request" for its 501.
constexpr std::array<ErrorInfo, 20> kTable{{
    {ErrorKind::kNone, 0, "", "", ""},
    {ErrorKind::kNoMoreData, 0, "", "NoMoreData", ""},
    {ErrorKind::kInvalidRequestLine, 400, kBadRequest, "InvalidRequestLine",
     "Invalid Request Line '%s'"},
    {ErrorKind::kInvalidRequestMethod, 400, kBadRequest, "InvalidRequestMethod",
     "Invalid Method '%s'"},
    {ErrorKind::kInvalidHTTPVersion, 400, kBadRequest, "InvalidHTTPVersion",
     "Invalid HTTP Version '%s'"},
    {ErrorKind::kInvalidHeader, 400, kBadRequest, "InvalidHeader", "%s"},
    {ErrorKind::kInvalidHeaderName, 400, kBadRequest, "InvalidHeaderName", "%s"},
    {ErrorKind::kObsoleteFolding, 400, kBadRequest, "ObsoleteFolding", "%s"},
    {ErrorKind::kUnsupportedTransferCoding, 501, kBadRequest, "UnsupportedTransferCoding", "%s"},
    {ErrorKind::kExpectationFailed, 417, "Expectation Failed", "ExpectationFailed", "%s"},
    {ErrorKind::kLimitRequestLine, 400, kBadRequest, "LimitRequestLine", "%s"},
    {ErrorKind::kLimitRequestHeaders, 431, "Request Header Fields Too Large", "LimitRequestHeaders",
     "Error parsing headers: '%s'"},
    {ErrorKind::kInvalidProxyLine, 400, kBadRequest, "InvalidProxyLine", "'%s'"},
    {ErrorKind::kInvalidProxyHeader, 400, kBadRequest, "InvalidProxyHeader", "%s"},
    {ErrorKind::kForbiddenProxyRequest, 403, "Forbidden", "ForbiddenProxyRequest",
     "Request forbidden"},
    {ErrorKind::kInvalidSchemeHeaders, 400, kBadRequest, "InvalidSchemeHeaders", "%s"},
    {ErrorKind::kInvalidChunkSize, 400, kBadRequest, "InvalidChunkSize", "%s"},
    {ErrorKind::kChunkMissingTerminator, 400, kBadRequest, "ChunkMissingTerminator", "%s"},
    {ErrorKind::kInvalidChunkExtension, 400, kBadRequest, "InvalidChunkExtension", "%s"},
    {ErrorKind::kRequestTimeout, 408, "Request Timeout", "RequestTimeout", "%s"},
}};

constexpr bool table_in_order() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].kind) != i) return false;
  }
  return static_cast<size_t>(ErrorKind::kRequestTimeout) + 1 == kTable.size();
}
static_assert(table_in_order(), "kTable must list every ErrorKind in declaration order");

// Python's html.escape(s, quote=True).
void append_html_escaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#x27;");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

const ErrorInfo& error_info(ErrorKind kind) {
  size_t i = static_cast<size_t>(kind);
  return kTable[i < kTable.size() ? i : 0];
}

std::string render_error_page(int status, std::string_view reason, std::string_view message) {
  std::string body = "<html>\n  <head>\n    <title>";
  body.append(reason);
  body.append("</title>\n  </head>\n  <body>\n    <h1><p>");
  body.append(reason);
  body.append("</p></h1>\n    ");
  append_html_escaped(&body, message);
  body.append("\n  </body>\n</html>\n");

  std::string response = "HTTP/1.1 " + std::to_string(status) + " ";
  response.append(reason);
  response.append("\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ");
  response.append(std::to_string(body.size()));
  response.append("\r\n\r\n");
  response.append(body);
  return response;
}

std::string render_error_response(ErrorKind kind, std::string_view detail) {
  const ErrorInfo& info = error_info(kind);
  if (info.status == 0) return {};
  std::string message(info.page_message);
  if (size_t at = message.find("%s"); at != std::string::npos) message.replace(at, 2, detail);
  return render_error_page(info.status, info.reason, message);
}

}  // namespace qilin::http
