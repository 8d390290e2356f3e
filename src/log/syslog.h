// Syslog output, as gunicorn's --log-syslog sets it up with Python's
// SysLogHandler: each record is one message
//
//   <PRI>PROGRAM: [PID] MESSAGE\0
//
// where PRI = facility * 8 + severity and PROGRAM is
// "gunicorn.<syslog_prefix or proc_name with ':' as '.'>.<error|access>".
// UDP and unix datagram messages are one datagram each; over TCP and unix
// streams the trailing NUL separates them.
//
// Sending never blocks a request: the socket is non-blocking and a message
// that does not fit right away is dropped. A destination that is down
// (refused, missing socket file) is retried at most once a second.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "log/error_log.h"

namespace qilin::log {

struct SyslogAddress {
  enum class Kind { kUdp, kTcp, kUnix };
  Kind kind = Kind::kUdp;
  std::string host;  // udp, tcp
  int port = 514;
  std::string path;           // unix
  bool unix_stream_allowed = true;  // unix without "#dgram": datagram first, then stream
};

// gunicorn's parse_syslog_address: unix://PATH[#dgram|#stream],
// udp://HOST[:PORT], tcp://HOST[:PORT] ([V6] in brackets; port 514).
Result<SyslogAddress> parse_syslog_address(std::string_view text);
// The facility number of a name ("user" -> 1, "local0" -> 16), case-insensitive.
Result<int> syslog_facility(std::string_view name);
// 7 (debug), 6 (info), 4 (warning), 3 (error), 2 (critical).
int syslog_severity(Level level);
// "<PRI>PROGRAM: [PID] MESSAGE\0", without a trailing newline of `message`.
std::string syslog_message(int facility, Level level, std::string_view program, int pid,
                           std::string_view message);

class SyslogSink {
 public:
  SyslogSink() = default;
  ~SyslogSink();
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  // Resolves the address and connects; a destination that does not answer
  // yet is not an error (messages are dropped until it does).
  Status open(const SyslogAddress& address, int facility);
  int facility() const { return facility_; }
  // Sends one message; thread-safe, never blocks.
  void send(Level level, std::string_view program, std::string_view message);

 private:
  bool connect_locked();  // with mutex_ held

  std::mutex mutex_;
  SyslogAddress address_;
  int facility_ = 1;
  int fd_ = -1;
  int family_ = 0;  // of the resolved udp/tcp address
  int64_t retry_after_ms_ = 0;
  std::string resolved_;  // sockaddr bytes for udp/tcp
};

}  // namespace qilin::log
