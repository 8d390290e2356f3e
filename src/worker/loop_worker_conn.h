// The connection record of LoopWorker and what its two source files share:
// loop_worker.cc (the loop, accepting, reading, TLS handshakes, deadlines,
// shutdown) and loop_worker_exchange.cc (one request's way from a parsed
// head through the application to keep-alive, drain or linger).
// Internal to src/worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "http/proxy_protocol.h"
#include "http/request.h"
#include "http/request_parser.h"
#include "worker/body_reader.h"
#include "worker/connection.h"
#include "worker/deadline_list.h"
#include "worker/loop_worker.h"
#include "worker/response_writer.h"
#include "worker/thread_pool.h"

namespace qilin::worker {

inline int64_t seconds_ms(int seconds) { return int64_t(seconds) * 1000; }
inline constexpr int64_t kNever = int64_t(1) << 62;  // a deadline that does not come

struct LoopWorker::Conn : DeadlineNode, Job {
  // kHandshake (TLS only) comes before the first kHead, under the same
  // deadline: the handshake and the first head together get header_timeout.
  // kSending follows kRunning when the application left part of its
  // response for the loop to send; kEnding is the application's end of
  // that request (ExchangeEnd) after it, on an application thread.
  enum class State {
    kHandshake, kHead, kBody, kRunning, kSending, kEnding, kDraining, kIdle, kLingering, kClosed
  };

  explicit Conn(LoopWorker* w) : worker(w), io(8 * 1024) {}
  void run() override { worker->run_request(this); }

  LoopWorker* worker;
  Connection io;
  BodyReader body;
  ResponseWriter response;
  http::Request request;
  http::ProxyInfo proxy;  // from the first request's PROXY header, for the later ones
  http::PeerContext trust;  // what the peer may send, decided once at accept
  State state = State::kHead;
  uint32_t events = 0;     // what epoll watches now
  // Edge-triggered (plain TCP and unix sockets, where a short read proves the
  // socket empty); TLS stays level-triggered, as a record read leaves the
  // next one in the socket.
  bool edge = false;
  bool posted = false;     // in LoopWorker::read_again_
  bool missed_edge = false;  // an event came while the application owned it
  bool first_request = true;
  bool keep_alive = false;
  bool usable = true;
  size_t lingered = 0;
  int64_t ready_us = 0;  // when the request was queued for a pool thread (0: no pool)
  std::unique_ptr<ExchangeEnd> end;  // set while the loop sends the rest of a response (kSending)
};

}  // namespace qilin::worker
