// The arena planner: buffers live at the same time never share bytes (a randomized
// property test over many lifetimes and sizes), the arena is at least the peak of live
// bytes and not much more, offsets are aligned, and simple cases reuse memory.
#include "engine/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

#include "kernels/error.h"

namespace p3d {
namespace {

size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

// Every pair overlapping in time must be disjoint in [offset, offset + aligned size).
void expect_valid(const std::vector<BufferRequest>& r, const MemoryPlan& plan) {
  ASSERT_EQ(plan.offsets.size(), r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 256, 0u) << "buffer " << i;
    EXPECT_LE(plan.offsets[i] + aligned(r[i].bytes), plan.total_bytes) << "buffer " << i;
    for (size_t j = i + 1; j < r.size(); ++j) {
      if (r[i].bytes == 0 || r[j].bytes == 0) continue;
      const bool live_together = r[i].first_use <= r[j].last_use && r[j].first_use <= r[i].last_use;
      const bool share_bytes = plan.offsets[i] < plan.offsets[j] + aligned(r[j].bytes) &&
                               plan.offsets[j] < plan.offsets[i] + aligned(r[i].bytes);
      ASSERT_FALSE(live_together && share_bytes)
          << "buffers " << i << " [" << r[i].first_use << "," << r[i].last_use << "] @"
          << plan.offsets[i] << " and " << j << " [" << r[j].first_use << "," << r[j].last_use
          << "] @" << plan.offsets[j];
    }
  }
}

TEST(MemoryPlanner, ChainReusesMemory) {
  // A chain a -> b -> c -> d: each buffer lives for two steps; a and c can share.
  std::vector<BufferRequest> r = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  MemoryPlan plan = plan_memory(r);
  expect_valid(r, plan);
  EXPECT_EQ(plan.total_bytes, 2 * aligned(1000));
  EXPECT_EQ(peak_live_bytes(r), 2 * aligned(1000));
}

TEST(MemoryPlanner, BestFitPicksTheSmallestHole) {
  // Largest first lays out L1 S1 L2 S2 L3; once the short S1 and S2 are dead, a late buffer
  // Q sees holes of 4096 (S1's) and 1024 (S2's) bytes and must take the smaller one.
  std::vector<BufferRequest> r = {
      {8192, 0, 10},  // L1
      {4096, 0, 1},   // S1
      {2048, 0, 10},  // L2
      {1024, 0, 1},   // S2
      {512, 0, 10},   // L3
      {300, 5, 6},    // Q
  };
  MemoryPlan plan = plan_memory(r);
  expect_valid(r, plan);
  EXPECT_EQ(plan.offsets[5], plan.offsets[3]);
  EXPECT_EQ(plan.total_bytes, 8192u + 4096 + 2048 + 1024 + 512);
}

TEST(MemoryPlanner, EdgeCases) {
  EXPECT_EQ(plan_memory({}).total_bytes, 0u);
  MemoryPlan plan = plan_memory({{0, 0, 3}, {10, 1, 1}});
  EXPECT_EQ(plan.total_bytes, 256u);
  EXPECT_THROW(plan_memory({{16, 3, 2}}), Error);
  EXPECT_THROW(plan_memory({{16, 0, 1}}, 100), Error);
  // A custom alignment is honoured.
  plan = plan_memory({{10, 0, 1}, {10, 0, 1}}, 64);
  EXPECT_EQ(plan.total_bytes, 128u);
}

TEST(MemoryPlanner, RandomizedNoOverlapAndNearPeak) {
  std::mt19937 rng(20240611);
  double worst_ratio = 1.0;
  for (int trial = 0; trial < 300; ++trial) {
    const int steps = 1 + static_cast<int>(rng() % 60);
    const int count = 1 + static_cast<int>(rng() % 120);
    std::vector<BufferRequest> r;
    for (int i = 0; i < count; ++i) {
      const int first = static_cast<int>(rng() % static_cast<unsigned>(steps));
      // Mostly short lifetimes (activations), some long ones (skip connections).
      const int span = rng() % 5 == 0 ? static_cast<int>(rng() % static_cast<unsigned>(steps))
                                      : static_cast<int>(rng() % 3);
      // Sizes over four orders of magnitude, some zero.
      const size_t bytes = rng() % 20 == 0 ? 0 : static_cast<size_t>(1) << (4 + rng() % 16);
      r.push_back({bytes + rng() % 300, first, first + span});
    }
    const MemoryPlan plan = plan_memory(r);
    expect_valid(r, plan);
    if (HasFatalFailure()) return;
    const size_t peak = peak_live_bytes(r);
    EXPECT_GE(plan.total_bytes, peak);
    // Greedy-by-size is not optimal, but on such workloads it stays within a small factor.
    EXPECT_LE(plan.total_bytes, 2 * peak) << "trial " << trial;
    if (peak)
      worst_ratio =
          std::max(worst_ratio, static_cast<double>(plan.total_bytes) / static_cast<double>(peak));
  }
  std::printf("worst arena / peak-live ratio over 300 random plans: %.3f\n", worst_ratio);
}

}  // namespace
}  // namespace p3d
