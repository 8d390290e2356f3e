// LoopWorker, one request at a time: from a parsed head through the body
// prefetch and the application (on the loop or a pool thread) to what
// follows it: keep-alive, a drain of the unread body, or a lingering close.
// The loop itself is in loop_worker.cc.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <string>
#include <utility>

#include "http/parse_error.h"
#include "worker/loop_worker_conn.h"

namespace qilin::worker {

namespace {

constexpr int64_t kLingerMs = 2000;
constexpr size_t kLingerBytes = 64 * 1024;
constexpr size_t kDrainBytes = 64 * 1024;
constexpr int64_t kDrainMs = 5000;

}  // namespace

http::PeerContext LoopWorker::peer_context(const Conn* c) const {
  http::PeerContext context = c->trust;
  context.first_on_connection = c->first_request;
  return context;
}

void LoopWorker::reparse_head(Conn* c) {
  // The buffer grew for the body and moved: the head's views must point
  // into the new one. Parsing the same bytes again gives the same request.
  http::PeerContext context = peer_context(c);
  c->request.reset();
  (void)http::parse_request_head(options_.parser, context, c->io.data(), c->io.head_end(),
                                 &c->request);
  if (!c->first_request) c->request.proxy = c->proxy;
}

void LoopWorker::advance(Conn* c) {
  if (c->state == Conn::State::kHead) {
    http::PeerContext context = peer_context(c);
    auto result = http::parse_request_head(options_.parser, context, c->io.data(), c->io.end(),
                                           &c->request);
    if (result.status == http::ParseResult::kIncomplete) return;
    if (result.status == http::ParseResult::kError) {
      reject(c, result.error, result.detail);
      return;
    }
    c->io.set_head_end(result.consumed);
    if (c->first_request) c->proxy = c->request.proxy;
    else c->request.proxy = c->proxy;
    c->body.start(&c->io, c->request, options_.parser);
    c->state = Conn::State::kBody;
    // A body within the prefetch bound gets its room now, in one step,
    // rather than the buffer doubling (and copying) as the bytes arrive.
    if (c->request.framing == http::BodyFraming::kContentLength) {
      const uint64_t want = std::min<uint64_t>(c->request.content_length, options_.body_prefetch_bytes);
      if (c->io.reserve(c->io.head_end() + size_t(want))) reparse_head(c);
    }
    if (c->request.expect_continue) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!c->io.try_send(std::string_view(kContinue, sizeof(kContinue) - 1))) {
        close_conn(c);
        return;
      }
    }
  }
  // Body: read up to the prefetch bound on the loop, so a slow uploader
  // never holds an application thread for its first megabyte.
  switch (c->request.framing) {
    case http::BodyFraming::kNone: break;
    case http::BodyFraming::kContentLength: {
      uint64_t want = std::min<uint64_t>(c->request.content_length, options_.body_prefetch_bytes);
      if (c->io.end() - c->io.pos() < want) return;
      break;
    }
    case http::BodyFraming::kChunked:
      switch (c->body.prefetch_buffered(options_.body_prefetch_bytes)) {
        case BodyReader::Prefetch::kReady: break;
        case BodyReader::Prefetch::kNeedInput: return;
        case BodyReader::Prefetch::kError:
          reject(c, c->body.framing_error(), "invalid chunked body");
          return;
      }
      break;
  }
  dispatch(c);
}

