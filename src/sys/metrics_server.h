// A tiny HTTP/1 server on its own thread in the master, for --metrics-bind:
// GET /metrics answers `render()`'s text (Prometheus' text format), any
// other path 404, any other method 405; one request per connection. A slow
// or silent client is dropped after two seconds, and one client at a time
// is served, so a scraper cannot make the master do more than that; the
// master's own loop never waits for it.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "core/result.h"
#include "sys/bind_address.h"
#include "sys/fd.h"
#include "sys/listener.h"

namespace qilin::sys {

class MetricsServer {
 public:
  MetricsServer() = default;
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds `address` (HOST:PORT; unix:PATH too) now; serves once start()ed.
  Status bind(const std::string& address);
  // `render` runs on the server's thread and must be thread-safe.
  void start(std::function<std::string()> render);
  void stop();
  // For forked workers, which close it: the port belongs to the master.
  int listen_fd() const { return listener_.fd(); }
  const std::string& url() const { return listener_.url(); }

 private:
  void serve();
  void answer(int client);

  Listener listener_;
  Fd wake_read_, wake_write_;  // stop() writes to wake_write_
  std::function<std::string()> render_;
  std::thread thread_;
};

}  // namespace qilin::sys
