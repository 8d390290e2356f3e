// libFuzzer driver for the request-head parser and the chunked decoder
// (src/http). Built by `cmake --preset fuzz` as build-fuzz/request_parser_fuzz;
// fuzz/run.sh fuzzes with it, and the CTest test fuzz_corpus_replay runs the
// checked-in corpus through it once (fuzz/README.md).
//
// Input format: the first three bytes choose the options (limits, strictness
// switches, header_map, PROXY mode, trust; see options_from()), the rest is
// what the client sent: the head and, when the head says chunked, the body.
// fuzz/make_seeds.py writes the conformance cases in this form.
//
// Besides crashes and sanitizer reports it checks the parser's contract: the
// result does not depend on how the bytes are split across calls (each call
// sees the prefix in a fresh buffer, as after a reallocating read), and the
// decoder gives the same body and verdict fed at once or in pieces. A broken
// contract aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "http/chunked_decoder.h"
#include "http/request_parser.h"

using namespace qilin::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The first bytes pick the options; the rest is the request. Byte 0: bits
// 0-2 index kLine, bits 3-5 kFields; bits 6-7 with bit 0 of byte 1 index
// kFieldSize. Byte 1: bit 1 permit_unconventional_http_method, 2 ..._version,
// 3 casefold_http_method, 4 permit_obsolete_folding, 5 strip_header_spaces,
// bits 6-7 header_map (drop, refuse, dangerous, drop). Byte 2: bits 0-1
// proxy_protocol (off, v1, v2, auto), bit 2 forwarder trusted, 3 proxy
// trusted, 4 not the first request on the connection, 5 forwarder_headers
// "*". fuzz/make_seeds.py writes the same layout.
void options_from(const uint8_t*& data, size_t& size, ParserOptions* o, PeerContext* peer) {
  uint8_t a = size > 0 ? data[0] : 0, b = size > 1 ? data[1] : 0, c = size > 2 ? data[2] : 0;
  size_t skip = size < 3 ? size : 3;
  data += skip;
  size -= skip;
  static const long long kLine[] = {4094, 0, 8, 30, 100, 8190, 20, 64};
  static const long long kFields[] = {100, 1, 2, 3, 5, 0, 32768, 10};
  static const long long kFieldSize[] = {8190, 10, 14, 20, 40, 0, 100, 1};
  o->normalize_limits(kLine[a & 7], kFields[(a >> 3) & 7], kFieldSize[(a >> 6) | ((b & 1) << 2)]);
  o->permit_unconventional_http_method = b & 2;
  o->permit_unconventional_http_version = b & 4;
  o->casefold_http_method = b & 8;
  o->permit_obsolete_folding = b & 16;
  o->strip_header_spaces = b & 32;
  o->header_map = static_cast<HeaderMapPolicy>((b >> 6) % 3);
  o->proxy_protocol = static_cast<ProxyProtocolMode>(c & 3);
  peer->forwarder_trusted = c & 4;
  peer->proxy_trusted = c & 8;
  peer->first_on_connection = !(c & 16);
  if (c & 32) o->forwarder_headers.push_back("*");
}

struct Snapshot {
  ParseResult::Status status;
  size_t consumed;
  ErrorKind error;
  std::string detail, method, uri, path, query, fragment, proxy;
  int major, minor;
  std::vector<std::pair<std::string, std::string>> headers;
  BodyFraming framing;
  uint64_t length;
  bool expect, close;
  ForwardedScheme scheme;

  bool operator==(const Snapshot&) const = default;
};

Snapshot snap(const ParseResult& r, const Request& q) {
  Snapshot s{r.status, r.consumed, r.error, r.detail, {}, {}, {},    {},    {},
             {},       0,          0,       {},       {}, 0,  false, false, {}};
  if (r.status != ParseResult::kComplete) return s;
  s.method = q.method;
  s.uri = q.uri;
  s.path = q.path;
  s.query = q.query;
  s.fragment = q.fragment;
  s.proxy = q.proxy.protocol + "|" + q.proxy.src_addr + "|" + q.proxy.dst_addr + "|" +
            std::to_string(q.proxy.src_port) + "|" + std::to_string(q.proxy.dst_port);
  s.major = q.version_major;
  s.minor = q.version_minor;
  for (const Header& h : q.headers) s.headers.emplace_back(h.name, h.value);
  s.framing = q.framing;
  s.length = q.content_length;
  s.expect = q.expect_continue;
  s.close = q.must_close;
  s.scheme = q.forwarded_scheme;
  return s;
}

// Decodes `body` fed in pieces of the given sizes (0: all at once).
std::string decode(const ParserOptions& o, std::string_view body, size_t piece, ErrorKind* error) {
  ChunkedDecoder d(o);
  std::string out, pending;
  size_t fed = 0;
  while (true) {
    size_t n = piece == 0 ? body.size() - fed : std::min(piece, body.size() - fed);
    pending.append(body.substr(fed, n));
    fed += n;
    auto step = d.next(pending);
    check(step.consumed <= pending.size());
    if (step.kind == ChunkedDecoder::Step::kData) out.append(step.data);
    pending.erase(0, step.consumed);
    if (step.kind == ChunkedDecoder::Step::kError) {
      *error = step.error;
      return out;
    }
    if (step.kind == ChunkedDecoder::Step::kDone) {
      for (const auto& [k, v] : d.trailers()) out += "\n" + k + ":" + v;
      *error = ErrorKind::kNone;
      return out;
    }
    if (step.kind == ChunkedDecoder::Step::kNeedMore && fed == body.size() && step.consumed == 0) {
      *error = d.finish().error;
      return out;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParserOptions o;
  PeerContext peer;
  options_from(data, size, &o, &peer);
  const std::string input(reinterpret_cast<const char*>(data), size);

  std::string whole = input;
  Request one;
  const ParseResult r1 = parse_request_head(o, peer, whole.data(), whole.size(), &one);
  check(r1.status != ParseResult::kComplete || r1.consumed <= whole.size());
  const Snapshot expected = snap(r1, one);

  // The same bytes arriving in pieces, each call on a fresh copy.
  Request inc;
  inc.reset();
  size_t step = 1 + (size % 7);
  for (size_t have = 0;;) {
    have = std::min(input.size(), have + step);
    std::vector<char> buffer(input.begin(), input.begin() + long(have));
    buffer.push_back('\0');  // a distinct allocation per call
    ParseResult r = parse_request_head(o, peer, buffer.data(), have, &inc);
    if (r.status != ParseResult::kIncomplete || have == input.size()) {
      if (r.status == ParseResult::kIncomplete) {
        check(expected.status == ParseResult::kIncomplete);
      } else {
        check(snap(r, inc) == expected);
      }
      break;
    }
    step = step * 2 + 1;
  }

  if (r1.status == ParseResult::kComplete && one.framing == BodyFraming::kChunked) {
    std::string_view body(whole);
    body.remove_prefix(r1.consumed);
    ErrorKind e0, e1, e3;
    std::string b0 = decode(o, body, 0, &e0);
    std::string b1 = decode(o, body, 1, &e1);
    std::string b3 = decode(o, body, 3, &e3);
    check(e0 == e1 && e1 == e3);
    if (e0 == ErrorKind::kNone) check(b0 == b1 && b1 == b3);
  }
  return 0;
}
