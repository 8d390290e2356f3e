#include "worker/sync_worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http/parse_error.h"
#include "http/request_parser.h"
#include "worker/worker_signals.h"

namespace qilin::worker {


SyncWorker::SyncWorker(const WorkerOptions& options, const std::vector<sys::Listener>& listeners,
                       sys::HeartbeatTable& heartbeat, int slot, log::ErrorLog& log, App& app)
    : options_(options),
      listeners_(listeners),
      heartbeat_(heartbeat),
      slot_(slot),
      log_(log),
      app_(app) {}

int SyncWorker::run() {
  const pid_t parent = getppid();
  std::vector<pollfd> fds;
  for (const auto& l : listeners_) fds.push_back({l.fd(), POLLIN, 0});
  fds.push_back({WorkerSignals::wake_fd(), POLLIN, 0});
  // Beat at least twice per timeout period, and at least once a second so a
  // vanished master is noticed quickly.
  int wait_ms = options_.timeout_seconds > 0 ? options_.timeout_seconds * 500 : 1000;
  if (wait_ms > 1000) wait_ms = 1000;

  while (WorkerSignals::alive()) {
    heartbeat_.beat(slot_);
    if (WorkerSignals::take_reopen()) log::LogFile::reopen_all();
    if (options_.max_requests > 0 && served_ >= options_.max_requests) {
      log_.info("Autorestarting worker after current request.");
      break;
    }
    if (accept_one()) continue;
    if (getppid() != parent) {
      log_.info("Parent changed, shutting down: Worker");
      break;
    }
    int rc = ::poll(fds.data(), fds.size(), wait_ms);
    if (rc < 0 && errno != EINTR) {
      log_.error(std::string("poll failed: ") + std::strerror(errno));
      return 1;
    }
    if (fds.back().revents) WorkerSignals::drain_wake_fd();
  }
  return 0;
}

bool SyncWorker::accept_one() {
  for (const auto& listener : listeners_) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = ::accept4(listener.fd(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN (another worker won), ECONNABORTED, EMFILE...
    serve(fd, listener);
    heartbeat_.beat(slot_);
    ++served_;
    return true;
  }
  return false;
}

void SyncWorker::reject(http::ErrorKind kind, const std::string& detail) {
  const auto& info = http::error_info(kind);
  log_.debug(std::string("Invalid request from ") + conn_.peer().addr + ": " +
             std::string(info.class_name) + " " + detail);
  if (info.status != 0) {
    (void)conn_.write_all(http::render_error_response(kind, detail));
  }
  conn_.close(/*linger=*/true);
}

bool SyncWorker::read_head(http::Request& request) {
  const http::PeerContext context = options_.trust(conn_.peer());
  while (true) {
    auto result = http::parse_request_head(options_.parser, context, conn_.data(), conn_.end(), &request);
    if (result.status == http::ParseResult::kComplete) {
      conn_.set_head_end(result.consumed);
      return true;
    }
    if (result.status == http::ParseResult::kError) {
      reject(result.error, result.detail);
      return false;
    }
    const char* before = conn_.data();
    ssize_t n = conn_.read_more();
    if (conn_.data() != before) request.reset();  // a partial parse points into the old buffer
    if (n > 0) continue;
    if (n < 0 && errno == ENOBUFS) {
      reject(http::ErrorKind::kLimitRequestHeaders, "max buffer headers");
      return false;
    }
    // EOF or a reset before a full head: gunicorn's NoMoreData, no response.
    if (conn_.end() > 0) log_.debug("Ignored premature client disconnection. No more data after: " +
                                    std::to_string(conn_.end()) + " bytes");
    conn_.close(false);
    return false;
  }
}

void SyncWorker::serve(int client_fd, const sys::Listener& listener) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getpeername(client_fd, reinterpret_cast<sockaddr*>(&ss), &len);
  conn_.attach(client_fd, listener.is_unix() ? PeerAddress{"", -1, true} : peer_of(ss), &listener);

  request_.reset();
  if (!read_head(request_)) return;

  if (request_.expect_continue) {
    if (!conn_.write_all("HTTP/1.1 100 Continue\r\n\r\n")) {
      conn_.close(false);
      return;
    }
  }
  body_.start(&conn_, request_, options_.parser);
  if (request_.framing == http::BodyFraming::kChunked) {
    Status s = body_.prefetch(options_.body_prefetch_bytes);
    if (!s) {
      if (body_.framing_error() != http::ErrorKind::kNone) {
        reject(body_.framing_error(), s.message());
      } else {
        conn_.close(false);
      }
      return;
    }
  }
  response_.reset(&conn_, request_.method == "HEAD", request_.version_major, request_.version_minor,
                  /*keep_alive=*/false);
  Exchange exchange{request_, conn_, body_, response_};
  bool usable = app_.handle(exchange);
  bool unread = !body_.wire_complete() || conn_.pos() < conn_.end();
  conn_.close(usable && unread);
}

}  // namespace qilin::worker
