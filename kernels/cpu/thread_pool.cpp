#include "kernels/cpu/thread_pool.h"

#include <algorithm>
#include <stdexcept>

namespace p3d::cpu {

namespace {
// Set while a thread runs a parallel_for body: a nested call would deadlock the pool.
thread_local bool inside_body = false;
struct BodyScope {
  BodyScope() { inside_body = true; }
  ~BodyScope() { inside_body = false; }
};
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(0);
  return pool;
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    const auto* job = job_;
    const int64_t begin = index * job_chunk_;
    const bool has_work = index < job_chunks_;
    const int64_t end = std::min(job_count_, begin + job_chunk_);
    lock.unlock();
    if (has_work) {
      try {
        BodyScope scope;
        (*job)(begin, end, index);
      } catch (...) {
        std::lock_guard<std::mutex> guard(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
    lock.lock();
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

void ThreadPool::parallel_for(int64_t count, int64_t grain,
                              const std::function<void(int64_t, int64_t, int)>& body) {
  if (count <= 0) return;
  if (inside_body)
    throw std::logic_error("ThreadPool::parallel_for called from inside a parallel_for body");
  std::lock_guard<std::mutex> one_job_at_a_time(call_mutex_);
  BodyScope scope;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = std::max<int64_t>(1, count / grain);
  const int chunks = static_cast<int>(std::min<int64_t>(size(), max_chunks));
  if (chunks == 1 || workers_.empty()) {
    body(0, count, 0);
    return;
  }
  const int64_t chunk = (count + chunks - 1) / chunks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &body;
    job_count_ = count;
    job_chunk_ = chunk;
    job_chunks_ = chunks;
    pending_ = static_cast<int>(workers_.size());
    error_ = nullptr;
    ++generation_;
  }
  start_cv_.notify_all();
  std::exception_ptr caller_error;
  try {
    body(0, std::min(count, chunk), 0);
  } catch (...) {
    caller_error = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
  if (caller_error) std::rethrow_exception(caller_error);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace p3d::cpu
