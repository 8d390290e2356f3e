#include "http/header_rules.h"

#include <array>
#include <cstring>
#include <limits>

#include "core/strings.h"
#include "http/detail_text.h"

namespace qilin::http {
namespace {

constexpr size_t kNpos = std::string_view::npos;

constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kTchar = make_tchar_table();

size_t sat_add(size_t a, size_t b) {
  return a > std::numeric_limits<size_t>::max() - b ? std::numeric_limits<size_t>::max() : a + b;
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string upper_repr(std::string_view name) { return py_repr(to_upper(name)); }

// RFC 9110 6.5.1: fields that change routing, framing or authentication.
bool forbidden_in_trailer(std::string_view name) {
  for (std::string_view f :
       {"HOST", "CONTENT-LENGTH", "TRANSFER-ENCODING", "TRAILER", "AUTHORIZATION", "TE"}) {
    if (equals_upper(name, f)) return true;
  }
  return false;
}

}  // namespace

bool is_tchar(unsigned char c) { return kTchar[c]; }

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kTchar[c]) return false;
  }
  return true;
}

bool has_invalid_value_byte(std::string_view s) {
  // Eight bytes at a time: most values have no byte below 0x20 and no 0x7F,
  // so the per-byte test (which lets HTAB through) rarely runs.
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighs;
    uint64_t del = x ^ (kOnes * 0x7f);
    del = (del - kOnes) & ~del & kHighs;
    if ((below_space | del) != 0) break;
  }
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

size_t find_crlf(const char* data, size_t line_start, size_t from, size_t end) {
  while (from < end) {
    const void* hit = std::memchr(data + from, '\n', end - from);
    if (hit == nullptr) return kNpos;
    size_t q = static_cast<const char*>(hit) - data;
    if (q > line_start && data[q - 1] == '\r') return q - 1;
    from = q + 1;
  }
  return kNpos;
}

size_t max_block_size(size_t max_fields, size_t max_field_size) {
  size_t per_field = sat_add(max_field_size, 2);
  if (max_fields != 0 && per_field > (std::numeric_limits<size_t>::max() - 4) / max_fields) {
    return std::numeric_limits<size_t>::max();
  }
  return max_fields * per_field + 4;
}

ScanStatus scan_field_block(const char* data, size_t len, size_t block_start,
                            const FieldBlockLimits& limits, const FieldSyntax& syntax,
                            FieldBlockScan* st, FieldSink* sink, size_t* block_end,
                            ErrorKind* error, std::string* detail) {
  // Every byte of the block must lie before window_end. Bytes past it are
  // never examined: their presence alone means the block is too large.
  const size_t window_end = sat_add(block_start, limits.max_block);
  const size_t avail = std::min(len, window_end);
  auto fail = [&](ErrorKind kind, std::string message) {
    *error = kind;
    *detail = std::move(message);
    return ScanStatus::kError;
  };
  auto starved = [&]() {
    return len >= window_end ? fail(ErrorKind::kLimitRequestHeaders, "max buffer headers")
                             : ScanStatus::kNeedMore;
  };
  // Hands the open field, which ends where the line at `next` begins, to the
  // sink. `folded` overrides its continuation lines (for an obs-fold refusal).
  auto emit = [&](size_t next, const std::string_view* folded) {
    RawField f;
    f.first_line = std::string_view(data + st->field_start, st->first_line_end - st->field_start);
    const size_t folded_begin = st->first_line_end + 2;
    if (folded != nullptr) {
      f.folded = *folded;
    } else if (next - 2 > folded_begin) {
      f.folded = std::string_view(data + folded_begin, next - 2 - folded_begin);
    }
    bool keep = true;
    ErrorKind e = sink->on_field(f, &keep, detail);
    if (e != ErrorKind::kNone) {
      *error = e;
      return false;
    }
    if (keep) ++st->kept;
    st->have_field = false;
    return true;
  };

  while (true) {
    if (!st->in_line) {
      const size_t ls = st->line_start;
      if (ls >= avail) return starved();
      const char c = data[ls];
      bool continuation = st->have_field && is_ows(c);
      if (continuation && !syntax.permit_obsolete_folding) {
        const std::string_view fold(data + ls, 1);
        if (!emit(ls, &fold)) return ScanStatus::kError;
        continuation = false;  // (a sink that accepted it) the line starts a field
      }
      if (!continuation && st->have_field && !emit(ls, nullptr)) return ScanStatus::kError;
      if (c == '\r') {
        if (ls + 1 >= avail) return starved();
        if (data[ls + 1] == '\n') {
          *block_end = ls + 2;
          return ScanStatus::kDone;
        }
      }
      if (!continuation) {
        if (st->kept >= limits.max_fields) {
          return fail(ErrorKind::kLimitRequestHeaders, "limit request headers fields");
        }
        st->field_start = ls;
        st->first_line_done = false;
        st->have_field = true;
      }
      st->in_line = true;
      st->search_from = ls;
    }
    // The line, CRLF included, must end by `bound`.
    const size_t field_bound = sat_add(st->field_start, limits.max_field_size);
    const size_t bound = std::min(field_bound, window_end);
    const size_t end = std::min(len, bound);
    const size_t cr = find_crlf(data, st->line_start, st->search_from, end);
    if (cr != kNpos) {
      if (!st->first_line_done) {
        st->first_line_end = cr;
        st->first_line_done = true;
      }
      st->line_start = cr + 2;
      st->in_line = false;
      continue;
    }
    if (len < bound) {
      st->search_from = end;
      return ScanStatus::kNeedMore;
    }
    if (field_bound > window_end) {
      return fail(ErrorKind::kLimitRequestHeaders, "max buffer headers");
    }
    // The field outgrows its size; gunicorn would first refuse a missing
    // colon or a bad name, if the bytes at hand already show one.
    const std::string_view first =
        st->first_line_done
            ? std::string_view(data + st->field_start, st->first_line_end - st->field_start)
            : std::string_view(data + st->field_start, end - st->field_start);
    ErrorKind e = check_field_name(first, st->first_line_done, syntax, detail);
    if (e != ErrorKind::kNone) return fail(e, std::move(*detail));
    return fail(ErrorKind::kLimitRequestHeaders, "limit request headers fields size");
  }
}

