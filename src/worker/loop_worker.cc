#include "worker/loop_worker.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/parse_error.h"
#include "http/request_parser.h"
#include "worker/body_reader.h"
#include "worker/connection.h"
#include "worker/response_writer.h"
#include "worker/worker_signals.h"

namespace qilin::worker {

namespace {

// epoll tags below any heap address: the signal pipe, the completion
// eventfd, the reloader's inotify fd, and listener i at kListenerTag + i.
constexpr uint64_t kSignalTag = 1;
constexpr uint64_t kCompletionTag = 2;
constexpr uint64_t kReloaderTag = 3;
constexpr int64_t kReloadTickMs = 1000;
constexpr uint64_t kListenerTag = 16;
constexpr uint64_t kMaxTag = 4096;

constexpr int64_t kLingerMs = 2000;
constexpr size_t kLingerBytes = 64 * 1024;
constexpr size_t kDrainBytes = 64 * 1024;
constexpr int64_t kDrainMs = 5000;
// After a stop, how long an idle keep-alive connection stays open for a
// request its client may already have sent (see begin_shutdown).
constexpr int64_t kIdleGraceMs = 500;

int64_t seconds_ms(int seconds) { return int64_t(seconds) * 1000; }
constexpr int64_t kNever = int64_t(1) << 62;  // a deadline that does not come

}  // namespace

struct LoopWorker::Conn : DeadlineNode, Job {
  // kHandshake (TLS only) comes before the first kHead, under the same
  // deadline: the handshake and the first head together get header_timeout.
  enum class State { kHandshake, kHead, kBody, kRunning, kDraining, kIdle, kLingering, kClosed };

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
  bool first_request = true;
  bool keep_alive = false;
  bool usable = true;
  size_t lingered = 0;
  int64_t ready_us = 0;  // when the request was complete, handed to the app
};

LoopWorker::LoopWorker(const WorkerOptions& options,
                             const std::vector<sys::Listener>& listeners,
                             sys::HeartbeatTable& heartbeat, int slot, log::ErrorLog& log, App& app)
    : options_(options),
      listeners_(listeners),
      heartbeat_(heartbeat),
      slot_(slot),
      log_(log),
      app_(app),
      sync_(options.kind != "gthread") {}

LoopWorker::~LoopWorker() {
  // An application thread still inside the app (graceful timeout passed)
  // cannot be joined; the process is about to exit anyway.
  if (running_ > 0) (void)pool_.release();
}

bool LoopWorker::setup() {
  // Request buffers and bodies of up to a few MiB come and go with every
  // large request. glibc would map and unmap each one (page faults on every
  // byte, every time); kept on the heap, they are reused warm.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  completions_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epoll_.valid() || !completions_fd_.valid()) {
    log_.error(std::string("gthread worker setup failed: ") + std::strerror(errno));
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kSignalTag;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, WorkerSignals::wake_fd(), &ev);
  ev.data.u64 = kCompletionTag;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, completions_fd_.get(), &ev);
  if (reloader_ && reloader_->fd() >= 0) {
    ev.data.u64 = kReloaderTag;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, reloader_->fd(), &ev);
  }
  if (!sync_ && options_.threads > 1) pool_ = std::make_unique<ThreadPool>(options_.threads, app_);
  else app_.thread_started();  // the loop thread runs the app itself
  set_accepting(true);
  return true;
}

void LoopWorker::set_code_reloader(CodeReloader* reloader, std::function<void()> on_change) {
  reloader_ = reloader;
  on_code_change_ = std::move(on_change);
  next_reload_tick_ms_ = sys::monotonic_ms() + kReloadTickMs;
}

void LoopWorker::code_changed(const std::string& path) {
  log_.info("Worker reloading: " + path + " modified");
  heartbeat_.mark_code_changed(slot_);  // the master counts it as a reload
  // Once is enough: the loop stops watching while the worker winds down.
  if (reloader_->fd() >= 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, reloader_->fd(), nullptr);
  reloader_ = nullptr;
  if (on_code_change_) on_code_change_();
  begin_shutdown(nullptr);
}

void LoopWorker::set_accepting(bool on) {
  if (on == accepting_) return;
  accepting_ = on;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (on) {
      // EPOLLEXCLUSIVE: one worker process wakes per new connection.
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLEXCLUSIVE;
      ev.data.u64 = kListenerTag + i;
      epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listeners_[i].fd(), &ev);
    } else {
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listeners_[i].fd(), nullptr);
    }
  }
}

