#include "worker/thread_pool.h"

#include <signal.h>

namespace qilin::worker {

ThreadPool::ThreadPool(int threads, App& app) : app_(app) {
  // Signals belong to the worker's main thread (its handlers wake the loop).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { thread_main(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::submit(Job* job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  ready_.notify_one();
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ThreadPool::thread_main() {
  app_.thread_started();
  while (true) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;
      job = queue_.front();
      queue_.pop_front();
    }
    job->run();
  }
  app_.thread_stopping();
}

}  // namespace qilin::worker
