// ReusableBuffers (kernels/reusable_buffers.h), the grow-then-reuse logic of the device
// context's scratch memory, on the host with a counting allocator: the first call at a
// size allocates, every later call at that size or less allocates nothing.
#include "kernels/reusable_buffers.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <stdexcept>

#include "kernels/error.h"

namespace p3d {
namespace {

class CountingAllocator final : public RawAllocator {
 public:
  void* allocate(size_t bytes) override {
    if (fail_next) {
      fail_next = false;
      P3D_THROW("counting allocator: refused ", bytes, " bytes");
    }
    ++allocations;
    last_bytes = bytes;
    void* p = std::aligned_alloc(256, bytes);
    live.insert(p);
    return p;
  }
  void release(void* ptr) noexcept override {
    ++releases;
    live.erase(ptr);
    std::free(ptr);
  }
  int allocations = 0, releases = 0;
  size_t last_bytes = 0;
  bool fail_next = false;
  std::set<void*> live;
};

TEST(ReusableBuffers, SecondCallAtTheSameSizeAllocatesNothing) {
  CountingAllocator a;
  ReusableBuffers buffers(a);
  void* first = buffers.get("x", 1000);
  EXPECT_EQ(a.allocations, 1);
  EXPECT_EQ(buffers.get("x", 1000), first);
  EXPECT_EQ(buffers.get("x", 10), first);  // smaller: the same memory
  EXPECT_EQ(a.allocations, 1);
  EXPECT_EQ(buffers.allocations(), 1u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 256, 0u);
}

TEST(ReusableBuffers, GrowsWhenAskedForMoreAndFreesTheOld) {
  CountingAllocator a;
  ReusableBuffers buffers(a);
  buffers.get("x", 1000);
  buffers.get("x", 5000);
  EXPECT_EQ(a.allocations, 2);
  EXPECT_EQ(a.releases, 1);
  EXPECT_GE(a.last_bytes, 5000u);
  EXPECT_EQ(a.live.size(), 1u);
  buffers.get("x", 5000);
  buffers.get("x", 4000);
  EXPECT_EQ(a.allocations, 2);
  EXPECT_GE(buffers.bytes_held(), 5000u);
}

TEST(ReusableBuffers, SlotsAreIndependent) {
  CountingAllocator a;
  ReusableBuffers buffers(a);
  char* x = static_cast<char*>(buffers.get("x", 512));
  char* y = static_cast<char*>(buffers.get("y", 512));
  EXPECT_NE(x, y);
  EXPECT_TRUE(x + 512 <= y || y + 512 <= x);  // no overlap
  EXPECT_EQ(buffers.slot_count(), 2u);
  EXPECT_EQ(buffers.get_as<float>("x", 128), reinterpret_cast<float*>(x));
  EXPECT_EQ(a.allocations, 2);
}

TEST(ReusableBuffers, ZeroBytesStillGivesMemory) {
  CountingAllocator a;
  ReusableBuffers buffers(a);
  EXPECT_NE(buffers.get("x", 0), nullptr);
  EXPECT_EQ(a.allocations, 1);
  buffers.get("x", 0);
  EXPECT_EQ(a.allocations, 1);
}

TEST(ReusableBuffers, FailedGrowthKeepsTheOldBuffer) {
  CountingAllocator a;
  ReusableBuffers buffers(a);
  void* old = buffers.get("x", 256);
  a.fail_next = true;
  EXPECT_THROW(buffers.get("x", 1 << 20), Error);
  EXPECT_EQ(buffers.get("x", 256), old);  // still held, still valid
  EXPECT_EQ(a.live.size(), 1u);
}

TEST(ReusableBuffers, ReleasesEverythingOnDestruction) {
  CountingAllocator a;
  {
    ReusableBuffers buffers(a);
    buffers.get("x", 100);
    buffers.get("y", 100);
  }
  EXPECT_EQ(a.releases, 2);
  EXPECT_TRUE(a.live.empty());
}

}  // namespace
}  // namespace p3d
