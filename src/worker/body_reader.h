// Streams one request body out of a Connection: Content-Length or chunked,
// never more than the framing allows, never buffering a whole large body.
// Reads block on the socket; callers that hold a lock (the GIL) release it
// around peek()/prefetch(). One per connection; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/chunked_decoder.h"
#include "http/request.h"
#include "http/request_parser.h"
#include "worker/connection.h"

namespace qilin::worker {

class BodyReader {
 public:
  // Starts on the body of `request`, whose first bytes are at conn.pos().
  // `options` gives the chunked trailers their limits and rules.
  void start(Connection* conn, const http::Request& request, const http::ParserOptions& options);

  // The next body bytes available, reading from the socket when none are
  // buffered. An empty view means the body is complete (a Content-Length
  // body cut short by the client ends early, like a file at EOF; saw_eof()
  // tells). An error means a read failed or the chunked framing broke;
  // `framing_error()` says which. The view stays valid until consume() or the next peek().
  Result<std::string_view> peek();
  void consume(size_t n);

  // Reads ahead up to `limit` bytes of a chunked body (so framing errors are
  // found before the application runs). No-op for Content-Length bodies.
  Status prefetch(size_t limit);

  // The event loop's form of prefetch(): decodes a chunked body from what
  // the connection has buffered, never reading the socket. kNeedInput asks
  // for more bytes in the buffer before calling again.
  enum class Prefetch { kReady, kNeedInput, kError };
  Prefetch prefetch_buffered(size_t limit);
  // Bytes of body waiting in the connection buffer (Content-Length bodies).
  uint64_t remaining() const { return remaining_; }

  bool complete() const;
  // Whether what is left of the body on the wire fits in `limit` bytes, so
  // it can be read and discarded to keep the connection (false for a
  // chunked body whose end has not been seen).
  bool can_drain_within(uint64_t limit) const;
  // True when the framing has been read to its end (nothing left on the wire
  // for this request), whether or not the caller consumed every byte.
  bool wire_complete() const;
  // True when the rest of the body is in the connection's buffer, so that
  // reading it takes no read from the socket.
  bool buffered_to_end() const;
  http::ErrorKind framing_error() const { return framing_error_; }
  uint64_t bytes_read() const { return bytes_read_; }
  // The client closed its side while the body was being read.
  bool saw_eof() const { return eof_; }

 private:
  Result<std::string_view> peek_length();
  Result<std::string_view> peek_chunked();
  Status fill();  // reads more into the connection buffer

  Connection* conn_ = nullptr;
  http::BodyFraming framing_ = http::BodyFraming::kNone;
  uint64_t remaining_ = 0;            // Content-Length bytes not yet taken from the buffer
  std::optional<http::ChunkedDecoder> decoder_;
  bool chunked_done_ = false;
  std::string_view current_;          // decoded bytes handed out by peek, not yet consumed
  std::string prefetched_;            // decoded chunked bytes read ahead
  size_t prefetched_pos_ = 0;
  http::ErrorKind framing_error_ = http::ErrorKind::kNone;
  uint64_t bytes_read_ = 0;
  bool eof_ = false;
};

}  // namespace qilin::worker
