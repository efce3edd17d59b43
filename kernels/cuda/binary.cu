// Element-wise binary ops with NumPy broadcasting, out = apply_binary(op, a, b), math shared
// with the CPU backend (kernels/elementwise.h).
// The caller's strides are first simplified on the host: size-1 dims are dropped and
// adjacent dims merged wherever both inputs stay contiguous across them, so the common
// cases (same shape, scalar, per-channel vector) become rank 1 or 2 and the kernel -
// instantiated per rank - spends almost nothing on index arithmetic.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/static_dispatch.h"

namespace p3d::cuda {
namespace {

constexpr int kBinaryBlock = 256;

// The simplified iteration space (out is contiguous over dims[0..rank)).
struct BinaryShape {
  int32_t rank;
  int64_t dims[kMaxRank];
  int64_t a_strides[kMaxRank];
  int64_t b_strides[kMaxRank];
};

BinaryShape simplify(const BinaryParams& p) {
  BinaryShape s{};
  for (int d = 0; d < p.rank; ++d) {
    if (p.out_dims[d] == 1) continue;  // strides of a size-1 dim never matter
    if (s.rank > 0) {
      // Merge into the previous (outer) dim when stepping it equals stepping this one
      // dims[d] times, for both inputs (a broadcast dim, stride 0, merges with another).
      const int q = s.rank - 1;
      if (s.a_strides[q] == p.a_strides[d] * p.out_dims[d] &&
          s.b_strides[q] == p.b_strides[d] * p.out_dims[d]) {
        s.dims[q] *= p.out_dims[d];
        s.a_strides[q] = p.a_strides[d];
        s.b_strides[q] = p.b_strides[d];
        continue;
      }
    }
    s.dims[s.rank] = p.out_dims[d];
    s.a_strides[s.rank] = p.a_strides[d];
    s.b_strides[s.rank] = p.b_strides[d];
    ++s.rank;
  }
  if (s.rank == 0) {  // every dim was 1: a single element
    s.rank = 1;
    s.dims[0] = 1;
  }
  return s;
}

template <int kRank>
static __global__ void binary_kernel(BinaryShape s, int64_t count, Binary op, const float* a,
                                     const float* b, float* y) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    // Split the flat output index into coordinates, innermost first.
    int64_t rest = i;
    int64_t a_offset = 0;
    int64_t b_offset = 0;
#pragma unroll
    for (int d = kRank - 1; d > 0; --d) {
      const int64_t coord = rest % s.dims[d];
      rest /= s.dims[d];
      a_offset += coord * s.a_strides[d];
      b_offset += coord * s.b_strides[d];
    }
    a_offset += rest * s.a_strides[0];
    b_offset += rest * s.b_strides[0];
    y[i] = apply_binary(op, a[a_offset], b[b_offset]);
  }
}

template <int kRank>
void launch_binary(const BinaryShape& s, int64_t count, Binary op, const float* a, const float* b,
                   float* y, cudaStream_t stream) {
  binary_kernel<kRank><<<detail::grid_blocks(count, kBinaryBlock), kBinaryBlock, 0, stream>>>(
      s, count, op, a, b, y);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void binary(const BinaryParams& p, const float* a, const float* b, float* y, cudaStream_t stream) {
  check_binary_params(p);
  int64_t count = 1;
  for (int d = 0; d < p.rank; ++d) count *= p.out_dims[d];
  if (count <= 0) return;
  const BinaryShape s = simplify(p);
  const bool known = with_constant<int, 1, 2, 3, 4, 5, 6>(s.rank, [&](auto rank) {
    launch_binary<decltype(rank)::value>(s, count, p.op, a, b, y, stream);
  });
  if (!known) P3D_THROW("binary: simplified rank ", s.rank, " out of range");
}

}  // namespace p3d::cuda
