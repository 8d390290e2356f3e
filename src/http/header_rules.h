// Field-line rules shared by the request head and the chunked trailer
// section: character classes, the structural scan of a field block (line
// boundaries and limits) and the syntax check of one field. Pure functions
// over caller-owned bytes; thread-safe.
//
// A field block is scanned once, front to back, and each field is checked
// as soon as the first byte of the line after it shows it is complete, so
// errors come in gunicorn's order (field by field) and the result is the same
// however the bytes are split across reads. Limits are also found on partial
// input: a line that cannot end within its field size is refused before its
// CRLF arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/parse_error.h"

namespace qilin::http {

enum class HeaderMapPolicy { kDrop, kRefuse, kDangerous };

// --- character classes (RFC 9110) ---
bool is_tchar(unsigned char c);
bool is_token(std::string_view s);
// True if `s` holds a byte a field value may not carry: 0x00-0x1F except
// HTAB, and 0x7F (RFC 9110 5.5; gunicorn 26.0).
bool has_invalid_value_byte(std::string_view s);

// Strips leading and trailing SP and HTAB.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ASCII case-insensitive comparison of `s` with an upper-case constant.
inline bool equals_upper(std::string_view s, std::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = char(c - 32);
    if (c != upper[i]) return false;
  }
  return true;
}

// Finds the next CRLF at or after `from`, where the line began at `line_start`
// (a '\n' at line_start is a bare LF inside the line, not an end). Only bytes
// before `end` are examined. Returns the offset of the '\r', or npos.
size_t find_crlf(const char* data, size_t line_start, size_t from, size_t end);

// --- scanning a block ---
struct FieldBlockLimits {
  size_t max_fields = 100;       // fields kept (header_map drops do not count, as in gunicorn)
  size_t max_field_size = 8190;  // one field: its lines plus their CRLFs
  size_t max_block = 819204;     // every byte of the block, final CRLF included
};

// gunicorn's buffer bound for a block: fields * (field_size + 2) + 4, saturating.
size_t max_block_size(size_t max_fields, size_t max_field_size);

struct RawField {
  std::string_view first_line;  // without CRLF
  std::string_view
      folded;  // continuation lines with their CRLFs, minus the last CRLF; may be empty
};

struct FieldSyntax {
  bool permit_obsolete_folding = false;
  bool strip_header_spaces = false;
  bool trailer = false;  // refuse the names RFC 9110 6.5.1 forbids in trailers
};

// Receives each complete field of a block, in order.
class FieldSink {
 public:
  virtual ~FieldSink() = default;
  // kNone, with *keep false if the field is dropped; or an error with *detail.
  virtual ErrorKind on_field(const RawField& field, bool* keep, std::string* detail) = 0;
};

// Where a scan stopped. Start with a value-initialised state whose
// line_start is the first byte of the block; offsets are into `data`.
struct FieldBlockScan {
  size_t line_start = 0;      // the line being scanned
  size_t field_start = 0;     // the field it belongs to
  size_t first_line_end = 0;  // the CR ending the field's first line, once found
  size_t search_from = 0;     // where the CRLF search resumes inside the line
  size_t kept = 0;            // fields the sink kept
  bool in_line = false;       // the line's first byte has been classified
  bool have_field = false;    // a field is open (a SP/HTAB line continues it)
  bool first_line_done = false;
};

enum class ScanStatus { kDone, kNeedMore, kError };

// Scans data[block_start, len), handing each complete field to `sink`.
// kDone: *block_end is the offset just past the blank line. kNeedMore: `state`
// records the progress (every field before state->line_start, or before
// state->field_start while a field is open, went to the sink); call again
// with the same bytes plus more. kError: *error and *detail, from the sink or
// kLimitRequestHeaders with gunicorn's message ("limit request headers
// fields", "limit request headers fields size", "max buffer headers"). When a
// field outgrows its size, a missing colon or a bad name already visible in
// its first line is reported instead, as gunicorn checks those first.
// An obs-fold line is refused (through the sink) at its first byte unless
// syntax.permit_obsolete_folding.
ScanStatus scan_field_block(const char* data, size_t len, size_t block_start,
                            const FieldBlockLimits& limits, const FieldSyntax& syntax,
                            FieldBlockScan* state, FieldSink* sink, size_t* block_end,
                            ErrorKind* error, std::string* detail);

// --- checking one field ---
struct ParsedField {
  std::string_view name;    // as received, after strip_header_spaces
  std::string_view value;   // trimmed; for a folded field a view into *joined
  bool underscore = false;  // the name holds '_' (see header_map)
};

// The checks on a field's first line that come before its value: a colon
// after at least one byte (InvalidHeader), a token name (InvalidHeaderName),
// a name allowed in trailers (InvalidHeaderName). With `complete` false,
// `line` is only the start of the line and a missing colon decides nothing.
ErrorKind check_field_name(std::string_view line, bool complete, const FieldSyntax& syntax,
                           std::string* detail);

// Checks one field in gunicorn's order: check_field_name(), obs-fold
// (ObsoleteFolding unless permitted, else the trimmed lines joined by one SP
// into *joined), no control bytes in the value (InvalidHeader). Returns kNone
// or the error, with *detail set.
ErrorKind parse_field(const RawField& field, const FieldSyntax& syntax, ParsedField* out,
                      std::string* joined, std::string* detail);

// What header_map does with a name containing '_'.
enum class UnderscoreAction { kKeep, kDrop, kRefuse };
UnderscoreAction underscore_action(HeaderMapPolicy policy, bool forwarder_allowed);

}  // namespace qilin::http
