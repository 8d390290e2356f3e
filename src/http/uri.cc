#include "http/uri.h"

#include "core/ip_text.h"
#include "core/strings.h"

namespace qilin::http {
namespace {

constexpr size_t kNpos = std::string_view::npos;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_scheme_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

bool contains(std::string_view s, char c) { return s.find(c) != kNpos; }

// urllib's _check_bracketed_host: "v<hex>.<something>" or an IPv6 address
// (with an optional %scope), never IPv4.
bool valid_bracketed_host(std::string_view host) {
  if (!host.empty() && host[0] == 'v') {
    size_t i = 1;
    while (i < host.size() && hex_value(host[i]) >= 0) ++i;
    return i > 1 && i + 1 < host.size() && host[i] == '.' && !contains(host.substr(i + 1), '\n');
  }
  uint8_t addr[16];
  if (parse_ipv4(host, addr)) return false;
  size_t pct = host.find('%');
  if (pct != kNpos) {
    std::string_view scope = host.substr(pct + 1);
    if (scope.empty() || contains(scope, '%')) return false;
    host = host.substr(0, pct);
  }
  return parse_ipv6(host, addr);
}

// urllib's _check_bracketed_netloc, for a netloc holding both '[' and ']'.
bool valid_bracketed_netloc(std::string_view netloc) {
  size_t at = netloc.rfind('@');
  std::string_view host_port = at == kNpos ? netloc : netloc.substr(at + 1);
  size_t open = host_port.find('[');
  std::string_view host;
  if (open != kNpos) {
    if (open != 0) return false;  // nothing may come before the bracket
    std::string_view bracketed = host_port.substr(1);
    size_t close = bracketed.find(']');
    host = bracketed.substr(0, close);
    if (close != kNpos) {
      std::string_view port = bracketed.substr(close + 1);
      if (!port.empty() && port[0] != ':') return false;
    }
  } else {
    host = host_port.substr(0, host_port.find(':'));
  }
  return valid_bracketed_host(host);
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(char(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool has_tab_cr_lf(std::string_view target) {
  for (char c : target) {
    if (c == '\t' || c == '\r' || c == '\n') return true;
  }
  return false;
}

std::string remove_tab_cr_lf(std::string_view target) {
  std::string out;
  out.reserve(target.size());
  for (char c : target) {
    if (c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

bool split_request_target(std::string_view raw, std::string_view url, TargetParts* out) {
  // gunicorn treats "//x" as a path, where urlsplit would see an authority.
  if (raw.substr(0, 2) != "//") {
    while (!url.empty() && static_cast<unsigned char>(url[0]) <= 0x20) url.remove_prefix(1);
    size_t colon = url.find(':');
    if (colon != kNpos && colon > 0 && is_alpha(url[0])) {
      bool scheme = true;
      for (size_t i = 0; i < colon && scheme; ++i) scheme = is_scheme_char(url[i]);
      if (scheme) url.remove_prefix(colon + 1);
    }
    if (url.substr(0, 2) == "//") {
      size_t end = url.find_first_of("/?#", 2);
      if (end == kNpos) end = url.size();
      std::string_view netloc = url.substr(2, end - 2);
      url.remove_prefix(end);
      bool open = contains(netloc, '['), close = contains(netloc, ']');
      if (open != close) return false;
      if (open && !valid_bracketed_netloc(netloc)) return false;
    }
  }
  *out = TargetParts{};
  size_t hash = url.find('#');
  if (hash != kNpos) {
    out->fragment = url.substr(hash + 1);
    url = url.substr(0, hash);
  }
  size_t question = url.find('?');
  if (question != kNpos) {
    out->query = url.substr(question + 1);
    url = url.substr(0, question);
  }
  out->path = url;
  return true;
}

}  // namespace qilin::http
