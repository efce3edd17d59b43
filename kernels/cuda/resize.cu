// tf.compat.v1 image resize (bilinear / nearest neighbour) over NHWC floats. The source
// coordinates and the blend come from kernels/resize_math.h, the same functions the CPU
// kernel uses, so both backends pick the same pixels. One thread per output element, the
// channel fastest: neighbouring threads read neighbouring channels of the same taps.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/resize_math.h"

namespace p3d::cuda {
namespace {

constexpr int kResizeBlock = 256;

// Output index idx = ((n * out_h + oy) * out_w + ox) * channels + c.
struct OutputCoord {
  int64_t n;
  int32_t oy, ox;
  int64_t c;
};

__device__ __forceinline__ OutputCoord split_output_index(const ResizeParams& p, int64_t idx) {
  OutputCoord o;
  o.c = idx % p.channels;
  int64_t rest = idx / p.channels;
  o.ox = static_cast<int32_t>(rest % p.out_w);
  rest /= p.out_w;
  o.oy = static_cast<int32_t>(rest % p.out_h);
  o.n = rest / p.out_h;
  return o;
}

static __global__ void resize_bilinear_kernel(ResizeParams p, int64_t count, float scale_h,
                                              float scale_w, const float* __restrict__ x,
                                              float* __restrict__ y) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    const OutputCoord o = split_output_index(p, idx);
    const ResizeTap ty = resize_bilinear_tap(o.oy, scale_h, p.in_h, p.half_pixel_centers);
    const ResizeTap tx = resize_bilinear_tap(o.ox, scale_w, p.in_w, p.half_pixel_centers);
    const float* image = x + o.n * p.in_h * p.in_w * p.channels + o.c;
    const float* top = image + static_cast<int64_t>(ty.lower) * p.in_w * p.channels;
    const float* bottom = image + static_cast<int64_t>(ty.upper) * p.in_w * p.channels;
    const int64_t left = static_cast<int64_t>(tx.lower) * p.channels;
    const int64_t right = static_cast<int64_t>(tx.upper) * p.channels;
    y[idx] =
        resize_bilinear_blend(top[left], top[right], bottom[left], bottom[right], tx.lerp, ty.lerp);
  }
}

static __global__ void resize_nearest_kernel(ResizeParams p, int64_t count, float scale_h,
                                             float scale_w, const float* __restrict__ x,
                                             float* __restrict__ y) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    const OutputCoord o = split_output_index(p, idx);
    const int32_t iy =
        resize_nearest_index(o.oy, scale_h, p.in_h, p.align_corners, p.half_pixel_centers);
    const int32_t ix =
        resize_nearest_index(o.ox, scale_w, p.in_w, p.align_corners, p.half_pixel_centers);
    y[idx] = x[((o.n * p.in_h + iy) * p.in_w + ix) * p.channels + o.c];
  }
}

}  // namespace

void resize(const ResizeParams& p, const float* x, float* y, cudaStream_t stream) {
  check_resize_params(p);
  const int64_t count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.channels;
  if (count == 0) return;
  const float scale_h = resize_scale(p.in_h, p.out_h, p.align_corners);
  const float scale_w = resize_scale(p.in_w, p.out_w, p.align_corners);
  const unsigned int blocks = detail::grid_blocks(count, kResizeBlock);
  if (p.mode == ResizeMode::Bilinear) {
    resize_bilinear_kernel<<<blocks, kResizeBlock, 0, stream>>>(p, count, scale_h, scale_w, x, y);
  } else {
    resize_nearest_kernel<<<blocks, kResizeBlock, 0, stream>>>(p, count, scale_h, scale_w, x, y);
  }
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