ErrorKind check_field_name(std::string_view line, bool complete, const FieldSyntax& syntax,
                           std::string* detail) {
  const void* at = line.empty() ? nullptr : std::memchr(line.data(), ':', line.size());
  const size_t colon = at ? static_cast<const char*>(at) - line.data() : kNpos;
  if ((colon == kNpos && complete) || colon == 0) {
    *detail = "Invalid HTTP Header: " + py_repr(line);
    return ErrorKind::kInvalidHeader;
  }
  if (colon == kNpos) return ErrorKind::kNone;  // cannot tell yet
  std::string_view name = line.substr(0, colon);
  if (syntax.strip_header_spaces) {
    while (!name.empty() && is_ows(name.back())) name.remove_suffix(1);
  }
  if (!is_token(name)) {
    *detail = "Invalid HTTP header name: " + py_repr(name);
    return ErrorKind::kInvalidHeaderName;
  }
  if (syntax.trailer && forbidden_in_trailer(name)) {
    *detail = "Invalid HTTP header name: " + upper_repr(name);
    return ErrorKind::kInvalidHeaderName;
  }
  return ErrorKind::kNone;
}

ErrorKind parse_field(const RawField& field, const FieldSyntax& syntax, ParsedField* out,
                      std::string* joined, std::string* detail) {
  std::string_view line = field.first_line;
  // The common case in one pass: token bytes up to the colon.
  size_t colon = 0;
  while (colon < line.size() && kTchar[static_cast<unsigned char>(line[colon])]) ++colon;
  std::string_view name = line.substr(0, colon);
  if (colon == 0 || colon == line.size() || line[colon] != ':' ||
      (syntax.trailer && forbidden_in_trailer(name))) {
    ErrorKind e = check_field_name(line, true, syntax, detail);
    if (e != ErrorKind::kNone) return e;
    colon = line.find(':');  // spaces before it, which strip_header_spaces allows
    name = trim_ows(line.substr(0, colon));
  }
  out->underscore = name.find('_') != kNpos;
  std::string_view value = trim_ows(line.substr(colon + 1));
  if (!field.folded.empty()) {
    if (!syntax.permit_obsolete_folding) {
      *detail = "Obsolete line folding is unacceptable: " + upper_repr(name);
      return ErrorKind::kObsoleteFolding;
    }
    // gunicorn joins the trimmed lines with one SP, even empty ones.
    joined->assign(value);
    std::string_view rest = field.folded;
    while (true) {
      size_t cr = rest.find("\r\n");
      joined->push_back(' ');
      joined->append(trim_ows(rest.substr(0, cr)));
      if (cr == kNpos) break;
      rest.remove_prefix(cr + 2);
    }
    value = *joined;
  }
  if (has_invalid_value_byte(value)) {
    *detail = "Invalid HTTP Header: " + upper_repr(name);
    return ErrorKind::kInvalidHeader;
  }
  out->name = name;
  out->value = value;
  return ErrorKind::kNone;
}

UnderscoreAction underscore_action(HeaderMapPolicy policy, bool forwarder_allowed) {
  if (forwarder_allowed) return UnderscoreAction::kKeep;
  switch (policy) {
    case HeaderMapPolicy::kDangerous:
      return UnderscoreAction::kKeep;
    case HeaderMapPolicy::kDrop:
      return UnderscoreAction::kDrop;
    case HeaderMapPolicy::kRefuse:
      break;
  }
  return UnderscoreAction::kRefuse;
}

}  // namespace qilin::http
