#include "kernels/cpu/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace p3d::cpu {

namespace {
// Set while a thread runs a parallel_for body: a nested call would deadlock the pool.
thread_local bool inside_body = false;
struct BodyScope {
  BodyScope() { inside_body = true; }
  ~BodyScope() { inside_body = false; }
};

// Tells the core this is a spin loop (saves power, frees the sibling hyperthread).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or kSpinMicroseconds pass; true when done() became true.
template <typename Done>
bool spin_until(Done&& done) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicroseconds);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (Clock::now() >= deadline) return done();
    // Let a thread that shares this core run: when the scheduler puts the worker on the
    // caller's core, pure spinning would keep the thread being waited for off it.
    std::this_thread::yield();
  }
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(0);
  return pool;
}

void ThreadPool::run_chunk(int index) {
  if (index >= job_chunks_) return;
  const int64_t begin = index * job_chunk_;
  const int64_t end = std::min(job_count_, begin + job_chunk_);
  try {
    BodyScope scope;
    (*job_)(begin, end, index);
  } catch (...) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto has_news = [&] {
      return stopping_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(has_news)) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleepers_;
      start_cv_.wait(lock, has_news);
      --sleepers_;
    }
    if (stopping_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    run_chunk(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (caller_asleep_) done_cv_.notify_one();
    }
  }
}

void ThreadPool::wait_for_workers() {
  auto all_done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (spin_until(all_done)) return;
  std::unique_lock<std::mutex> lock(mutex_);
  caller_asleep_ = true;
  done_cv_.wait(lock, all_done);
  caller_asleep_ = false;
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
    // Under the mutex, so a worker about to block cannot miss the new generation.
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &body;
    job_count_ = count;
    job_chunk_ = chunk;
    job_chunks_ = chunks;
    error_ = nullptr;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    if (sleepers_ > 0) start_cv_.notify_all();
  }
  std::exception_ptr caller_error;
  try {
    body(0, std::min(count, chunk), 0);
  } catch (...) {
    caller_error = std::current_exception();
  }
  wait_for_workers();
  std::lock_guard<std::mutex> lock(mutex_);
  job_ = nullptr;
  if (caller_error) std::rethrow_exception(caller_error);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace p3d::cpu
