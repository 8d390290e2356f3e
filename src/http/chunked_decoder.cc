#include "http/chunked_decoder.h"

#include <algorithm>

#include "core/strings.h"
#include "http/detail_text.h"
#include "http/request_parser.h"

namespace qilin::http {
namespace {

constexpr size_t kNpos = std::string_view::npos;

std::string terminator_detail(std::string_view seen) {
  return "Invalid chunk terminator is not '\\r\\n': " + py_bytes_repr(seen);
}

}  // namespace

ChunkedDecoder::ChunkedDecoder(size_t field_size_limit)
    : field_size_limit_(field_size_limit ? field_size_limit : 8190) {
  trailer_limits_.max_field_size = field_size_limit_;
  trailer_limits_.max_block = max_block_size(trailer_limits_.max_fields, field_size_limit_);
  trailer_syntax_.trailer = true;
}

ChunkedDecoder::ChunkedDecoder(const ParserOptions& o)
    : ChunkedDecoder(o.limit_request_field_size) {
  trailer_limits_.max_fields = o.limit_request_fields ? o.limit_request_fields : 32768;
  trailer_limits_.max_block = max_block_size(trailer_limits_.max_fields, field_size_limit_);
  trailer_syntax_.permit_obsolete_folding = o.permit_obsolete_folding;
  trailer_syntax_.strip_header_spaces = o.strip_header_spaces;
  header_map_ = o.header_map;
}

void ChunkedDecoder::reset() {
  state_ = State::kSizeLine;
  remaining_ = 0;
  line_.clear();
  data_end_len_ = 0;
  trailer_.clear();
  trailer_scan_ = FieldBlockScan();
  seen_content_type_ = false;
  error_ = ErrorKind::kNone;
  detail_.clear();
  trailers_.clear();
}

bool ChunkedDecoder::done() const { return state_ == State::kDone; }

ChunkedDecoder::Step ChunkedDecoder::fail(ErrorKind kind, std::string detail, size_t consumed) {
  state_ = State::kError;
  error_ = kind;
  detail_ = std::move(detail);
  Step s;
  s.kind = Step::kError;
  s.error = kind;
  s.consumed = consumed;
  return s;
}

ErrorKind ChunkedDecoder::take_size_line(std::string_view line) {
  // gunicorn's order: extension first (no bare CR), then the size, which may
  // be followed by SP/HTAB only when an extension comes after.
  std::string_view size = line;
  size_t semi = line.find(';');
  if (semi != kNpos) {
    if (line.substr(semi + 1).find('\r') != kNpos) {
      detail_ = "Invalid chunk extension: bare CR not allowed";
      return ErrorKind::kInvalidChunkExtension;
    }
    size = line.substr(0, semi);
    while (!size.empty() && (size.back() == ' ' || size.back() == '\t')) size.remove_suffix(1);
  }
  uint64_t value = 0;
  bool ok = !size.empty();
  for (char c : size) {
    int h = hex_value(c);
    if (h < 0 || value > (UINT64_MAX >> 4)) {
      ok = false;
      break;
    }
    value = (value << 4) | uint64_t(h);
  }
  if (!ok) {
    detail_ = "Invalid chunk size: " + py_bytes_repr(size);
    return ErrorKind::kInvalidChunkSize;
  }
  remaining_ = value;
  state_ = value == 0 ? State::kTrailers : State::kData;
  return ErrorKind::kNone;
}

// Trailer fields: the head's rules, minus what only the head may do (no
// Expect, no scheme headers, no forwarder exceptions for header_map).
class ChunkedDecoder::TrailerSink : public FieldSink {
 public:
  explicit TrailerSink(ChunkedDecoder* d) : d_(d) {}

  ErrorKind on_field(const RawField& raw, bool* keep, std::string* detail) override {
    ParsedField field;
    ErrorKind e = parse_field(raw, d_->trailer_syntax_, &field, &d_->joined_, detail);
    if (e != ErrorKind::kNone) return e;
    if (equals_upper(field.name, "CONTENT-TYPE")) {
      if (d_->seen_content_type_) {
        *detail = "Invalid HTTP Header: 'CONTENT-TYPE'";
        return ErrorKind::kInvalidHeader;
      }
      d_->seen_content_type_ = true;
    }
    switch (field.underscore ? underscore_action(d_->header_map_, false)
                             : UnderscoreAction::kKeep) {
      case UnderscoreAction::kKeep:
        break;
      case UnderscoreAction::kDrop:
        *keep = false;
        return ErrorKind::kNone;
      case UnderscoreAction::kRefuse:
        *detail = "Invalid HTTP header name: " + py_repr(to_upper(field.name));
        return ErrorKind::kInvalidHeaderName;
    }
    d_->trailers_.emplace_back(std::string(field.name), std::string(field.value));
    return ErrorKind::kNone;
  }