void LoopWorker::dispatch(Conn* c) {
  c->ready_us = pool_ ? sys::monotonic_us() : 0;  // the wait for a thread starts; no pool, no wait
  unlink(c);
  c->state = Conn::State::kRunning;
  ++running_;
  // An application thread owns the connection now. A level-triggered (TLS)
  // one leaves epoll, whose EPOLLHUP and EPOLLERR would otherwise spin the
  // loop while the app runs, and so does one whose body the app will read
  // from the socket (each arriving segment would wake the loop for
  // nothing). Otherwise it stays, saving two epoll_ctl calls, and an event
  // meanwhile is remembered (missed_edge). With threads == 1 the loop
  // itself runs the app and sees no events meanwhile.
  if (pool_ && (!c->edge || !c->body.buffered_to_end())) watch(c, 0);
  const size_t max_keepalived =
      size_t(std::max(0, options_.worker_connections - options_.threads));
  // The last request before a max_requests recycle says "close", so no
  // client sends another request on a connection about to go away.
  const bool last_before_recycle =
      options_.max_requests > 0 && served_ + int64_t(running_) >= options_.max_requests;
  c->keep_alive = !sync_ && alive_ && options_.keepalive_seconds > 0 && !c->request.must_close &&
                  idle_.size() < max_keepalived && !last_before_recycle;
  if (last_before_recycle) {
    retiring_ = true;
    set_accepting(false);  // new connections go to the other workers
  }
  c->response.reset(&c->io, c->request.method == "HEAD", c->request.version_major,
                    c->request.version_minor, c->keep_alive);
  c->response.set_keep_alive_checks(&c->body, kDrainBytes, &alive_);
  // gthread finishes what the socket does not take at once (a large body's
  // tail, a file) from the loop, between its other connections, so no
  // application thread waits for a slow reader; sync serves one request at
  // a time, to its end.
  c->response.set_defer(!sync_);
  if (pool_) {
    c->io.uncork();  // the thread may take a while: the previous response goes now
    pool_->submit(c);
  } else if (serving_inline_) {
    // A pipelined request, dispatched from the keep_alive() of the one
    // before it: the loop below serves it once the stack has unwound, so a
    // long pipeline does not grow the stack by a request each.
    next_inline_ = c;
  } else {
    serving_inline_ = true;
    for (Conn* next = c; next != nullptr; next = std::exchange(next_inline_, nullptr)) {
      run_request(next);
      complete(next);
    }
    serving_inline_ = false;
  }
}

int64_t LoopWorker::send_timeout_ms() const {
  return seconds_ms(options_.timeout_seconds > 0 ? options_.timeout_seconds : 30);
}

void LoopWorker::run_request(Conn* c) {
  Exchange exchange{c->request, c->io, c->body, c->response, c->end, c->ready_us};
  if (c->state == Conn::State::kEnding) {
    // The loop sent the rest of the response, or gave up on the client (usable false).
    const bool usable = std::exchange(c->end, nullptr)->run(exchange);
    c->usable = c->usable && usable;
  } else {
    // Reads (wsgi.input past the prefetch) and writes wait at most `timeout`
    // for the client; a client that stops reading is cut off, not held forever.
    c->io.set_wait_timeout(int(send_timeout_ms()));
    c->usable = app_.handle(exchange);
    c->io.set_wait_timeout(0);
  }
  if (!pool_) return;
  bool first;
  {
    std::lock_guard<std::mutex> lock(completions_mutex_);
    first = completions_.empty();
    completions_.push_back(c);
  }
  // One wake-up per batch: the loop reads the eventfd before it takes the
  // list, so a completion added after that finds the list empty and wakes it again.
  if (!first) return;
  uint64_t one = 1;
  (void)!::write(completions_fd_.get(), &one, sizeof(one));
}

void LoopWorker::collect_completed() {
  uint64_t count;
  (void)!::read(completions_fd_.get(), &count, sizeof(count));
  {
    std::lock_guard<std::mutex> lock(completions_mutex_);
    completed_.swap(completions_);
  }
  for (Conn* c : completed_) complete(c);
  completed_.clear();
}

void LoopWorker::complete(Conn* c) {
  if (c->end) {  // the application left part of its response to send
    start_sending(c);
    return;
  }
  --running_;
  ++served_;
  // Reuse needs a response that went out through the writer and said
  // keep-alive (an error page or a failed write says close). One that said
  // so before a stop is kept too: its client may send the next request at
  // once, and closing under it would lose that request (keep_alive() gives
  // it the short grace of a stopping worker).
  bool reuse = c->usable && c->keep_alive && c->response.headers_sent() &&
               !c->response.must_close();
  if (!reuse) {
    if (!c->usable) {
      close_conn(c);
      return;
    }
    bool unread = !c->body.wire_complete() || c->io.pos() < c->io.end();
    if (unread) start_linger(c);
    else close_conn(c);
    return;
  }
  if (c->body.wire_complete()) {
    keep_alive(c);
    return;
  }
  // The app left some of the body unread; the response promised keep-alive,
  // so it fits in the drain bound (ResponseWriter checked). Discard it as it
  // arrives, without blocking the loop.
  c->io.uncork();
  c->state = Conn::State::kDraining;
  watch(c, EPOLLIN);
  reading_.push_back(c, sys::monotonic_ms() + kDrainMs);
  drain(c);
}

