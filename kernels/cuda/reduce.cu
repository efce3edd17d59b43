// Sum / mean / max over the middle axis of [outer, reduced, inner] -> [outer, inner].
// Three shapes of work, one kernel each, all summing in a fixed order (deterministic):
//   - inner >= 32 (e.g. global average pooling over NHWC): a block owns 32 adjacent
//     columns of one outer slice; its 32 x 8 threads read rows coalesced and combine
//     their 8 partial results in shared memory;
//   - inner < 32 and a short reduced axis: one thread per output;
//   - inner < 32 and a long reduced axis (e.g. a mean over the last axis): one block per
//     output, threads striding the axis, then a warp-shuffle + shared-memory tree.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/static_dispatch.h"

namespace p3d::cuda {
namespace {

constexpr int kColumnTile = 32;  // columns per block of the column kernel
constexpr int kColumnRows = 8;   // threads per column (rows read in parallel)
constexpr int kRowBlock = 256;   // threads per output of the row kernel
constexpr int kThreadPerOutputBlock = 256;
constexpr int64_t kShortReduced = 64;  // at most this many -> one thread per output
constexpr int kWarp = 32;

// The combining rule and identity of each kind (sum and mean both add).
template <ReduceKind kKind>
struct Combine {
  static __device__ __forceinline__ float identity() {
    return kKind == ReduceKind::Max ? -INFINITY : 0.f;  // max of nothing is -inf
  }
  static __device__ __forceinline__ float apply(float acc, float v) {
    return kKind == ReduceKind::Max ? (v > acc ? v : acc) : acc + v;
  }
  static __device__ __forceinline__ float finish(float acc, int64_t reduced) {
    return kKind == ReduceKind::Mean ? acc / static_cast<float>(reduced) : acc;
  }
};

// Blocks of kColumnTile x kColumnRows threads; block b handles outer slice
// b / tiles and columns [(b % tiles) * 32, +32).
template <ReduceKind kKind>
static __global__ void reduce_columns_kernel(ReduceParams p, int64_t tiles,
                                             const float* __restrict__ x, float* __restrict__ y) {
  using C = Combine<kKind>;
  __shared__ float partial[kColumnRows][kColumnTile + 1];  // +1: no bank conflicts
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;
  for (int64_t b = blockIdx.x; b < p.outer * tiles; b += gridDim.x) {
    const int64_t o = b / tiles;
    const int64_t column = (b % tiles) * kColumnTile + tx;
    float acc = C::identity();
    if (column < p.inner) {
      const float* base = x + o * p.reduced * p.inner + column;
      for (int64_t r = ty; r < p.reduced; r += kColumnRows) acc = C::apply(acc, base[r * p.inner]);
    }
    partial[ty][tx] = acc;
    __syncthreads();
    if (ty == 0) {
      for (int k = 1; k < kColumnRows; ++k) acc = C::apply(acc, partial[k][tx]);
      if (column < p.inner) y[o * p.inner + column] = C::finish(acc, p.reduced);
    }
    __syncthreads();  // partial is reused by the next block-stride iteration
  }
}

// One thread per output (o, i).
template <ReduceKind kKind>
static __global__ void reduce_per_thread_kernel(ReduceParams p, const float* __restrict__ x,
                                                float* __restrict__ y) {
  using C = Combine<kKind>;
  const int64_t outputs = p.outer * p.inner;
  for (int64_t idx = detail::grid_thread_index(); idx < outputs;
       idx += detail::grid_thread_count()) {
    const int64_t o = idx / p.inner;
    const int64_t i = idx % p.inner;
    const float* base = x + o * p.reduced * p.inner + i;
    float acc = C::identity();
    for (int64_t r = 0; r < p.reduced; ++r) acc = C::apply(acc, base[r * p.inner]);
    y[idx] = C::finish(acc, p.reduced);
  }
}

// One block of kRowBlock threads per output (o, i).
template <ReduceKind kKind>
static __global__ void reduce_rows_kernel(ReduceParams p, const float* __restrict__ x,
                                          float* __restrict__ y) {
  using C = Combine<kKind>;
  __shared__ float warp_results[kRowBlock / kWarp];
  const int lane = threadIdx.x % kWarp;
  const int warp = threadIdx.x / kWarp;
  const int64_t outputs = p.outer * p.inner;
  for (int64_t idx = blockIdx.x; idx < outputs; idx += gridDim.x) {
    const int64_t o = idx / p.inner;
    const int64_t i = idx % p.inner;
    const float* base = x + o * p.reduced * p.inner + i;
    float acc = C::identity();
    for (int64_t r = threadIdx.x; r < p.reduced; r += kRowBlock)
      acc = C::apply(acc, base[r * p.inner]);
    // Tree within each warp, then across the warps' results.
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
      acc = C::apply(acc, __shfl_down_sync(0xffffffffu, acc, offset));
    if (lane == 0) warp_results[warp] = acc;
    __syncthreads();
    if (warp == 0) {
      acc = lane < kRowBlock / kWarp ? warp_results[lane] : C::identity();
      for (int offset = kWarp / 2; offset > 0; offset /= 2)
        acc = C::apply(acc, __shfl_down_sync(0xffffffffu, acc, offset));
      if (lane == 0) y[idx] = C::finish(acc, p.reduced);
    }
    __syncthreads();  // warp_results is reused by the next block-stride iteration
  }
}

template <ReduceKind kKind>
void launch_reduce(const ReduceParams& p, const float* x, float* y, cudaStream_t stream) {
  const int64_t outputs = p.outer * p.inner;
  if (p.inner >= kColumnTile) {
    const int64_t tiles = (p.inner + kColumnTile - 1) / kColumnTile;
    const dim3 block(kColumnTile, kColumnRows);
    const int64_t blocks = p.outer * tiles;
    reduce_columns_kernel<kKind>
        <<<static_cast<unsigned int>(blocks < detail::kMaxGridBlocks ? blocks
                                                                     : detail::kMaxGridBlocks),
           block, 0, stream>>>(p, tiles, x, y);
  } else if (p.reduced <= kShortReduced) {
    reduce_per_thread_kernel<kKind>
        <<<detail::grid_blocks(outputs, kThreadPerOutputBlock), kThreadPerOutputBlock, 0, stream>>>(
            p, x, y);
  } else {
    reduce_rows_kernel<kKind>
        <<<static_cast<unsigned int>(outputs < detail::kMaxGridBlocks ? outputs
                                                                      : detail::kMaxGridBlocks),
           kRowBlock, 0, stream>>>(p, x, y);
  }
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void reduce(const ReduceParams& p, const float* x, float* y, cudaStream_t stream) {
  check_reduce_params(p);
  if (p.outer <= 0 || p.inner <= 0) return;  // empty output
  const bool known = with_constant<ReduceKind, ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max>(
      p.kind, [&](auto kind) { launch_reduce<decltype(kind)::value>(p, x, y, stream); });
  if (!known) P3D_THROW("reduce: unknown ReduceKind ", static_cast<int>(p.kind));
}

}  // namespace p3d::cuda
