// Incremental decoder for a chunked request body (RFC 9112 7.1), with
// gunicorn 26's strictness: strict hex sizes (BWS only before ';'), no bare CR
// in extensions, CRLF required after data, trailers parsed with the header
// rules and forbidden names refused, a truncated last chunk or trailer
// section is an error. One decoder per request body (reset() reuses it);
// not thread-safe.
//
// Bounds gunicorn does not have: a chunk-size line (extensions included,
// CRLF included) may not exceed the field size limit, and a size must fit in
// 64 bits; the trailer section follows the head's limits (header_rules.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/header_rules.h"
#include "http/parse_error.h"

namespace qilin::http {

struct ParserOptions;

class ChunkedDecoder {
 public:
  struct Step {
    enum Kind {
      kData,      // `data` is body bytes (a view into the input); `consumed` input bytes used
      kNeedMore,  // all `consumed` bytes absorbed into state; give more input
      kDone,      // last chunk and trailers complete; `consumed` bytes used
      kError,     // framing error; `error` says which, error_detail() the text
    } kind = kNeedMore;
    size_t consumed = 0;
    std::string_view data;
    ErrorKind error = ErrorKind::kNone;
  };

  // `field_size_limit` bounds one chunk-size line and one trailer line. The
  // trailer section then uses gunicorn's other defaults (100 fields, no
  // obs-fold, no header-space stripping, header_map drop).
  explicit ChunkedDecoder(size_t field_size_limit = 8190);
  // Takes the limits and the trailer rules from the parser's options.
  explicit ChunkedDecoder(const ParserOptions& options);

  // Decodes from the front of `input`. Call repeatedly, advancing the input
  // by `consumed`, until kDone or kError. After kDone, bytes past `consumed`
  // belong to the next request. After kError every call returns the error.
  Step next(std::string_view input);

  // The input has ended (the client closed). kDone if the body was complete;
  // otherwise kError with what gunicorn reports for that truncation:
  // kNoMoreData inside a size line or chunk data, kChunkMissingTerminator
  // after chunk data or inside the trailer section.
  Step finish();

  bool done() const;
  // gunicorn's exception text for the error, e.g. "Invalid chunk size: b'6_0'".
  const std::string& error_detail() const { return detail_; }
  // Trailer fields (name as received, value trimmed), owned by the decoder.
  // Names header_map drops are left out.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }

  // Ready for a new body, with the same limits; keeps buffers' capacity.
  void reset();

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailers, kDone, kError };

  Step fail(ErrorKind kind, std::string detail, size_t consumed);
  // A complete chunk-size line (without CRLF): kNone or the error.
  ErrorKind take_size_line(std::string_view line);
  class TrailerSink;

  size_t field_size_limit_;
  FieldBlockLimits trailer_limits_;
  FieldSyntax trailer_syntax_;
  HeaderMapPolicy header_map_ = HeaderMapPolicy::kDrop;

  State state_ = State::kSizeLine;
  uint64_t remaining_ = 0;  // chunk data left
  std::string line_;        // a chunk-size line split across inputs
  char data_end_[2] = {};   // the bytes that must be CRLF after chunk data
  size_t data_end_len_ = 0;
  std::string trailer_;  // the trailer section so far
  FieldBlockScan trailer_scan_;
  bool seen_content_type_ = false;  // in the trailers so far
  std::string joined_;              // a folded trailer value being joined
  ErrorKind error_ = ErrorKind::kNone;
  std::string detail_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace qilin::http