void LoopWorker::start_sending(Conn* c) {
  c->state = Conn::State::kSending;
  sending_.push_back(c, sys::monotonic_ms() + send_timeout_ms());
  send_pending(c);
}

void LoopWorker::send_pending(Conn* c) {
  const uint64_t before = c->response.body_bytes_sent();
  std::string why;
  switch (c->response.send_pending(&why)) {
    case ResponseWriter::Progress::kAgain:
      // The bound is per wait, as for a write from the application: a
      // client that reads on, however slowly, is not cut off.
      if (c->response.body_bytes_sent() != before) {
        sending_.push_back(c, sys::monotonic_ms() + send_timeout_ms());
      }
      watch(c, EPOLLOUT);
      return;
    case ResponseWriter::Progress::kFailed:
      log_.debug("Ignoring write error: " + why);
      c->usable = false;
      break;
    case ResponseWriter::Progress::kDone:
      break;
  }
  end_after_send(c);
}

void LoopWorker::end_after_send(Conn* c) {
  unlink(c);
  c->state = Conn::State::kEnding;
  if (pool_) {
    if (!c->edge) watch(c, 0);
    pool_->submit(c);
  } else {
    run_request(c);
    complete(c);
  }
}

void LoopWorker::drain(Conn* c) {
  while (!c->body.wire_complete()) {
    auto bytes = c->body.peek();  // never blocks here: wait mode is off
    if (!bytes) {
      if (errno == EAGAIN) {  // more later
        watch(c, c->io.read_wants_write() ? EPOLLOUT : EPOLLIN);
        return;
      }
      close_conn(c);
      return;
    }
    if (bytes->empty()) break;
    c->body.consume(bytes->size());
  }
  if (c->body.saw_eof()) {
    close_conn(c);
    return;
  }
  keep_alive(c);
}

void LoopWorker::keep_alive(Conn* c) {
  unlink(c);
  c->io.start_next_request();
  c->request.reset();
  c->first_request = false;
  watch(c, EPOLLIN);
  if (c->io.end() > 0) {  // a pipelined request is already here
    c->state = Conn::State::kHead;
    reading_.push_back(c, header_deadline());
    advance(c);
    // A response held for this one leaves now unless the request went to a
    // pool thread (dispatch() sent it then) or was answered (with a send).
    if (c->state != Conn::State::kRunning) c->io.uncork();
  } else {
    c->state = Conn::State::kIdle;
    idle_.push_back(c, sys::monotonic_ms() + idle_timeout_ms());
  }
  read_held_input(c);
  read_again_later(c);
}

void LoopWorker::reject(Conn* c, http::ErrorKind kind, const std::string& detail) {
  const auto& info = http::error_info(kind);
  log_.debug(std::string("Invalid request from ") + c->io.peer().addr + ": " +
             std::string(info.class_name) + " " + detail);
  if (info.status != 0) {
    app_.rejected(info.status);
    // The page is small and the socket's send buffer empty: one try.
    std::string page = http::render_error_response(kind, detail);
    (void)c->io.try_send(page);
  }
  start_linger(c);
}

void LoopWorker::start_linger(Conn* c) {
  unlink(c);
  c->io.shutdown_write();
  c->state = Conn::State::kLingering;
  c->lingered = 0;
  watch(c, EPOLLIN);
  lingering_.push_back(c, sys::monotonic_ms() + kLingerMs);
  read_again_later(c);
}

void LoopWorker::drain_linger(Conn* c) {
  char sink[16 * 1024];
  while (true) {
    ssize_t n = ::recv(c->io.fd(), sink, sizeof(sink), MSG_DONTWAIT);
    if (n > 0) {
      c->lingered += size_t(n);
      if (c->lingered < kLingerBytes) continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    close_conn(c);  // EOF, error, or enough drained
    return;
  }
}

}  // namespace qilin::worker
