#include "worker/body_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace qilin::worker {

void BodyReader::start(Connection* conn, const http::Request& request,
                       const http::ParserOptions& options) {
  conn_ = conn;
  framing_ = request.framing;
  remaining_ = framing_ == http::BodyFraming::kContentLength ? request.content_length : 0;
  decoder_.reset();
  if (framing_ == http::BodyFraming::kChunked) decoder_.emplace(options);
  chunked_done_ = false;
  current_ = {};
  prefetched_.clear();
  prefetched_pos_ = 0;
  framing_error_ = http::ErrorKind::kNone;
  bytes_read_ = 0;
  eof_ = false;
}

bool BodyReader::wire_complete() const {
  switch (framing_) {
    case http::BodyFraming::kNone: return true;
    case http::BodyFraming::kContentLength: return remaining_ == 0;
    case http::BodyFraming::kChunked: return chunked_done_;
  }
  return true;
}

bool BodyReader::buffered_to_end() const {
  if (framing_ == http::BodyFraming::kContentLength) return conn_->end() - conn_->pos() >= remaining_;
  return wire_complete();
}

bool BodyReader::can_drain_within(uint64_t limit) const {
  if (wire_complete()) return true;
  return framing_ == http::BodyFraming::kContentLength && remaining_ <= limit;
}

bool BodyReader::complete() const {
  return wire_complete() && current_.empty() && prefetched_pos_ == prefetched_.size();
}

Status BodyReader::fill() {
  if (conn_->pos() == conn_->end()) conn_->rewind_body_window();
  size_t max = 0;
  if (framing_ == http::BodyFraming::kContentLength) {
    max = size_t(std::min<uint64_t>(remaining_, conn_->capacity()));
  }
  ssize_t n = conn_->read_more(max);
  if (n > 0) return Status::ok();
  if (n == 0) {
    eof_ = true;
    if (decoder_) {
      auto step = decoder_->finish();
      if (step.kind == http::ChunkedDecoder::Step::kError) {
        framing_error_ = step.error;
        return Status::error(decoder_->error_detail().empty() ? "client disconnected"
                                                               : decoder_->error_detail());
      }
    }
    return Status::error("client disconnected before the end of the request body");
  }
  return Status::error(std::string("error reading request body: ") + std::strerror(errno));
}

Result<std::string_view> BodyReader::peek() {
  if (prefetched_pos_ < prefetched_.size()) {
    return std::string_view(prefetched_).substr(prefetched_pos_);
  }
  if (framing_ == http::BodyFraming::kContentLength) return peek_length();
  if (framing_ == http::BodyFraming::kChunked) return peek_chunked();
  return std::string_view();
}

Result<std::string_view> BodyReader::peek_length() {
  if (!current_.empty()) return current_;
  if (remaining_ == 0) return std::string_view();
  if (conn_->pos() == conn_->end()) {
    Status s = fill();
    if (!s) {
      if (!eof_) return s;
      // The client closed before Content-Length bytes arrived: the body ends
      // here, as a file's does at EOF (gunicorn returns the short body too).
      remaining_ = 0;
      return std::string_view();
    }
  }
  size_t avail = std::min<uint64_t>(conn_->end() - conn_->pos(), remaining_);
  current_ = std::string_view(conn_->data() + conn_->pos(), avail);
  conn_->set_pos(conn_->pos() + avail);
  remaining_ -= avail;
  return current_;
}

Result<std::string_view> BodyReader::peek_chunked() {
  while (current_.empty() && !chunked_done_) {
    if (conn_->pos() == conn_->end()) {
      Status s = fill();
      if (!s) return s;
    }
    std::string_view input(conn_->data() + conn_->pos(), conn_->end() - conn_->pos());
    auto step = decoder_->next(input);
    conn_->set_pos(conn_->pos() + step.consumed);
    switch (step.kind) {
      case http::ChunkedDecoder::Step::kData: current_ = step.data; break;
      case http::ChunkedDecoder::Step::kNeedMore: break;
      case http::ChunkedDecoder::Step::kDone: chunked_done_ = true; break;
      case http::ChunkedDecoder::Step::kError:
        framing_error_ = step.error;
        return Result<std::string_view>::error(decoder_->error_detail());
    }
  }
  return current_;
}

void BodyReader::consume(size_t n) {
  bytes_read_ += n;
  if (prefetched_pos_ < prefetched_.size()) {
    prefetched_pos_ += n;
    if (prefetched_pos_ >= prefetched_.size()) {
      prefetched_.clear();
      prefetched_pos_ = 0;
    }
    return;
  }
  current_.remove_prefix(std::min(n, current_.size()));
}

Status BodyReader::prefetch(size_t limit) {
  if (framing_ != http::BodyFraming::kChunked) return Status::ok();
  while (!chunked_done_ && prefetched_.size() < limit) {
    auto view = peek_chunked();
    if (!view) return view.status();
    prefetched_.append(view->data(), view->size());
    current_ = {};
  }
  return Status::ok();
}

}  // namespace qilin::worker

namespace qilin::worker {

BodyReader::Prefetch BodyReader::prefetch_buffered(size_t limit) {
  if (framing_ != http::BodyFraming::kChunked) return Prefetch::kReady;
  while (!chunked_done_ && prefetched_.size() < limit) {
    if (conn_->pos() == conn_->end()) {
      conn_->rewind_body_window();  // everything before was decoded and copied
      return Prefetch::kNeedInput;
    }
    std::string_view input(conn_->data() + conn_->pos(), conn_->end() - conn_->pos());
    auto step = decoder_->next(input);
    conn_->set_pos(conn_->pos() + step.consumed);
    switch (step.kind) {
      case http::ChunkedDecoder::Step::kData: prefetched_.append(step.data); break;
      case http::ChunkedDecoder::Step::kNeedMore: break;
      case http::ChunkedDecoder::Step::kDone: chunked_done_ = true; break;
      case http::ChunkedDecoder::Step::kError: framing_error_ = step.error; return Prefetch::kError;
    }
  }
  return Prefetch::kReady;
}

}  // namespace qilin::worker
