// A fixed pool of threads running jobs in submission order. Used by the
// gthread worker to run the application off the event loop. submit() may be
// called from any thread; jobs run concurrently on the pool's threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "worker/app.h"

namespace qilin::worker {

class Job {
 public:
  virtual ~Job() = default;
  virtual void run() = 0;
};

class ThreadPool {
 public:
  // Starts `threads` threads; each calls app.thread_started() first and
  // app.thread_stopping() last.
  ThreadPool(int threads, App& app);
  ~ThreadPool();  // stop()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(Job* job);
  // Lets queued jobs finish, then joins every thread.
  void stop();

 private:
  void thread_main();

  App& app_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace qilin::worker
