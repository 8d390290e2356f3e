// The kinds of request errors, and THE table that maps each kind to the
// status, reason phrase and gunicorn class name a client and a log see.
// One table, no chain of type checks. Pure data; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace qilin::http {

enum class ErrorKind {
  kNone,
  kNoMoreData,                 // client closed before a full request: no response
  kInvalidRequestLine,         // 400
  kInvalidRequestMethod,       // 400
  kInvalidHTTPVersion,         // 400
  kInvalidHeader,              // 400
  kInvalidHeaderName,          // 400
  kObsoleteFolding,            // 400
  kUnsupportedTransferCoding,  // 501 (reason "Bad Request", as gunicorn sends it)
  kExpectationFailed,          // 417
  kLimitRequestLine,           // 400 (gunicorn's WSGI answer)
  kLimitRequestHeaders,        // 431
  kInvalidProxyLine,           // 400
  kInvalidProxyHeader,         // 400 (gunicorn answers 500 by accident; the RFC answer is 400)
  kForbiddenProxyRequest,      // 403
  kInvalidSchemeHeaders,       // 400
  kInvalidChunkSize,           // 400
  kChunkMissingTerminator,     // 400
  kInvalidChunkExtension,      // 400
  kRequestTimeout,             // 408: the request head did not arrive in time
};

struct ErrorInfo {
  ErrorKind kind;
  int status;                   // 0 for kinds that get no response (kNoMoreData)
  std::string_view reason;      // "Bad Request"
  std::string_view class_name;  // gunicorn's exception class, for logs: "InvalidHeader"
  // The message on the error page, as handle_error builds it from the
  // exception text: "%s" stands for the detail ("Invalid Method '%s'").
  std::string_view page_message;
};

// The entry for `kind`; every kind has one.
const ErrorInfo& error_info(ErrorKind kind);

// The whole response for an error, as gunicorn's handle_error writes it:
// "HTTP/1.1 <status> <reason>", Connection: close, Content-Type text/html,
// Content-Length, and an HTML body whose title and heading are the reason
// and whose text is page_message with `detail` (gunicorn's exception text,
// as ParseResult::detail holds it) put in, HTML-escaped. Empty for a kind
// with status 0.
std::string render_error_response(ErrorKind kind, std::string_view detail);

// The same page for any status: what a 500 from a failing application looks
// like. `message` is plain text; it is HTML-escaped here.
std::string render_error_page(int status, std::string_view reason, std::string_view message);

}  // namespace qilin::http
