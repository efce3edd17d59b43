// Launch helpers shared by the custom CUDA kernels: 1-D grid-stride geometry with 64-bit
// indices, pointer-alignment tests for vectorised paths, and the unsigned "word" types the
// data-movement kernels copy elements with (they move bytes, not values, so one kernel per
// element size serves every dtype).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/error.h"

namespace p3d::cuda::detail {

// Upper bound on the blocks of a grid-stride launch. 65536 blocks of 256 threads is ~60
// waves of an H100; larger tensors loop inside the kernel instead of growing the grid.
constexpr int64_t kMaxGridBlocks = 65536;

// Blocks for `items` work items at `block` threads each (at least 1, at most the cap).
inline unsigned int grid_blocks(int64_t items, int block) {
  const int64_t blocks = (items + block - 1) / block;
  if (blocks < 1) return 1u;
  return static_cast<unsigned int>(blocks < kMaxGridBlocks ? blocks : kMaxGridBlocks);
}

inline bool is_aligned(const void* ptr, uintptr_t bytes) {
  return reinterpret_cast<uintptr_t>(ptr) % bytes == 0;
}

// First index of this thread and the stride of a 1-D grid-stride loop, both 64-bit so
// tensors past 2^31 elements index correctly.
__device__ __forceinline__ int64_t grid_thread_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_thread_count() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

// An unsigned type of exactly `Bytes` bytes (its alignment equals its size).
template <int Bytes>
struct Word;
template <>
struct Word<1> {
  using type = uint8_t;
};
template <>
struct Word<2> {
  using type = uint16_t;
};
template <>
struct Word<4> {
  using type = uint32_t;
};
template <>
struct Word<8> {
  using type = uint2;
};
template <>
struct Word<16> {
  using type = uint4;
};

}  // namespace p3d::cuda::detail