 private:
  ChunkedDecoder* d_;
};

ChunkedDecoder::Step ChunkedDecoder::next(std::string_view input) {
  size_t pos = 0;  // input bytes used so far in this call
  while (true) {
    switch (state_) {
      case State::kError: {
        Step s;
        s.kind = Step::kError;
        s.error = error_;
        return s;
      }
      case State::kDone: {
        Step s;
        s.kind = Step::kDone;
        s.consumed = pos;
        return s;
      }
      case State::kSizeLine: {
        // The line, CRLF included, may not exceed field_size_limit_.
        const std::string_view rest = input.substr(pos);
        const size_t room = field_size_limit_ > line_.size() ? field_size_limit_ - line_.size() : 0;
        const size_t end = std::min(rest.size(), room);
        size_t cr;
        if (!line_.empty() && line_.back() == '\r' && !rest.empty() && rest[0] == '\n') {
          line_.pop_back();
          cr = kNpos - 1;  // the CRLF straddled two inputs
        } else {
          cr = find_crlf(rest.data(), 0, 0, end);
        }
        if (cr == kNpos) {
          if (rest.size() >= room) {
            std::string_view seen = line_.empty() ? rest.substr(0, end) : std::string_view(line_);
            bool ext = seen.find(';') != kNpos || rest.substr(0, end).find(';') != kNpos;
            return fail(ext ? ErrorKind::kInvalidChunkExtension : ErrorKind::kInvalidChunkSize,
                        ext ? "Invalid chunk extension: line too long"
                            : "Invalid chunk size: line too long",
                        pos);
          }
          line_.append(rest);
          Step s;
          s.consumed = input.size();
          return s;
        }
        ErrorKind e;
        if (cr == kNpos - 1) {
          pos += 1;
          e = take_size_line(line_);
        } else if (line_.empty()) {
          pos += cr + 2;
          e = take_size_line(rest.substr(0, cr));
        } else {
          line_.append(rest.substr(0, cr));
          pos += cr + 2;
          e = take_size_line(line_);
        }
        line_.clear();
        if (e != ErrorKind::kNone) return fail(e, detail_, pos);
        break;
      }
      case State::kData: {
        const size_t n = size_t(std::min<uint64_t>(remaining_, input.size() - pos));
        Step s;
        s.consumed = pos + n;
        if (n == 0) return s;  // kNeedMore
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataEnd;
        s.kind = Step::kData;
        s.data = input.substr(pos, n);
        return s;
      }
      case State::kDataEnd: {
        while (data_end_len_ < 2 && pos < input.size()) data_end_[data_end_len_++] = input[pos++];
        if (data_end_len_ < 2) {
          Step s;
          s.consumed = pos;
          return s;
        }
        if (data_end_[0] != '\r' || data_end_[1] != '\n') {
          return fail(ErrorKind::kChunkMissingTerminator,
                      terminator_detail(std::string_view(data_end_, 2)), pos);
        }
        data_end_len_ = 0;
        state_ = State::kSizeLine;
        break;
      }
      case State::kTrailers: {
        const std::string_view rest = input.substr(pos);
        if (trailer_.empty() && rest.size() >= 2 && rest[0] == '\r' && rest[1] == '\n') {
          state_ = State::kDone;  // the common case: no trailer fields
          pos += 2;
          break;
        }
        // Copy what may belong to the section (never more than its limit)
        // and scan; bytes past the blank line are given back.
        const size_t old_size = trailer_.size();
        const size_t room =
            trailer_limits_.max_block - std::min(trailer_limits_.max_block, old_size);
        trailer_.append(rest.substr(0, std::min(rest.size(), room)));
        size_t block_end = 0;
        ErrorKind e = ErrorKind::kNone;
        std::string detail;
        TrailerSink sink(this);
        switch (scan_field_block(trailer_.data(), trailer_.size(), 0, trailer_limits_,
                                 trailer_syntax_, &trailer_scan_, &sink, &block_end, &e, &detail)) {
          case ScanStatus::kError:
            return fail(e, std::move(detail), pos + (trailer_.size() - old_size));
          case ScanStatus::kNeedMore: {
            Step s;
            s.consumed = pos + (trailer_.size() - old_size);
            return s;
          }
          case ScanStatus::kDone:
            break;
        }
        pos += block_end - old_size;
        trailer_.clear();
        state_ = State::kDone;
        break;
      }
    }
  }
}

ChunkedDecoder::Step ChunkedDecoder::finish() {
  switch (state_) {
    case State::kDone: {
      Step s;
      s.kind = Step::kDone;
      return s;
    }
    case State::kError:
      return fail(error_, detail_, 0);
    case State::kSizeLine:
    case State::kData:
      return fail(ErrorKind::kNoMoreData, "No more data", 0);
    case State::kDataEnd:
      return fail(ErrorKind::kChunkMissingTerminator,
                  terminator_detail(std::string_view(data_end_, data_end_len_)), 0);
    case State::kTrailers:
      return fail(ErrorKind::kChunkMissingTerminator, terminator_detail(""), 0);
  }
  return fail(ErrorKind::kNoMoreData, "No more data", 0);
}

}  // namespace qilin::http
