// The work queue of the tiled CPU kernels (conv2d's GEMM paths, Winograd, matmul): tasks 0..n-1
// are cut into one contiguous share per thread, each thread takes its own share's tasks
// in order, and a thread that runs out takes what is left of the others' shares.
//
// Why not one shared counter: the tiles of a layer are its output rows, and a thread then
// took every other block, so the next layer's thread found half its input rows in the
// other core's cache. With contiguous shares the rows a thread writes are, in the next
// layer of the same size, mostly the rows it reads. Taking from the other shares keeps
// what the counter gave: a thread that starts late (a pool wake-up) simply does less.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace p3d::cpu {

class TileQueue {
 public:
  // Shares beyond this are folded onto the first ones (threads share a share).
  static constexpr int kMaxShares = 64;

  TileQueue(int64_t tasks, int threads) : shares_(std::clamp(threads, 1, kMaxShares)) {
    for (int s = 0; s < shares_; ++s) {
      share_[s].next.store(tasks * s / shares_, std::memory_order_relaxed);
      share_[s].end = tasks * (s + 1) / shares_;
    }
  }
  TileQueue(const TileQueue&) = delete;
  TileQueue& operator=(const TileQueue&) = delete;

  // The next task for `thread`, or -1 when every share is done.
  int64_t next(int thread) {
    const int own = thread % shares_;
    for (int k = 0; k < shares_; ++k) {
      Share& s = share_[(own + k) % shares_];
      if (s.next.load(std::memory_order_relaxed) >= s.end) continue;
      const int64_t task = s.next.fetch_add(1, std::memory_order_relaxed);
      if (task < s.end) return task;
    }
    return -1;
  }

 private:
  struct alignas(64) Share {  // one cache line each: threads do not contend on their own
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  int shares_;
  Share share_[kMaxShares];
};

}  // namespace p3d::cpu
