// Turns asynchronous signals into bytes on a self-pipe that a loop can poll.
// The handler only writes the signal number (async-signal-safe); the owner
// reads them back in order. One instance per process; install() replaces the
// handlers of the given signals. After fork, the child must call reset().
#pragma once

#include <initializer_list>
#include <vector>

#include "sys/fd.h"

namespace qilin::sys {

class SignalQueue {
 public:
  SignalQueue() = default;
  SignalQueue(const SignalQueue&) = delete;
  SignalQueue& operator=(const SignalQueue&) = delete;

  // Creates the pipe and installs handlers for `signals` (SA_RESTART off so
  // blocking calls return EINTR).
  bool install(std::initializer_list<int> signals);
  // Restores default handlers for the installed signals and closes the pipe.
  void reset();

  // The read end, for poll(). Readable when a signal is pending.
  int fd() const { return read_.get(); }
  // Pops every pending signal, oldest first.
  std::vector<int> drain();
  // Wakes a poller without a signal (writes 0).
  void wake();

 private:
  Fd read_, write_;
  std::vector<int> installed_;
};

}  // namespace qilin::sys
