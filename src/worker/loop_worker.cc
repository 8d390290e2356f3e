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
#include "worker/loop_worker_conn.h"
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

// After a stop, how long an idle keep-alive connection stays open for a
// request its client may already have sent (see begin_shutdown).
constexpr int64_t kIdleGraceMs = 500;

}  // namespace

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
  // A request still under way (an application thread past the graceful
  // timeout, a response the loop was still sending, an end queued for a
  // thread) is left to the process's exit, which is near: its thread cannot
  // be joined, and its connection holds Python references that only the GIL
  // may let go.
  if (running_ > 0) {
    (void)pool_.release();
    for (auto& c : owned_) (void)c.release();
  }
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

namespace {
// How an edge-triggered connection is registered: EPOLLRDHUP tells the loop
// that a short read left the peer's FIN to read (see run()).
constexpr uint32_t kEdge = EPOLLET | EPOLLRDHUP;
}  // namespace

void LoopWorker::watch(Conn* c, uint32_t events) {
  if (c->events == events) return;
  // 0 takes the connection out of epoll altogether (EPOLLHUP and EPOLLERR
  // are reported even with no events asked for): see dispatch().
  if (events == 0) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->io.fd(), nullptr);
  } else {
    epoll_event ev{};
    ev.events = events | (c->edge ? kEdge : 0u);
    ev.data.ptr = c;
    epoll_ctl(epoll_.get(), c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->io.fd(), &ev);
  }
  c->events = events;
}

void LoopWorker::read_again_later(Conn* c) {
  // Only a connection the loop reads next: an application thread may be
  // reading one it owns.
  const bool reading = c->state == Conn::State::kHead || c->state == Conn::State::kBody ||
                       c->state == Conn::State::kIdle || c->state == Conn::State::kLingering;
  if (!reading || !c->edge || c->posted) return;
  if (!c->io.may_hold_unread() && !c->missed_edge) return;
  c->missed_edge = false;
  c->posted = true;
  read_again_.push_back(c);
}

void LoopWorker::read_again() {
  // Once per turn: a connection that fills its room again waits for the
  // next turn, after the others' events.
  reading_again_.swap(read_again_);
  for (Conn* c : reading_again_) {
    c->posted = false;
    if (c->io.open()) on_readable(c);
  }
  reading_again_.clear();
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
    const int timeout_ms = read_again_.empty() ? next_timeout_ms(now) : 0;
    int n = ::epoll_wait(epoll_.get(), events, 256, timeout_ms);
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
        Conn* c = static_cast<Conn*>(events[i].data.ptr);
        // The peer's FIN (or an error) may have come with the last bytes: a
        // short read takes the bytes, and no edge will announce the end.
        if (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->missed_edge = true;
        on_readable(c);
      }
    }
    read_again();
    expire(sys::monotonic_ms());
  }
  if (!pool_) app_.before_wait();
  for (auto& c : owned_) {
    const bool app_owns = c->state == Conn::State::kRunning || c->state == Conn::State::kEnding;
    if (c->io.open() && !app_owns) close_conn(c.get());
  }
  if (!pool_) app_.thread_stopping();  // no application call is under way
  else if (running_ == 0) pool_->stop();
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
  for (const DeadlineList* list : {&reading_, &idle_, &lingering_, &sending_}) {
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
    c->edge = !options_.tls;
    c->missed_edge = false;
    c->events = EPOLLIN;
    epoll_event ev{};
    ev.events = EPOLLIN | (c->edge ? kEdge : 0u);
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
  // The application owns the connection: an edge-triggered one stays in
  // epoll meanwhile, and what this event announced is read once the loop
  // has it back. Or a stale event from this batch: the connection was
  // handed to the app or closed (and maybe reused) while an earlier event
  // was handled.
  if (c->state == Conn::State::kRunning || c->state == Conn::State::kEnding) {
    c->missed_edge = true;
    return;
  }
  if (c->state == Conn::State::kClosed) return;
  if (c->state == Conn::State::kSending) {
    send_pending(c);
    return;
  }
  if (c->state == Conn::State::kHandshake) {
    shake_hands(c);
    return;
  }
  if (c->state == Conn::State::kDraining) {
    drain(c);
    return;
  }
  const char* before = c->io.data();
  ssize_t n = c->io.read_more();
  if (n > 0 && c->state == Conn::State::kIdle) {  // the next request starts
    c->state = Conn::State::kHead;
    reading_.push_back(c, header_deadline());
  }
  if (n < 0) {
    if (errno == EAGAIN) {  // (a kept-alive connection stays idle)
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
  read_again_later(c);
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
  while (!sending_.empty() && sending_.front()->deadline_ms <= now) {
    Conn* c = static_cast<Conn*>(sending_.front());
    log_.debug("Ignoring write error: the client stopped reading (timeout)");
    c->response.drop_pending();
    c->usable = false;
    end_after_send(c);
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