// Textual IPv4/IPv6 addresses without the socket API: strict parsing with
// glibc inet_pton's rules (dotted quad without leading zeros; RFC 4291 text
// with one "::" and an optional trailing dotted quad) and formatting with
// inet_ntop's (RFC 5952 compression, "::ffff:a.b.c.d" for mapped
// addresses). Used for PROXY headers and bracketed hosts. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qilin {

bool parse_ipv4(std::string_view text, uint8_t out[4]);
bool parse_ipv6(std::string_view text, uint8_t out[16]);

std::string format_ipv4(const uint8_t addr[4]);
std::string format_ipv6(const uint8_t addr[16]);

}  // namespace qilin
