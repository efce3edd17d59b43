// The tiled CPU kernels' work queue (kernels/cpu/tile_queue.h): every task is handed out
// exactly once however the threads race, each thread starts on its own contiguous share,
// and a thread that finds its share done takes the others' leftovers.
#include "kernels/cpu/tile_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace p3d::cpu {
namespace {

TEST(TileQueue, EachThreadStartsOnItsOwnContiguousShare) {
  TileQueue queue(10, 3);  // shares [0, 3), [3, 6), [6, 10)
  EXPECT_EQ(queue.next(1), 3);
  EXPECT_EQ(queue.next(2), 6);
  EXPECT_EQ(queue.next(0), 0);
  EXPECT_EQ(queue.next(1), 4);
  EXPECT_EQ(queue.next(1), 5);
  // Share 1 is done: thread 1 takes from share 2, then share 0.
  EXPECT_EQ(queue.next(1), 7);
  EXPECT_EQ(queue.next(1), 8);
  EXPECT_EQ(queue.next(1), 9);
  EXPECT_EQ(queue.next(1), 1);
  EXPECT_EQ(queue.next(0), 2);
  EXPECT_EQ(queue.next(0), -1);
  EXPECT_EQ(queue.next(2), -1);
}

TEST(TileQueue, OneThreadTakesEveryTaskInOrder) {
  TileQueue queue(5, 1);
  for (int64_t t = 0; t < 5; ++t) EXPECT_EQ(queue.next(0), t);
  EXPECT_EQ(queue.next(0), -1);
}

TEST(TileQueue, FewerTasksThanThreadsAndNoTasks) {
  TileQueue few(2, 4);  // shares [0,0) [0,1) [1,1) [1,2)
  EXPECT_EQ(few.next(0), 0);
  EXPECT_EQ(few.next(0), 1);
  EXPECT_EQ(few.next(3), -1);
  TileQueue none(0, 2);
  EXPECT_EQ(none.next(0), -1);
  EXPECT_EQ(none.next(1), -1);
}

TEST(TileQueue, ThreadsBeyondTheShareLimitFoldOntoShares) {
  const int threads = TileQueue::kMaxShares + 6;
  TileQueue queue(1000, threads);
  std::vector<int> seen(1000, 0);
  for (int thread = 0; thread < threads; ++thread)
    for (int64_t t = queue.next(thread); t >= 0; t = queue.next(thread)) ++seen[t];
  for (int64_t t = 0; t < 1000; ++t) EXPECT_EQ(seen[t], 1) << "task " << t;
}

TEST(TileQueue, RacingThreadsTakeEveryTaskExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int64_t kTasks = 20000;
  for (int round = 0; round < 20; ++round) {
    TileQueue queue(kTasks, kThreads);
    std::vector<std::atomic<int>> seen(kTasks);
    std::vector<std::thread> threads;
    for (int thread = 0; thread < kThreads; ++thread)
      threads.emplace_back([&, thread] {
        for (int64_t t = queue.next(thread); t >= 0; t = queue.next(thread))
          seen[t].fetch_add(1, std::memory_order_relaxed);
      });
    for (auto& t : threads) t.join();
    for (int64_t t = 0; t < kTasks; ++t) ASSERT_EQ(seen[t].load(), 1) << "task " << t;
  }
}

}  // namespace
}  // namespace p3d::cpu
