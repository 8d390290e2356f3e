// StatsD metrics with gunicorn's names, types and moments (--statsd-host):
//
//   gunicorn.requests               counter  per request
//   gunicorn.request.duration       timer    per request, milliseconds
//   gunicorn.request.status.<code>  counter  per request
//   gunicorn.workers                gauge    master, when the count changes
//   gunicorn.backlog                histogram master, each loop (--enable-backlog-metric)
//   gunicorn.log.<level>            counter  each critical/error/warning/exception line
//
// One datagram per metric, "<prefix><name>:<value>|<type>" plus "|@1.0" on
// counters and "|#<tags>" with --dogstatsd-tags, sent on a connected UDP (or
// unix datagram) socket without blocking. A statsd server that is down costs
// one failed send() per metric and nothing else.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace qilin::log {

struct StatsdAddress {
  std::string host;  // empty for a unix socket
  int port = 8125;
  std::string path;  // unix socket
};

// gunicorn's statsd address: unix:PATH or unix://PATH, else HOST[:PORT]
// ([V6]:PORT; an optional tcp:// is ignored), port 8125.
Result<StatsdAddress> parse_statsd_address(std::string_view text);
// gunicorn's prefix rule: a non-empty prefix ends in exactly one dot.
std::string statsd_prefix(std::string_view prefix);
// A request duration in milliseconds as Python prints the float
// (seconds * 1000 + microseconds / 1000): "12.345", "2.0".
std::string statsd_milliseconds(int64_t duration_us);

class Statsd {
 public:
  Statsd() = default;
  ~Statsd();
  Statsd(const Statsd&) = delete;
  Statsd& operator=(const Statsd&) = delete;

  Status open(const StatsdAddress& address, std::string_view prefix, std::string_view tags);
  bool enabled() const { return fd_ >= 0; }

  void increment(std::string_view name, long long value = 1);
  void gauge(std::string_view name, long long value);
  void histogram(std::string_view name, long long value);
  void timer(std::string_view name, std::string_view milliseconds);
  // The three per-request metrics, in gunicorn's order.
  void request_done(int status, int64_t duration_us);
  // "<prefix><name>:<value>|<type>[|#tags]" for any metric (custom metrics from hooks).
  void send_metric(std::string_view name, std::string_view value, std::string_view type);

 private:
  int fd_ = -1;
  std::string prefix_, tags_;
};

}  // namespace qilin::log
