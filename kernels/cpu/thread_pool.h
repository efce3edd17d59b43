// A small fixed thread pool with a blocking parallel_for, used by every CPU kernel.
// Work is split into contiguous index ranges, one task per worker, so a kernel can keep a
// per-thread scratch area indexed by the `thread` argument it receives.
#pragma once

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

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_count_ = 0, job_chunk_ = 0;
  int job_chunks_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace p3d::cpu
