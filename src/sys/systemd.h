// systemd's two process protocols, spoken without libsystemd:
//  - socket activation (sd_listen_fds): when LISTEN_PID names this process,
//    LISTEN_FDS sockets wait at fds 3, 4, ...;
//  - notification (sd_notify): state lines ("READY=1", "STATUS=...") sent
//    as one datagram to the unix socket NOTIFY_SOCKET names ("@name" is an
//    abstract socket), and the watchdog that WATCHDOG_USEC asks for.
// Outside systemd none of these variables is set and every call here does
// nothing. Not thread-safe (environment access); the master calls them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qilin::sys {

constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START

// The sockets systemd passed, when LISTEN_PID is this process: fds 3 to
// 3 + LISTEN_FDS - 1. LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are then
// removed from the environment (they are this process's alone, and the
// children must not take them for theirs). Empty when they are not ours.
std::vector<int> take_listen_fds();

class Notifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID now.
  Notifier();

  bool enabled() const { return !address_.empty(); }
  // Sends `state` (newline-separated KEY=VALUE lines) as one datagram.
  // False when it could not be sent; nothing is logged here.
  bool notify(std::string_view state) const;

  // How often the master must send WATCHDOG=1, when systemd watches this
  // process (half of WATCHDOG_USEC, as sd_watchdog_enabled advises).
  // `as_main`: a master that has told systemd it is the main process
  // (MAINPID) feeds the watchdog whatever pid WATCHDOG_PID names.
  std::optional<int64_t> watchdog_interval_ms(bool as_main) const;

 private:
  std::string address_;  // as NOTIFY_SOCKET says it; "" when unset
  int64_t watchdog_usec_ = 0;
  pid_t watchdog_pid_ = 0;  // 0: WATCHDOG_PID unset (any process)
};

// "MONOTONIC_USEC=<now>", which systemd wants beside RELOADING=1.
std::string monotonic_usec_line();

}  // namespace qilin::sys
