// Template part of listener.h: the retry loop, generic over the logger.
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstring>

namespace qilin::sys {

std::string describe_bind_address(const BindAddress& address);

template <typename LogFn>
Result<std::vector<Listener>> open_listeners(const std::vector<BindAddress>& addresses,
                                             const ListenOptions& options, LogFn log_error) {
  std::vector<Listener> listeners;
  for (const BindAddress& address : addresses) {
    const std::string name = describe_bind_address(address);
    bool bound = false;
    for (int attempt = 0; attempt < 5 && !bound; ++attempt) {
      int err = 0;
      auto listener = Listener::open(address, options, &err);
      if (listener) {
        listeners.push_back(std::move(*listener));
        bound = true;
        break;
      }
      if (err != EADDRINUSE && err != EADDRNOTAVAIL) {
        return Result<std::vector<Listener>>::error(listener.message());
      }
      log_error(err == EADDRINUSE ? "Connection in use: " + name : "Invalid address: " + name);
      if (attempt < 4) {
        log_error("Retrying in 1 second.");
        ::sleep(1);
      }
    }
    if (!bound) return Result<std::vector<Listener>>::error("Can't connect to " + name);
  }
  return listeners;
}

}  // namespace qilin::sys
