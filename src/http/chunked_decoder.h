// Incremental decoder for a chunked request body (RFC 9112 7.1), with
// gunicorn 26's strictness: strict hex sizes (BWS only before ';'), no bare CR
// in extensions, CRLF required after data, trailers parsed with the header
// rules and forbidden names refused, a truncated last chunk or trailer
// section is an error. One decoder per request body; not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/parse_error.h"

namespace qilin::http {

class ChunkedDecoder {
 public:
  struct Step {
    enum Kind {
      kData,      // `data` is body bytes (a view into the input); `consumed` input bytes used
      kNeedMore,  // all `consumed` bytes absorbed into state; give more input
      kDone,      // last chunk and trailers complete; `consumed` bytes used
      kError,     // framing error; `error` says which
    } kind = kNeedMore;
    size_t consumed = 0;
    std::string_view data;
    ErrorKind error = ErrorKind::kNone;
  };

  // `field_size_limit` bounds one chunk-size line and one trailer line.
  explicit ChunkedDecoder(size_t field_size_limit = 8190) : field_size_limit_(field_size_limit) {}

  // Decodes from the front of `input`. Call repeatedly, advancing the input
  // by `consumed`, until kDone or kError. After kDone, bytes past `consumed`
  // belong to the next request.
  Step next(std::string_view input);

  bool done() const;
  // Trailer fields (name as received, value trimmed), owned by the decoder.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }

 private:
  // The implementation adds its state here.
  size_t field_size_limit_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace qilin::http
