// tf.pad / MirrorPad over a float tensor of rank <= 6: constant, reflect (edge not
// repeated) and symmetric (edge repeated). One thread per output element gathers its
// source; out-of-range coordinates either take the fill value or are mirrored back.
// Also used by the CUDA backend to zero-pad the input of an asymmetrically padded conv.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d::cuda {
namespace {

constexpr int kPadBlock = 256;

// Source coordinate along one axis of size n for output coordinate i - before (= s), or -1
// when it lies in a constant pad. The host checked pad <= n - 1 (reflect) or <= n
// (symmetric), so one mirror suffices; the final clamp only guards against corrupt params.
template <PadMode kMode>
__device__ __forceinline__ int64_t source_coord(int64_t s, int64_t n) {
  if (s >= 0 && s < n) return s;
  if (kMode == PadMode::Constant) return -1;
  if (kMode == PadMode::Reflect) {
    s = s < 0 ? -s : 2 * (n - 1) - s;
  } else {
    s = s < 0 ? -s - 1 : 2 * n - 1 - s;
  }
  return s < 0 ? 0 : (s >= n ? n - 1 : s);
}

template <PadMode kMode>
static __global__ void pad_kernel(PadParams p, int64_t count, const float* __restrict__ x,
                                  float* __restrict__ y) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    int64_t rest = idx;
    int64_t offset = 0;     // source offset being built
    int64_t in_stride = 1;  // stride of dim d in the input
    bool inside = true;
    for (int d = p.rank - 1; d >= 0; --d) {
      const int64_t out_dim = p.in_dims[d] + p.before[d] + p.after[d];
      const int64_t coord = rest % out_dim;
      rest /= out_dim;
      const int64_t s = source_coord<kMode>(coord - p.before[d], p.in_dims[d]);
      if (s < 0) inside = false;
      offset += s * in_stride;
      in_stride *= p.in_dims[d];
    }
    y[idx] = inside ? x[offset] : p.value;
  }
}

template <PadMode kMode>
void launch_pad(const PadParams& p, int64_t count, const float* x, float* y, cudaStream_t stream) {
  pad_kernel<kMode>
      <<<detail::grid_blocks(count, kPadBlock), kPadBlock, 0, stream>>>(p, count, x, y);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void pad(const PadParams& p, const float* x, float* y, cudaStream_t stream) {
  check_pad_params(p);
  int64_t count = 1;
  int64_t in_count = 1;
  for (int d = 0; d < p.rank; ++d) {
    count *= p.in_dims[d] + p.before[d] + p.after[d];
    in_count *= p.in_dims[d];
  }
  if (count <= 0) return;
  switch (p.mode) {
    case PadMode::Constant:
      launch_pad<PadMode::Constant>(p, count, x, y, stream);
      return;
    case PadMode::Reflect:
      P3D_CHECK(in_count > 0, "pad: reflect padding of an empty tensor");
      launch_pad<PadMode::Reflect>(p, count, x, y, stream);
      return;
    case PadMode::Symmetric:
      P3D_CHECK(in_count > 0, "pad: symmetric padding of an empty tensor");
      launch_pad<PadMode::Symmetric>(p, count, x, y, stream);
      return;
  }
  P3D_THROW("pad: unknown PadMode ", static_cast<int>(p.mode));
}

}  // namespace p3d::cuda