void LoopWorker::watch(Conn* c, uint32_t events) {
  if (c->events == events) return;
  // A connection the app owns is taken out of epoll altogether: EPOLLHUP and
  // EPOLLERR are reported even with no events asked for, and would spin the
  // loop while the app runs.
  if (events == 0) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->io.fd(), nullptr);
  } else {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    epoll_ctl(epoll_.get(), c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->io.fd(), &ev);
  }
  c->events = events;
}

int LoopWorker::run() {
  if (!setup()) return 1;
  heartbeat_.mark_ready(slot_);  // the app is loaded and the listeners are watched
  const pid_t parent = getppid();
  const size_t cap = size_t(std::max(1, options_.worker_connections));
  epoll_event events[256];

  while (true) {
    heartbeat_.beat(slot_);
    if (WorkerSignals::take_reopen()) log::LogFile::reopen_all();
    if (WorkerSignals::quick_exit_signal()) break;  // INT, QUIT, ABRT: no draining
    if (alive_ && !WorkerSignals::alive()) begin_shutdown(nullptr);
    if (alive_ && options_.max_requests > 0 && served_ >= options_.max_requests) {
      begin_shutdown("Autorestarting worker after current request.");
    }
    if (getppid() != parent) {
      log_.info("Parent changed, shutting down: Worker");
      break;
    }
    int64_t now = sys::monotonic_ms();
    if (!alive_ && ((running_ == 0 && reading_.empty() && idle_.empty()) ||
                    now >= shutdown_deadline_ms_)) {
      break;
    }
    if (alive_ && !retiring_ && !accepting_ && open_ < cap) set_accepting(true);
    if (alive_ && reloader_ && now >= next_reload_tick_ms_) {
      next_reload_tick_ms_ = now + kReloadTickMs;
      if (auto changed = reloader_->on_tick()) {
        code_changed(*changed);
        continue;
      }
    }

    if (!pool_) app_.before_wait();
    int n = ::epoll_wait(epoll_.get(), events, 256, next_timeout_ms(now));
    if (n < 0 && errno != EINTR) {
      log_.error(std::string("epoll_wait failed: ") + std::strerror(errno));
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kSignalTag) {
        WorkerSignals::drain_wake_fd();
      } else if (tag == kCompletionTag) {
        collect_completed();
      } else if (tag == kReloaderTag) {
        auto changed = reloader_ ? reloader_->on_readable() : std::nullopt;
        if (changed) code_changed(*changed);
      } else if (tag >= kListenerTag && tag < kMaxTag) {
        if (alive_ && !retiring_) accept_ready(listeners_[tag - kListenerTag]);
      } else {
        on_readable(static_cast<Conn*>(events[i].data.ptr));
      }
    }
    expire(sys::monotonic_ms());
  }
  if (!pool_) app_.before_wait();
  for (auto& c : owned_) {
    if (c->io.open() && c->state != Conn::State::kRunning) close_conn(c.get());
  }
  if (running_ == 0) {
    if (pool_) pool_->stop();
    else app_.thread_stopping();
  }
  return 0;
}

int64_t LoopWorker::idle_timeout_ms() const {
  const int64_t keepalive = seconds_ms(options_.keepalive_seconds);
  return alive_ ? keepalive : std::min(keepalive, kIdleGraceMs);
}

int64_t LoopWorker::header_deadline() const {
  if (options_.header_timeout_seconds <= 0) return kNever;
  return sys::monotonic_ms() + seconds_ms(options_.header_timeout_seconds);
}

int LoopWorker::next_timeout_ms(int64_t now) const {
  int64_t wake = now + 1000;  // heartbeat and parent checks at least once a second
  for (const DeadlineList* list : {&reading_, &idle_, &lingering_}) {
    if (!list->empty()) wake = std::min(wake, list->front()->deadline_ms);
  }
  if (!alive_) wake = std::min(wake, shutdown_deadline_ms_);
  if (reloader_) wake = std::min(wake, next_reload_tick_ms_);
  return int(std::max<int64_t>(0, wake - now));
}

