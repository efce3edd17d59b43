// A small fixed thread pool with a blocking parallel_for, used by every CPU kernel.
// Work is split into contiguous index ranges, one task per worker, so a kernel can keep a
// per-thread scratch area indexed by the `thread` argument it receives.
//
// A network runs a parallel_for per layer, tens of microseconds apart. Waking a thread
// blocked on a condition variable costs about as much (≈55 µs measured), so after each job
// the workers, and the caller waiting for them, spin for a short while (kSpinMicroseconds)
// before they block: back-to-back layers then start at once, and an idle pool still
// sleeps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace p3d::cpu {

class ThreadPool {
 public:
  // threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }  // workers + caller

  // Calls body(begin, end, thread) over a partition of [0, count) into at most size()
  // ranges of at least `grain` items; thread is in [0, size()). Blocks until all are done.
  // The calling thread takes part. Exceptions thrown by body are rethrown here (the first).
  // Calls from several threads are serialised; a call from inside a body throws.
  void parallel_for(int64_t count, int64_t grain,
                    const std::function<void(int64_t begin, int64_t end, int thread)>& body);

  // The process-wide pool the backends use unless given another.
  static ThreadPool& global();

  // How long an idle worker (or a caller waiting for workers) spins before blocking.
  static constexpr int kSpinMicroseconds = 200;

 private:
  void worker_loop(int index);
  void run_chunk(int index);
  void wait_for_workers();

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;       // guards sleepers_, error_ and the blocking waits
  std::condition_variable start_cv_, done_cv_;
  // The job: written by the caller before it publishes a new generation_ (release), read
  // by workers after they see it (acquire).
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_count_ = 0, job_chunk_ = 0;
  int job_chunks_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  // workers still running the current job
  std::atomic<bool> stopping_{false};
  int sleepers_ = 0;  // workers blocked on start_cv_
  bool caller_asleep_ = false;
  std::exception_ptr error_;
};

}  // namespace p3d::cpu
