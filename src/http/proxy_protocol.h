// HAProxy PROXY protocol headers (v1 text, v2 binary) in front of the first
// request of a connection, with gunicorn 26's rules. Pure; thread-safe.
//
// v1: "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n", single spaces,
//     addresses of the named family, ports 0-65535 in decimal digits;
//     "PROXY UNKNOWN[ anything]\r\n" is accepted as the spec asks. A line
//     longer than the spec's 107 bytes is refused. Errors: kInvalidProxyLine.
// v2: the 12-byte signature, version 2, command LOCAL or PROXY; for PROXY
//     the transport must be STREAM and the family INET, INET6 or UNSPEC;
//     TLVs after the addresses are skipped. Errors: kInvalidProxyHeader.
#pragma once

#include <cstddef>
#include <string>

#include "http/parse_error.h"
#include "http/request.h"

namespace qilin::http {

enum class ProxyProtocolMode { kOff, kV1, kV2, kAuto };

struct ProxyParse {
  enum Status {
    kAbsent,      // the bytes do not start with a header this mode accepts
    kComplete,    // a header of `consumed` bytes was parsed into the ProxyInfo
    kIncomplete,  // a header may be starting; give more bytes
    kError,       // `error`, `detail`
  } status = kAbsent;
  size_t consumed = 0;
  ErrorKind error = ErrorKind::kNone;
  std::string detail;
};

// Looks for a header at the start of `data`. A peer that is not trusted
// (`trusted` false) gets kForbiddenProxyRequest as soon as a header is
// recognised. Call only with a mode other than kOff.
ProxyParse parse_proxy_header(ProxyProtocolMode mode, bool trusted, const char* data, size_t len,
                              ProxyInfo* out);

}  // namespace qilin::http
