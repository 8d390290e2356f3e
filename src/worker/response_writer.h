// Writes one HTTP/1.x response on a Connection with gunicorn's rules:
// status line and headers go out with the first body bytes in one write;
// hop-by-hop headers from the application are dropped; Date and Server are
// added; chunked framing is used for an HTTP/1.1 response without
// Content-Length (never for HEAD, 1xx, 204 or 304); HEAD, 1xx, 204 and 304
// carry no body; writes never exceed a declared Content-Length. A header
// name or value that could split the response (CR, LF, NUL, a non-token
// name) is refused. With set_defer(), what the socket does not take at once
// is left pending for the worker's loop instead of waited for. One per
// connection; not thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "worker/body_reader.h"
#include "worker/connection.h"

namespace qilin::worker {

// "Sun, 06 Nov 1994 08:49:37 GMT" for now; formatted at most once a second
// per thread.
std::string_view http_date_now();

class ResponseWriter {
 public:
  // `keep_alive`: whether the server is willing to keep this connection open
  // afterwards (false for the sync worker: every response says close).
  void reset(Connection* conn, bool head_request, int version_major, int version_minor,
             bool keep_alive);
  // Keep-alive conditions that can change while the application runs, read
  // when the head is built: the request body must be drainable within
  // `drain_limit` (so the connection can be reused), and `server_alive`
  // must still be true (a worker told to stop closes after this response).
  // Either may be null. Cleared by reset().
  void set_keep_alive_checks(const BodyReader* request_body, uint64_t drain_limit,
                             const std::atomic<bool>* server_alive);

  // Starts the response. `status` is the full status text ("200 OK").
  // Refuses a malformed status. May be called again before headers are sent
  // (start_response with exc_info), which discards the earlier headers.
  Status begin(std::string_view status);
  Status add_header(std::string_view name, std::string_view value);

  // Body bytes. The first call sends the head with them. `last` lets the
  // final write carry the chunked terminator in the same syscall.
  // `caller_keeps_bytes`: with deferral on (set_defer), what the socket
  // does not take may stay pending as a view of `body`, which the caller
  // keeps alive while holds_caller_bytes(); otherwise the write waits.
  Status write(std::string_view body, bool last = false, bool caller_keeps_bytes = false);
  // `count` bytes of `file_fd` from `offset`: sendfile(2) when `use_sendfile`
  // and the connection can (plain TCP, or TLS with kernel TLS), else
  // read-and-write in blocks.
  Status write_file(int file_fd, int64_t offset, uint64_t count, bool use_sendfile);
  // Ends the body (head if nothing was written, chunked terminator).
  Status finish();

  // For a worker whose loop sends while the socket is writable (plain TCP
  // only; under TLS this does nothing): with this on, the writer never waits
  // for the client. What a write() or finish() cannot send at once, and the
  // file range of a sendfile write_file() with its head, stay pending:
  // the next write waits for them first (wait mode), and once the
  // application is done the worker sends them with send_pending(). While
  // holds_caller_bytes(), the caller keeps the bytes of its last write()
  // alive; the file descriptor stays open until nothing is pending.
  // Cleared by reset().
  void set_defer(bool on) { defer_ = on; }
  bool has_pending() const { return !pending_.empty(); }
  bool holds_caller_bytes() const { return !pending_.body.empty(); }
  enum class Progress { kDone, kAgain, kFailed };
  // Sends what is pending without waiting: kDone once all of it went out,
  // kAgain when the socket is full (call again once it is writable),
  // kFailed with `*why` (the client went away, the file is shorter than
  // promised). After kFailed nothing is pending.
  Progress send_pending(std::string* why);
  // Gives up what is pending (the client stopped reading).
  void drop_pending() { pending_.clear(); }

  bool started() const { return started_; }
  bool headers_sent() const { return headers_sent_; }
  int status_code() const { return status_code_; }
  bool chunked() const { return chunked_; }
  bool must_close() const { return must_close_; }
  // Bytes of body sent (not counting chunk framing).
  uint64_t body_bytes_sent() const { return body_sent_; }
  // Declared Content-Length, or -1.
  int64_t content_length() const { return content_length_; }
  std::string_view status() const { return status_; }
  // The application's headers as sent: "Name: value\r\n" lines.
  std::string_view header_block() const { return header_block_; }

 private:
  bool body_allowed() const;
  void build_head();
  // `may_defer`: `body` may stay pending as a view (the caller's bytes).
  Status send(std::string_view body, bool last, bool may_defer);
  // Waits (wait mode) until what is pending went out.
  Status flush_pending();
  // Body bytes sent or pending: what counts against Content-Length.
  uint64_t committed_body() const { return body_sent_ + pending_.body.size() + pending_.file_left; }

  Connection* conn_ = nullptr;
  bool head_request_ = false;
  int version_major_ = 1, version_minor_ = 1;
  bool keep_alive_ = false;
  const BodyReader* request_body_ = nullptr;
  uint64_t drain_limit_ = 0;
  const std::atomic<bool>* server_alive_ = nullptr;

  bool started_ = false;
  bool headers_sent_ = false;
  bool chunked_ = false;
  bool must_close_ = false;
  bool finished_ = false;
  int status_code_ = 0;
  std::string status_;
  std::string header_block_;  // application headers, serialized; capacity reused
  int64_t content_length_ = -1;
  uint64_t body_sent_ = 0;
  std::string head_;  // serialized head, reused across responses

  bool defer_ = false;
  // What waits for the socket, in this order.
  struct Pending {
    std::string before;      // owned: head, chunk-size line
    size_t before_sent = 0;
    std::string_view body;   // the caller's bytes not yet sent
    int file_fd = -1;        // a file range (never with `body`)
    off_t file_offset = 0;
    uint64_t file_left = 0;
    std::string after;       // owned: chunk end, terminator
    size_t after_sent = 0;
    bool empty() const {
      return before_sent == before.size() && body.empty() && file_left == 0 &&
             after_sent == after.size();
    }
    void clear() {
      before.clear();
      before_sent = 0;
      body = {};
      file_fd = -1;
      file_offset = 0;
      file_left = 0;
      after.clear();
      after_sent = 0;
    }
  } pending_;
};

}  // namespace qilin::worker
