#include "worker/response_writer.h"

#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/strings.h"
#include "http/header_rules.h"

namespace qilin::worker {

namespace {

const char kServerHeader[] = "Server: qilin\r\n";

// The response fields qilin handles itself rather than passing on: framing
// and the hop-by-hop fields (RFC 9110 7.6.1), which the server owns. Names
// of other lengths are neither, and skip the comparisons.
enum class FieldRole { kOther, kContentLength, kHopByHop };

FieldRole field_role(std::string_view name) {
  switch (name.size()) {
    case 2: case 7: case 8: case 10: case 14: case 17: case 18: case 19: break;
    default: return FieldRole::kOther;
  }
  char buf[19];
  for (size_t i = 0; i < name.size(); ++i) buf[i] = ascii_lower(name[i]);
  const std::string_view lname(buf, name.size());
  if (lname == "content-length") return FieldRole::kContentLength;
  if (lname == "connection" || lname == "keep-alive" || lname == "proxy-authenticate" ||
      lname == "proxy-authorization" || lname == "te" || lname == "trailers" ||
      lname == "transfer-encoding" || lname == "upgrade") {
    return FieldRole::kHopByHop;
  }
  return FieldRole::kOther;
}

void append_hex(std::string& out, uint64_t n) {
  char buf[20];
  int i = 20;
  do {
    buf[--i] = "0123456789ABCDEF"[n & 15];
    n >>= 4;
  } while (n);
  out.append(buf + i, size_t(20 - i));
}

}  // namespace

std::string_view http_date_now() {
  thread_local time_t cached_second = 0;
  thread_local char cached[40];
  thread_local size_t cached_len = 0;
  time_t now = time(nullptr);
  if (now != cached_second) {
    struct tm tm;
    gmtime_r(&now, &tm);
    cached_len = strftime(cached, sizeof(cached), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return std::string_view(cached, cached_len);
}

void ResponseWriter::reset(Connection* conn, bool head_request, int version_major,
                           int version_minor, bool keep_alive) {
  conn_ = conn;
  head_request_ = head_request;
  version_major_ = version_major;
  version_minor_ = version_minor;
  keep_alive_ = keep_alive;
  request_body_ = nullptr;
  server_alive_ = nullptr;
  started_ = headers_sent_ = chunked_ = must_close_ = finished_ = false;
  status_code_ = 0;
  status_.clear();
  header_block_.clear();
  content_length_ = -1;
  body_sent_ = 0;
  defer_ = false;
  pending_.clear();
}

void ResponseWriter::set_keep_alive_checks(const BodyReader* request_body, uint64_t drain_limit,
                                           const std::atomic<bool>* server_alive) {
  request_body_ = request_body;
  drain_limit_ = drain_limit;
  server_alive_ = server_alive;
}

Status ResponseWriter::begin(std::string_view status) {
  if (headers_sent_) return Status::error("response headers already sent");
  // "NNN reason": three digits, then a space or the end.
  if (status.size() < 3 || !std::isdigit(uint8_t(status[0])) || !std::isdigit(uint8_t(status[1])) ||
      !std::isdigit(uint8_t(status[2])) || (status.size() > 3 && status[3] != ' ') ||
      http::has_invalid_value_byte(status)) {
    return Status::error("Invalid status line: '" + std::string(status) + "'");
  }
  started_ = true;
  status_.assign(status);
  status_code_ = (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0');
  header_block_.clear();
  content_length_ = -1;
  must_close_ = false;
  return Status::ok();
}

Status ResponseWriter::add_header(std::string_view name, std::string_view value) {
  if (!http::is_token(name)) return Status::error("Invalid HTTP header name: '" + std::string(name) + "'");
  if (http::has_invalid_value_byte(value)) {
    return Status::error("Invalid HTTP header value for '" + std::string(name) + "'");
  }
  if (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.back() == ' ' ||
                         value.back() == '\t')) {
    value = trim(value);
  }
  switch (field_role(name)) {
    case FieldRole::kOther: break;
    case FieldRole::kContentLength: {
      auto n = parse_int(value);
      if (!n || *n < 0) return Status::error("Invalid Content-Length: '" + std::string(value) + "'");
      content_length_ = *n;
      break;
    }
    case FieldRole::kHopByHop:
      if (iequals(name, "connection") && iequals(value, "close")) must_close_ = true;
      if (!(iequals(name, "upgrade") && iequals(value, "websocket"))) return Status::ok();
      break;
  }
  // "name: value\r\n", grown once.
  const size_t at = header_block_.size();
  header_block_.resize(at + name.size() + value.size() + 4);
  char* p = header_block_.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
  return Status::ok();
}

bool ResponseWriter::body_allowed() const {
  if (head_request_) return false;
  return !(status_code_ < 200 || status_code_ == 204 || status_code_ == 304);
}

void ResponseWriter::build_head() {
  chunked_ = content_length_ < 0 && body_allowed() &&
             (version_major_ > 1 || (version_major_ == 1 && version_minor_ >= 1));
  // An HTTP/1.0 body without a length ends when the connection does.
  if (content_length_ < 0 && body_allowed() && !chunked_) must_close_ = true;
  head_.clear();
  head_.append("HTTP/");
  head_.push_back(char('0' + version_major_ % 10));
  head_.push_back('.');
  head_.push_back(char('0' + version_minor_ % 10));
  head_.push_back(' ');
  head_.append(status_);
  head_.append("\r\n");
  head_.append(kServerHeader);
  head_.append("Date: ");
  head_.append(http_date_now());
  head_.append("\r\n");
  if (keep_alive_ && ((request_body_ && !request_body_->can_drain_within(drain_limit_)) ||
                      (server_alive_ && !server_alive_->load(std::memory_order_relaxed)))) {
    must_close_ = true;
  }
  bool close = !keep_alive_ || must_close_;
  head_.append(close ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
  if (chunked_) head_.append("Transfer-Encoding: chunked\r\n");
  head_.append(header_block_);
  head_.append("\r\n");
}

Status ResponseWriter::send(std::string_view body, bool last, bool may_defer) {
  if (!pending_.empty()) {
    if (Status s = flush_pending(); !s) return s;
  }
  iovec iov[5];
  int n = 0;
  int body_at = -1;  // iov's index of `body`
  if (!headers_sent_) {
    build_head();
    iov[n++] = {head_.data(), head_.size()};
  }
  if (!body_allowed()) body = {};
  if (content_length_ >= 0) {
    uint64_t room = uint64_t(content_length_) - std::min<uint64_t>(committed_body(), content_length_);
    if (body.size() > room) body = body.substr(0, room);
  }
  char size_line[24];
  static const char kCrlf[] = "\r\n";
  static const char kLastChunk[] = "0\r\n\r\n";
  if (chunked_ && !body.empty()) {
    std::string hex;
    append_hex(hex, body.size());
    std::memcpy(size_line, hex.data(), hex.size());
    size_line[hex.size()] = '\r';
    size_line[hex.size() + 1] = '\n';
    iov[n++] = {size_line, hex.size() + 2};
    body_at = n;
    iov[n++] = {const_cast<char*>(body.data()), body.size()};
    iov[n++] = {const_cast<char*>(kCrlf), 2};
  } else if (!body.empty()) {
    body_at = n;
    iov[n++] = {const_cast<char*>(body.data()), body.size()};
  }
  if (last && chunked_) {
    iov[n++] = {const_cast<char*>(kLastChunk), 5};
    finished_ = true;
  }
  if (n == 0) return Status::ok();
  // The last bytes of a response with a pipelined request already behind
  // it go out with the next response (Connection::write_all's `more`).
  const bool more = last && keep_alive_ && !must_close_ && request_body_ &&
                    request_body_->wire_complete() && conn_->pos() < conn_->end();
  if (defer_ && may_defer && !conn_->tls()) {
    // One try; what the socket does not take stays pending: `body` as a
    // view (the caller keeps it alive), the framing copied.
    headers_sent_ = true;
    ssize_t sent = conn_->send_some(iov, n, more);
    if (sent < 0 && errno != EAGAIN) return Status::error(std::strerror(errno));
    size_t left_over = sent < 0 ? 0 : size_t(sent);
    for (int i = 0; i < n; ++i) {
      const size_t len = iov[i].iov_len;
      const size_t took = std::min(left_over, len);
      left_over -= took;
      if (i == body_at) {
        body_sent_ += took;
        pending_.body = body.substr(took);
      } else if (took < len) {
        std::string& into = body_at >= 0 && i > body_at ? pending_.after : pending_.before;
        into.append(static_cast<const char*>(iov[i].iov_base) + took, len - took);
      }
    }
    return Status::ok();
  }
  Status s = conn_->write_all(iov, n, more);
  headers_sent_ = true;
  if (s) body_sent_ += body.size();
  return s;
}

Status ResponseWriter::write(std::string_view body, bool last, bool caller_keeps_bytes) {
  if (!started_) return Status::error("write() before start_response()");
  if (finished_) return Status::ok();
  if (body.empty() && !last) return Status::ok();  // the head goes out with real bytes or at finish
  Status s = send(body, last, caller_keeps_bytes);
  if (last) finished_ = true;
  return s;
}

Status ResponseWriter::write_file(int file_fd, int64_t offset, uint64_t count, bool use_sendfile) {
  if (!started_) return Status::error("write() before start_response()");
  if (!pending_.empty()) {
    if (Status s = flush_pending(); !s) return s;
  }
  if (content_length_ >= 0) {
    uint64_t room = uint64_t(content_length_) - std::min<uint64_t>(body_sent_, content_length_);
    count = std::min(count, room);
  }
  if (!body_allowed()) count = 0;
  // Under TLS, sendfile(2) needs the kernel to encrypt (kernel TLS).
  if (use_sendfile && conn_->can_send_file()) {
    // Head and chunk-size line in one write, the file with sendfile(2), then
    // the chunk's CRLF; the terminator comes with finish().
    if (!headers_sent_) build_head();
    if (count == 0 && headers_sent_) return Status::ok();
    std::string prefix = headers_sent_ ? std::string() : head_;
    if (chunked_ && count > 0) {
      append_hex(prefix, count);
      prefix.append("\r\n");
    }
    headers_sent_ = true;
    if (defer_ && !conn_->tls() && count > 0) {  // all of it for the loop
      pending_.before = std::move(prefix);
      pending_.file_fd = file_fd;
      pending_.file_offset = off_t(offset);
      pending_.file_left = count;
      if (chunked_) pending_.after.assign("\r\n");
      return Status::ok();
    }
    if (!prefix.empty()) {
      // Queued (MSG_MORE) to leave in one segment with the file's first bytes.
      iovec iov{prefix.data(), prefix.size()};
      Status s = conn_->write_all(&iov, 1, /*more=*/count > 0);
      if (!s) return s;
    }
    if (count == 0) return Status::ok();
    Status s = conn_->send_file(file_fd, off_t(offset), count);
    if (s && chunked_) s = conn_->write_all("\r\n");
    if (s) body_sent_ += count;
    return s;
  }
  char block[64 * 1024];
  while (count > 0) {
    ssize_t n = ::pread(file_fd, block, std::min<uint64_t>(count, sizeof(block)), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(std::string("read error: ") + std::strerror(errno));
    if (n == 0) break;
    Status s = send(std::string_view(block, size_t(n)), false, /*may_defer=*/false);
    if (!s) return s;
    offset += n;
    count -= uint64_t(n);
  }
  return Status::ok();
}

Status ResponseWriter::finish() {
  if (!started_) return Status::error("the application did not call start_response()");
  // A body shorter than its Content-Length leaves the client's framing
  // broken: the connection cannot carry another response.
  if (content_length_ >= 0 && body_allowed() && committed_body() < uint64_t(content_length_)) {
    must_close_ = true;
  }
  if (finished_) return Status::ok();
  finished_ = true;
  if (!pending_.empty()) {  // the terminator follows what is pending
    if (chunked_) pending_.after.append("0\r\n\r\n");
    return Status::ok();
  }
  if (!headers_sent_ || chunked_) return send({}, true, /*may_defer=*/true);
  return Status::ok();
}

Status ResponseWriter::flush_pending() {
  Pending& p = pending_;
  iovec iov[2];
  int n = 0;
  if (p.before_sent < p.before.size()) {
    iov[n++] = {p.before.data() + p.before_sent, p.before.size() - p.before_sent};
  }
  if (!p.body.empty()) iov[n++] = {const_cast<char*>(p.body.data()), p.body.size()};
  Status s = n > 0 ? conn_->write_all(iov, n) : Status::ok();
  if (s) body_sent_ += p.body.size();
  if (s && p.file_left > 0) {
    s = conn_->send_file(p.file_fd, p.file_offset, size_t(p.file_left));
    if (s) body_sent_ += p.file_left;
  }
  if (s && p.after_sent < p.after.size()) {
    s = conn_->write_all(std::string_view(p.after).substr(p.after_sent));
  }
  p.clear();
  return s;
}

ResponseWriter::Progress ResponseWriter::send_pending(std::string* why) {
  Pending& p = pending_;
  auto failed = [&](std::string reason) {
    *why = std::move(reason);
    p.clear();
    return Progress::kFailed;
  };
  while (!p.empty()) {
    const size_t before_left = p.before.size() - p.before_sent;
    ssize_t sent;
    if (p.file_left > 0 && before_left == 0) {
      // One call moves at most what the socket's buffer takes (a few MiB).
      sent = conn_->send_file_some(p.file_fd, &p.file_offset,
                                   size_t(std::min<uint64_t>(p.file_left, 1 << 30)));
      if (sent == 0) return failed("file shorter than the response length");
      if (sent > 0) {
        p.file_left -= uint64_t(sent);
        body_sent_ += uint64_t(sent);
      }
    } else {
      // The head, the caller's bytes, and what follows them unless a file
      // does: a head before a file waits (MSG_MORE) for its first bytes.
      iovec iov[3];
      int n = 0;
      if (before_left > 0) iov[n++] = {p.before.data() + p.before_sent, before_left};
      if (!p.body.empty()) iov[n++] = {const_cast<char*>(p.body.data()), p.body.size()};
      if (p.file_left == 0) iov[n++] = {p.after.data() + p.after_sent, p.after.size() - p.after_sent};
      sent = conn_->send_some(iov, n, /*more=*/p.file_left > 0);
      if (sent > 0) {
        size_t k = std::min(size_t(sent), before_left);
        p.before_sent += k;
        size_t rest = size_t(sent) - k;
        k = std::min(rest, p.body.size());
        p.body.remove_prefix(k);
        body_sent_ += k;
        p.after_sent += rest - k;
      }
    }
    if (sent < 0) {
      if (errno == EAGAIN) return Progress::kAgain;
      return failed(std::strerror(errno));
    }
  }
  p.clear();
  return Progress::kDone;
}

}  // namespace qilin::worker