void LoopWorker::accept_ready(const sys::Listener& listener) {
  const size_t cap = size_t(std::max(1, options_.worker_connections));
  // sync takes one connection per turn of the loop: the listener stays
  // readable while more wait, and between turns an idle sibling may take them.
  for (size_t taken = 0; open_ < cap && !(sync_ && taken == 1); ++taken) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = ::accept4(listener.fd(), reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;  // EAGAIN: another worker took it, or the queue is empty
    Conn* c;
    if (!free_.empty()) {
      c = free_.back();
      free_.pop_back();
    } else {
      owned_.push_back(std::make_unique<Conn>(this));
      c = owned_.back().get();
    }
    if (!listener.is_unix()) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->io.attach(fd, listener.is_unix() ? PeerAddress{"", -1, true} : peer_of(ss), &listener);
    c->trust = options_.trust(c->io.peer());
    c->request.reset();
    c->proxy = http::ProxyInfo();
    c->state = Conn::State::kHead;
    c->first_request = true;
    c->usable = true;
    c->events = EPOLLIN;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
    reading_.push_back(c, header_deadline());
    ++open_;
    if (options_.tls) {
      c->state = Conn::State::kHandshake;
      if (!c->io.start_tls(*options_.tls)) {
        log_.error("Cannot start TLS on a new connection (out of memory)");
        close_conn(c);
        continue;
      }
    }
    // The request usually arrived with the connection: serve it now rather
    // than after another epoll round trip.
    on_readable(c);
  }
  if (open_ >= cap) set_accepting(false);
}

void LoopWorker::on_readable(Conn* c) {
  if (c->state == Conn::State::kLingering) {
    drain_linger(c);
    return;
  }
  // A stale event from this epoll batch: the connection was handed to the
  // app or closed (and maybe reused) while an earlier event was handled.
  if (c->state == Conn::State::kRunning || c->state == Conn::State::kClosed) return;
  if (c->state == Conn::State::kHandshake) {
    shake_hands(c);
    return;
  }
  if (c->state == Conn::State::kIdle) {
    c->state = Conn::State::kHead;
    reading_.push_back(c, header_deadline());
  }
  if (c->state == Conn::State::kDraining) {
    drain(c);
    return;
  }
  const char* before = c->io.data();
  ssize_t n = c->io.read_more();
  if (n < 0) {
    if (errno == EAGAIN) {
      // TLS may have to write before it can read on (a key update).
      watch(c, c->io.read_wants_write() ? EPOLLOUT : EPOLLIN);
      return;
    }
    if (errno == ENOBUFS) {
      reject(c, http::ErrorKind::kLimitRequestHeaders, "max buffer headers");
    } else {
      close_conn(c);
    }
    return;
  }
  if (n == 0) {
    // EOF before a complete request: gunicorn's NoMoreData, closed quietly.
    // A Content-Length body cut short still reaches the app, as in the sync worker.
    if (c->state == Conn::State::kBody && c->request.framing == http::BodyFraming::kContentLength) {
      dispatch(c);
    } else {
      close_conn(c);
    }
    return;
  }
  if (c->state == Conn::State::kHead && c->io.data() != before) {
    c->request.reset();  // a partial parse holds views into the old buffer
  }
  if (c->state == Conn::State::kBody && c->io.data() != before) reparse_head(c);
  if (c->state == Conn::State::kBody) {
    // Body bytes are arriving: the bound is per read, not for the whole body.
    const int bound = std::max(options_.header_timeout_seconds, options_.timeout_seconds);
    reading_.push_back(c, bound > 0 ? sys::monotonic_ms() + seconds_ms(bound) : kNever);
  }
  advance(c);
  read_held_input(c);
}

void LoopWorker::read_held_input(Conn* c) {
  // TLS may hold decrypted bytes that the socket will not signal again.
  const bool reading = c->state == Conn::State::kHead || c->state == Conn::State::kBody ||
                       c->state == Conn::State::kIdle;
  if (reading && c->io.has_buffered_input()) on_readable(c);
}

