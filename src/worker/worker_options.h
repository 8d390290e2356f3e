// What a worker process needs to know, taken from the settings once, in the
// master, before forking. Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "http/request_parser.h"
#include "sys/ip_allow_list.h"

namespace qilin::worker {

struct WorkerOptions {
  int timeout_seconds = 30;          // heartbeat timeout; 0 = disabled
  int graceful_timeout_seconds = 30;
  int64_t max_requests = 0;          // after jitter; 0 = never recycle
  bool sendfile = true;
  size_t chunked_prefetch_bytes = 1 << 20;  // chunked bodies read ahead before the app runs
  http::ParserOptions parser;
  sys::IpAllowList forwarded_allow;  // peers trusted for scheme/forwarder headers
  sys::IpAllowList proxy_allow;      // peers allowed to send a PROXY header
};

}  // namespace qilin::worker
