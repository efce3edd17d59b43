// See direct_conv.h. One thread per output element with the output channel fastest, so a
// warp shares one output pixel: its input reads hit the same few cache lines (for depthwise,
// adjacent channels - coalesced) and only the filter reads are strided (the filter is small
// and stays in L1/L2).
#include "engine/cuda/direct_conv.h"
#include "kernels/cuda/common.cuh"

namespace p3d::cuda_backend {
namespace {

constexpr int kDirectConvBlock = 256;

static __global__ void direct_conv2d_kernel(Conv2dParams p, int64_t count,
                                            const float* __restrict__ x,
                                            const float* __restrict__ filter,
                                            const float* __restrict__ bias, const float* residual,
                                            float* y) {
  const int32_t group_in = p.in_c / p.groups;
  const int32_t group_out = p.out_c / p.groups;
  for (int64_t idx = cuda::detail::grid_thread_index(); idx < count;
       idx += cuda::detail::grid_thread_count()) {
    // Output index idx = ((n * out_h + oy) * out_w + ox) * out_c + oc.
    int64_t rest = idx;
    const int32_t oc = static_cast<int32_t>(rest % p.out_c);
    rest /= p.out_c;
    const int32_t ox = static_cast<int32_t>(rest % p.out_w);
    rest /= p.out_w;
    const int32_t oy = static_cast<int32_t>(rest % p.out_h);
    const int64_t n = rest / p.out_h;
    const int32_t first_in = (oc / group_out) * group_in;  // this group's first input channel

    float acc = 0.f;
    const float* w = filter + static_cast<int64_t>(oc) * p.kernel_h * p.kernel_w * group_in;
    for (int32_t ky = 0; ky < p.kernel_h; ++ky) {
      const int32_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
      if (iy < 0 || iy >= p.in_h) continue;  // zero padding
      for (int32_t kx = 0; kx < p.kernel_w; ++kx) {
        const int32_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
        if (ix < 0 || ix >= p.in_w) continue;
        const float* in = x + ((n * p.in_h + iy) * p.in_w + ix) * p.in_c + first_in;
        const float* tap = w + (static_cast<int64_t>(ky) * p.kernel_w + kx) * group_in;
        for (int32_t ic = 0; ic < group_in; ++ic) acc = fmaf(in[ic], tap[ic], acc);
      }
    }
    if (bias) acc += bias[oc];
    if (residual) acc += residual[idx];  // read before y[idx] is written: y may alias it
    y[idx] = apply_unary(p.activation, acc, p.activation_alpha);
  }
}

}  // namespace

void direct_conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
                   const float* residual, float* y, cudaStream_t stream) {
  const int64_t count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.out_c;
  if (count <= 0) return;
  direct_conv2d_kernel<<<cuda::detail::grid_blocks(count, kDirectConvBlock), kDirectConvBlock, 0,
                         stream>>>(p, count, x, filter, bias, residual, y);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda_backend