void LoopWorker::shake_hands(Conn* c) {
  tls::Session* tls = c->io.tls();
  switch (tls->handshake()) {
    case tls::Session::Handshake::kAgain:
      watch(c, tls->wants_write() ? EPOLLOUT : EPOLLIN);
      return;
    case tls::Session::Handshake::kFailed:
      if (log_.enabled(log::Level::kDebug)) {
        log_.debug("TLS handshake with " + c->io.peer().addr + " failed: " + tls->error());
      }
      if (tls->plain_http()) {
        // Plain HTTP on the TLS port: a plain answer saying so, as nginx gives.
        static const std::string kPage = http::render_error_page(
            400, "Bad Request", "The plain HTTP request was sent to an HTTPS port.");
        (void)::send(c->io.fd(), kPage.data(), kPage.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        start_linger(c);
      } else {
        close_conn(c);
      }
      return;
    case tls::Session::Handshake::kDone:
      break;
  }
  if (log_.enabled(log::Level::kDebug)) {
    log_.debug("TLS handshake with " + c->io.peer().addr + ": " + tls->description() +
               (tls->kernel_send() ? ", kernel TLS sends" : ", OpenSSL sends (no kernel TLS)"));
  }
  c->state = Conn::State::kHead;
  watch(c, EPOLLIN);
  on_readable(c);  // the request often comes right behind the handshake
}

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
  // An application thread owns the connection now: the loop stops watching
  // it. With threads == 1 the loop itself runs the app and sees no events
  // meanwhile, so the two epoll_ctl calls per request are saved.
  if (pool_) watch(c, 0);
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
  if (pool_) {
    pool_->submit(c);
  } else {
    run_request(c);
    complete(c);
  }
}

void LoopWorker::run_request(Conn* c) {
  // Reads (wsgi.input past the prefetch) and writes wait at most `timeout`
  // for the client; a client that stops reading is cut off, not held forever.
  c->io.set_wait_timeout(int(seconds_ms(options_.timeout_seconds > 0 ? options_.timeout_seconds : 30)));
  Exchange exchange{c->request, c->io, c->body, c->response, c->ready_us};
  c->usable = app_.handle(exchange);
  c->io.set_wait_timeout(0);
  if (!pool_) return;
  {
    std::lock_guard<std::mutex> lock(completions_mutex_);
    completions_.push_back(c);
  }
  uint64_t one = 1;
  (void)!::write(completions_fd_.get(), &one, sizeof(one));
}

void LoopWorker::collect_completed() {
  uint64_t count;
  (void)!::read(completions_fd_.get(), &count, sizeof(count));
  std::vector<Conn*> done;
  {
    std::lock_guard<std::mutex> lock(completions_mutex_);
    done.swap(completions_);
  }
  for (Conn* c : done) complete(c);
}

void LoopWorker::complete(Conn* c) {
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
  c->state = Conn::State::kDraining;
  watch(c, EPOLLIN);
  reading_.push_back(c, sys::monotonic_ms() + kDrainMs);
  drain(c);
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
  } else {
    c->state = Conn::State::kIdle;
    idle_.push_back(c, sys::monotonic_ms() + idle_timeout_ms());
  }
  read_held_input(c);
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

void LoopWorker::close_conn(Conn* c) {
  unlink(c);
  c->io.close(false);  // closing the fd also removes it from epoll
  c->events = 0;
  c->state = Conn::State::kClosed;
  --open_;
  free_.push_back(c);
}

void LoopWorker::expire(int64_t now) {
  while (!reading_.empty() && reading_.front()->deadline_ms <= now) {
    Conn* c = static_cast<Conn*>(reading_.front());
    // A head that started arriving gets 408; a silent connection, or a TLS
    // handshake that did not finish, just closes.
    if (c->state == Conn::State::kHandshake && log_.enabled(log::Level::kDebug)) {
      log_.debug("TLS handshake with " + c->io.peer().addr + " timed out");
    }
    if (c->io.end() > 0 && c->state == Conn::State::kHead) {
      reject(c, http::ErrorKind::kRequestTimeout, "");
    } else {
      close_conn(c);
    }
  }
  for (DeadlineList* list : {&idle_, &lingering_}) {
    while (!list->empty() && list->front()->deadline_ms <= now) {
      close_conn(static_cast<Conn*>(list->front()));
    }
  }
}

void LoopWorker::begin_shutdown(const char* why) {
  if (why) log_.info(why);
  alive_ = false;
  set_accepting(false);
  const int64_t now = sys::monotonic_ms();
  shutdown_deadline_ms_ = now + seconds_ms(options_.graceful_timeout_seconds);
  // Requests already arriving are served (their responses say close),
  // within their head bound and the graceful timeout, like the ones the app
  // is running: a client that connected before the stop does not lose its
  // request. Idle keep-alive connections close within kIdleGraceMs rather
  // than at once: a client that read its last response just before the stop
  // may have sent the next request already, and closing under it would reset
  // that request; one that arrives in the grace is served and says close.
  // Shortening every deadline by the same bound keeps the list in order.
  for (DeadlineNode* n = idle_.front(); n; n = n->next) {
    n->deadline_ms = std::min(n->deadline_ms, now + kIdleGraceMs);
  }
}

}  // namespace qilin::worker
