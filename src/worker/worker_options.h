// What a worker process needs to know, taken from the settings once, in the
// master, before forking. Plain data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/request_parser.h"
#include "sys/ip_allow_list.h"
#include "tls/server_context.h"
#include "worker/connection.h"

namespace qilin::worker {

struct WorkerOptions {
  std::string kind = "sync";         // "sync" or "gthread"
  int timeout_seconds = 30;          // heartbeat timeout; 0 = disabled
  int graceful_timeout_seconds = 30;
  int64_t max_requests = 0;          // after jitter; 0 = never recycle
  bool sendfile = true;
  size_t body_prefetch_bytes = 1 << 20;  // body bytes read before the app runs (chunked: decoded)
  int threads = 1;                       // gthread: application threads
  int worker_connections = 1000;         // gthread: open connections at most
  int keepalive_seconds = 2;             // gthread: idle time before a kept-alive connection closes
  int header_timeout_seconds = 10;       // time allowed for a request head to arrive; 0: unbounded
  // --reload: watch the loaded source files and these extra files or
  // patterns; exit when one changes (code_reloader.h).
  bool reload = false;
  std::string reload_engine = "auto";  // "auto", "poll" or "inotify"
  std::vector<std::string> reload_extra_files;
  http::ParserOptions parser;
  sys::IpAllowList forwarded_allow;  // peers trusted for scheme/forwarder headers
  sys::IpAllowList proxy_allow;      // peers allowed to send a PROXY header
  // TLS on every listener (certfile set), or null for plain HTTP. Built in
  // the master; each worker process serves every connection from it.
  std::shared_ptr<const tls::ServerContext> tls;

  // What the parser may trust of `peer` (a unix-socket peer is trusted, as
  // in gunicorn). Computed once per connection.
  http::PeerContext trust(const PeerAddress& peer) const {
    http::PeerContext context;
    context.forwarder_trusted = peer.is_unix || forwarded_allow.contains(peer.addr);
    context.proxy_trusted = peer.is_unix || proxy_allow.contains(peer.addr);
    return context;
  }
};

}  // namespace qilin::worker
