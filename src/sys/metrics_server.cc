#include "sys/metrics_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

namespace qilin::sys {

namespace {

constexpr int kClientTimeoutMs = 2000;
constexpr size_t kMaxRequestHead = 8192;

void send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += size_t(n);
  }
}

std::string response(const char* status, const std::string& body, bool head) {
  std::string out = std::string("HTTP/1.1 ") + status +
                    "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace

MetricsServer::~MetricsServer() { stop(); }

Status MetricsServer::bind(const std::string& address) {
  auto parsed = parse_bind_address(address);
  if (!parsed) return Status::error("metrics_bind: " + parsed.message());
  int last_errno = 0;
  auto opened = Listener::open(*parsed, ListenOptions{}, &last_errno);
  if (!opened) return Status::error("metrics_bind: " + opened.message());
  listener_ = std::move(*opened);
  return Status::ok();
}

void MetricsServer::start(std::function<std::string()> render) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  render_ = std::move(render);
  thread_ = std::thread([this] { serve(); });
}

void MetricsServer::stop() {
  if (!thread_.joinable()) return;
  char byte = 1;
  (void)!::write(wake_write_.get(), &byte, 1);
  thread_.join();
}

void MetricsServer::serve() {
  // Signals belong to the master's main thread.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  while (true) {
    pollfd fds[2] = {{listener_.fd(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    int client = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    answer(client);
    ::close(client);
  }
}

void MetricsServer::answer(int client) {
  timeval tv{kClientTimeoutMs / 1000, (kClientTimeoutMs % 1000) * 1000};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos) {
    if (head.size() > kMaxRequestHead) return;
    ssize_t n = ::recv(client, buf, sizeof(buf), 0);
    if (n <= 0) return;  // closed, or silent past the timeout
    head.append(buf, size_t(n));
  }
  const std::string line = head.substr(0, head.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    send_all(client, response("400 Bad Request", "bad request\n", false));
    return;
  }
  const std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    send_all(client, response("405 Method Not Allowed", "only GET\n", false));
  } else if (target != "/metrics") {
    send_all(client, response("404 Not Found", "see /metrics\n", head_only));
  } else {
    send_all(client, response("200 OK", render_(), head_only));
  }
}

}  // namespace qilin::sys
