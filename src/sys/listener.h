// A listening socket the master binds (or adopts) and every worker shares.
// Owned by the master; workers inherit the fd across fork. The description
// fields are fixed at bind time and read by workers to fill SERVER_NAME and
// SERVER_PORT. Not thread-safe to mutate; safe to read concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "sys/bind_address.h"
#include "sys/fd.h"

namespace qilin::sys {

struct ListenOptions {
  int backlog = 2048;
  bool reuse_port = false;
  int umask = 0;  // applied while binding unix sockets
  int64_t uid = 0, gid = 0;  // a unix socket's owner after bind (0: unchanged)
};

class Listener {
 public:
  Listener() = default;
  Listener(Listener&&) = default;
  Listener& operator=(Listener&&) = default;

  // Binds and listens. Errors are values carrying errno in `last_errno`.
  // An fd://N address adopts N (see adopt; its unix socket file is never
  // removed).
  static Result<Listener> open(const BindAddress& address, const ListenOptions& options,
                               int* last_errno);
  // Takes over `fd`, a stream socket this process inherited already bound:
  // fd://N, systemd's LISTEN_FDS, or the listeners an old master passed on
  // USR2. It listens again with this process's backlog and becomes
  // close-on-exec. `owns_file`: whether close() may remove a unix socket's
  // file (sockets an old master bound; not those of systemd or fd://).
  static Result<Listener> adopt(int fd, const ListenOptions& options, bool owns_file);

  // Whether this socket is what `address` asks for: the same unix path, the
  // same fd, or the same TCP address and port (port 0 asks for any port).
  bool serves(const BindAddress& address) const;

  int fd() const { return fd_.get(); }
  bool is_unix() const { return is_unix_; }
  // "http://127.0.0.1:8000", "http://[::1]:8000" or "unix:/path", as gunicorn logs it.
  const std::string& url() const { return url_; }
  // The bound host and port (after port 0 was resolved); unix: path and "".
  const std::string& server_name() const { return server_name_; }
  const std::string& server_port() const { return server_port_; }

  // Closes the socket; a unix socket's file is removed unless `keep_file`.
  void close(bool keep_file);

 private:
  Fd fd_;
  bool is_unix_ = false;
  bool owns_file_ = true;  // close() may unlink a unix socket's file
  std::string unix_path_;
  std::string url_;
  std::string server_name_;
  std::string server_port_;

  Status describe();  // fills url_/server_* from getsockname
};

// Connections waiting in a TCP listener's accept queue (TCP_INFO's
// tcpi_unacked, as gunicorn reads it); 0 when it cannot be read.
int listen_queue_length(int fd);

// Binds every address, retrying busy ones five times a second apart as
// gunicorn does. `log_error` receives the lines gunicorn logs while retrying.
// On failure the message is the final one-line reason.
template <typename LogFn>
Result<std::vector<Listener>> open_listeners(const std::vector<BindAddress>& addresses,
                                             const ListenOptions& options, LogFn log_error);

}  // namespace qilin::sys

#include "sys/listener_inl.h"
