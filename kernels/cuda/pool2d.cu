// 2-D max / average pooling over NHWC, TensorFlow's padding rules: windows are clipped to
// the input, padded positions never win a max and are not counted in an average.
// One thread per output element with the channel fastest, so neighbouring threads read
// neighbouring channels (coalesced) at every window position.
#include <cfloat>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d::cuda {
namespace {

constexpr int kPoolBlock = 256;

template <PoolKind kKind>
static __global__ void pool2d_kernel(Pool2dParams p, int64_t count, const float* __restrict__ x,
                                     float* __restrict__ y) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    // Output index idx = ((n * out_h + oy) * out_w + ox) * channels + c.
    int64_t rest = idx;
    const int64_t c = rest % p.channels;
    rest /= p.channels;
    const int32_t ox = static_cast<int32_t>(rest % p.out_w);
    rest /= p.out_w;
    const int32_t oy = static_cast<int32_t>(rest % p.out_h);
    const int64_t n = rest / p.out_h;

    // The window clipped to the input: rows [y_begin, y_end), columns [x_begin, x_end).
    const int32_t y0 = oy * p.stride_h - p.pad_top;
    const int32_t x0 = ox * p.stride_w - p.pad_left;
    const int32_t y_begin = max(y0, 0);
    const int32_t y_end = min(y0 + p.kernel_h, p.in_h);
    const int32_t x_begin = max(x0, 0);
    const int32_t x_end = min(x0 + p.kernel_w, p.in_w);

    // Max starts from the lowest float (as Eigen's max reducer does) and only a greater
    // value replaces it, so a NaN never wins (fmaxf's rule) and an empty window - impossible
    // with TensorFlow's SAME / VALID padding - gives the lowest float; an empty average is 0.
    float acc = kKind == PoolKind::Max ? -FLT_MAX : 0.f;
    for (int32_t iy = y_begin; iy < y_end; ++iy) {
      const float* row = x + ((n * p.in_h + iy) * p.in_w) * p.channels + c;
      for (int32_t ix = x_begin; ix < x_end; ++ix) {
        const float v = row[static_cast<int64_t>(ix) * p.channels];
        if (kKind == PoolKind::Max) {
          acc = v > acc ? v : acc;
        } else {
          acc += v;
        }
      }
    }
    float out = acc;
    if (kKind == PoolKind::Average) {
      const int32_t valid = max(y_end - y_begin, 0) * max(x_end - x_begin, 0);
      out = valid > 0 ? acc / static_cast<float>(valid) : 0.f;
    }
    y[idx] = out;
  }
}

}  // namespace

void pool2d(const Pool2dParams& p, const float* x, float* y, cudaStream_t stream) {
  check_pool2d_params(p);
  const int64_t count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.channels;
  if (count <= 0) return;
  const unsigned int blocks = detail::grid_blocks(count, kPoolBlock);
  if (p.kind == PoolKind::Max) {
    pool2d_kernel<PoolKind::Max><<<blocks, kPoolBlock, 0, stream>>>(p, count, x, y);
  } else {
    pool2d_kernel<PoolKind::Average><<<blocks, kPoolBlock, 0, stream>>>(p, count, x, y);
  }
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
