// The worker loop behind both native worker kinds: one epoll loop per worker
// process owns the listeners and every connection. It accepts, reads and
// parses request heads (and bodies up to a bound) without the GIL, and only
// hands a request to the application once it is complete, so a client that
// is slow to send never occupies the application.
//
//   gthread  holds idle keep-alive connections and hands complete requests
//            to a pool of `threads` application threads (with threads == 1
//            the application runs on the loop thread, no hand-off). A thread
//            runs the app and writes the response with bounded waits, then
//            gives the connection back to the loop. Over plain TCP the
//            writes never wait: what the socket does not take at once (the
//            tail of a body, a wsgi.file_wrapper file for sendfile(2)) the
//            loop sends as the client reads, between its other
//            connections, then an application thread finishes the request
//            (close(), access log, post_request). Only a streamed body
//            (a generator's items before its last) and start_response's
//            write() wait on the thread. sendfile(2) reads the file's pages
//            on the loop: a file not in the page cache makes the loop wait
//            for the disk, as nginx's does without aio.
//   sync     gunicorn's sync semantics: the application runs on the loop
//            thread, one request at a time, and every response says
//            "Connection: close". Connections are taken from the backlog one
//            at a time and served at once when their head is already there,
//            so a busy worker does not hoard clients that another worker
//            could serve; only those still sending their head wait here,
//            within header_timeout, instead of holding the worker as
//            gunicorn's sync worker does.
//
// Connections are edge-triggered over plain TCP and unix sockets, so the
// loop serves them in the order their requests arrive (level triggering put
// a connection served in one turn back ahead of those that became ready
// after it, which made keep-alive latency bimodal). A read that fills its
// room may leave bytes epoll will not announce again: such a connection is
// read once more at the end of the turn. TLS stays level-triggered.
//
// TLS (certfile set): every connection starts with a non-blocking handshake
// on the loop, without the GIL, within header_timeout together with its
// first request head; a stalled or failed handshake is closed there and
// never reaches an application thread. Plain HTTP sent to the TLS port gets
// a 400 in plain text.
//
// Signals: TERM stops accepting, lets in-flight requests finish within
// graceful_timeout, then exits; idle keep-alive connections close after a
// short grace (half a second) in which a request already on its way is still
// served, with "Connection: close"; INT/QUIT/ABRT exit at once; USR1 reopens
// the log files. With --reload the loop also watches the loaded source files
// (code_reloader.h): when one changes it logs "Worker reloading: <file>
// modified", calls the reload callback (the worker_int hook, as gunicorn's
// reloader does) and stops as on TERM. The worker marks its heartbeat slot ready once it accepts
// connections (the app is loaded by then). The heartbeat comes from the loop: in
// gthread a long request does not stop it, but a loop that stops turning
// does; in sync the running application stops it, so `timeout` bounds a
// request, as in gunicorn.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "http/request_parser.h"
#include "log/error_log.h"
#include "log/log_file.h"
#include "sys/fd.h"
#include "sys/heartbeat_table.h"
#include "sys/listener.h"
#include "worker/app.h"
#include "worker/code_reloader.h"
#include "worker/deadline_list.h"
#include "worker/thread_pool.h"
#include "worker/worker_options.h"

namespace qilin::worker {

class LoopWorker {
 public:
  LoopWorker(const WorkerOptions& options, const std::vector<sys::Listener>& listeners,
                sys::HeartbeatTable& heartbeat, int slot, log::ErrorLog& log, App& app);
  ~LoopWorker();
  int run();  // returns the exit code
  // --reload: before run(). `reloader` must outlive run(); `on_change` is
  // called on the loop thread once a watched file changed, before the stop.
  void set_code_reloader(CodeReloader* reloader, std::function<void()> on_change);

  struct Conn;  // one client connection (defined in the .cc)

 private:
  bool setup();
  void accept_ready(const sys::Listener& listener);
  void on_readable(Conn* c);
  // TLS: advances the handshake; when done, reads the first request.
  void shake_hands(Conn* c);
  // Reads on while TLS holds decrypted input the socket will not signal.
  void read_held_input(Conn* c);
  // Advances a connection through head and body reading with what is
  // buffered; dispatches, rejects, or waits for more input.
  void advance(Conn* c);
  void reparse_head(Conn* c);  // after the buffer moved under a parsed head
  http::PeerContext peer_context(const Conn* c) const;
  void dispatch(Conn* c);
  void run_request(Conn* c);  // on an application thread, or the loop with threads == 1
  void complete(Conn* c);     // back on the loop after the application
  // The rest of a response the application left (ResponseWriter::
  // has_pending: the tail of its body, or a file): the loop sends it while
  // the socket is writable, within the send bound per wait, then hands the
  // connection back for the application's end.
  void start_sending(Conn* c);
  void send_pending(Conn* c);
  void end_after_send(Conn* c);
  int64_t send_timeout_ms() const;  // how long a write may wait for the client
  // Reads and discards the rest of an unread body, then keeps the connection.
  void drain(Conn* c);
  void keep_alive(Conn* c);   // ready for the next request on `c`
  void collect_completed();
  void reject(Conn* c, http::ErrorKind kind, const std::string& detail);
  void start_linger(Conn* c);
  void drain_linger(Conn* c);
  void close_conn(Conn* c);
  void expire(int64_t now);
  void begin_shutdown(const char* why);
  void set_accepting(bool on);
  void watch(Conn* c, uint32_t events);
  // Edge-triggered connections whose last read filled its room get read
  // again at the end of the turn: epoll will not announce what was left.
  void read_again_later(Conn* c);
  void read_again();
  int next_timeout_ms(int64_t now) const;
  int64_t header_deadline() const;  // when a head starting now must be complete
  int64_t idle_timeout_ms() const;  // how long a kept-alive connection may idle now
  void code_changed(const std::string& path);

  const WorkerOptions& options_;
  const std::vector<sys::Listener>& listeners_;
  sys::HeartbeatTable& heartbeat_;
  int slot_;
  log::ErrorLog& log_;
  App& app_;
  const bool sync_;  // one request per connection, accepted one at a time

  sys::Fd epoll_;
  sys::Fd completions_fd_;  // eventfd: application threads -> loop
  std::mutex completions_mutex_;
  std::vector<Conn*> completions_;
  std::vector<Conn*> completed_;  // the loop's side of the swap: no allocation per batch
  std::unique_ptr<ThreadPool> pool_;

  std::vector<std::unique_ptr<Conn>> owned_;  // every connection object made
  std::vector<Conn*> free_;                   // closed ones, reused
  std::vector<Conn*> read_again_, reading_again_;  // see read_again_later()
  bool serving_inline_ = false;  // threads == 1: dispatch() is running a request
  Conn* next_inline_ = nullptr;  // the pipelined request it runs next
  size_t open_ = 0;
  size_t running_ = 0;
  bool accepting_ = false;
  bool retiring_ = false;  // the max_requests-th request is in: accept no more
  std::atomic<bool> alive_{true};  // read by application threads for keep-alive
  int64_t shutdown_deadline_ms_ = 0;
  int64_t served_ = 0;
  DeadlineList reading_;    // waiting for a request head, body bytes, or a drain
  DeadlineList idle_;       // kept alive between requests
  DeadlineList lingering_;  // half-closed, draining before close
  DeadlineList sending_;    // the rest of a response waiting for the client to read
  CodeReloader* reloader_ = nullptr;  // --reload; not owned
  std::function<void()> on_code_change_;
  int64_t next_reload_tick_ms_ = 0;
};

}  // namespace qilin::worker
