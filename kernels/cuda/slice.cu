// Strided slice (rank <= 6, any element size, negative steps allowed):
// out[i] = in[begin + i * step] per dim. The host checks that the first and last source
// coordinate of every dim lie inside the input, so the gather below cannot read out of
// bounds. Also used by the CUDA backend to crop a transposed conv's padded result.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/static_dispatch.h"

namespace p3d::cuda {
namespace {

constexpr int kSliceBlock = 256;

template <typename T>
static __global__ void slice_kernel(SliceParams p, int64_t count, const T* __restrict__ x,
                                    T* __restrict__ y) {
  // Input strides, innermost first: offset = sum (begin[d] + i[d] * step[d]) * stride[d].
  int64_t in_strides[kMaxRank];
  int64_t stride = 1;
  int64_t base = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    in_strides[d] = stride;
    base += p.begin[d] * stride;
    stride *= p.in_dims[d];
  }
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    int64_t rest = idx;
    int64_t offset = base;
    for (int d = p.rank - 1; d >= 0; --d) {
      offset += (rest % p.out_dims[d]) * p.step[d] * in_strides[d];
      rest /= p.out_dims[d];
    }
    y[idx] = x[offset];
  }
}

template <int kWord>
void launch_slice(const SliceParams& p, int64_t count, const void* x, void* y,
                  cudaStream_t stream) {
  using T = typename detail::Word<kWord>::type;
  slice_kernel<T><<<detail::grid_blocks(count, kSliceBlock), kSliceBlock, 0, stream>>>(
      p, count, static_cast<const T*>(x), static_cast<T*>(y));
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void slice(const SliceParams& p, const void* x, void* y, cudaStream_t stream) {
  check_slice_params(p);
  int64_t count = 1;
  for (int d = 0; d < p.rank; ++d) count *= p.out_dims[d];
  if (count == 0) return;
  const bool known = with_constant<int, 1, 2, 4, 8>(p.element_size, [&](auto bytes) {
    launch_slice<decltype(bytes)::value>(p, count, x, y, stream);
  });
  if (!known) P3D_THROW("slice: unsupported element size ", p.element_size);
}

}  // namespace p3d::cuda
