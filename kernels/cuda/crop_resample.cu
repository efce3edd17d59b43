// CUDA kernels of the head-crop resampling: one thread per output pixel (all channels), a
// 2-D grid of pixels x batch items, over the per-pixel functions of kernels/crop_resample.h
// (the CPU loops call the same ones, so both backends produce identical bytes).
#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/crop_resample.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kCropBlock = 256;

template <bool kCubic>
__global__ void crop_resample_kernel(CropBatchParams p,
                                     const CropResampleParams* __restrict__ items,
                                     const uint8_t* __restrict__ src, uint8_t* __restrict__ out) {
  const int32_t b = blockIdx.y;
  const int64_t pixel = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (pixel >= static_cast<int64_t>(p.crop_w) * p.crop_h) return;
  const int32_t r = static_cast<int32_t>(pixel / p.crop_w);
  const int32_t c = static_cast<int32_t>(pixel % p.crop_w);
  const CropResampleParams item = items[b];
  uint8_t* dst = out + (static_cast<int64_t>(b) * p.crop_w * p.crop_h + pixel) * p.channels;
  if (kCubic)
    crop_cubic_pixel(src, item, p.channels, r, c, dst);
  else
    crop_nearest_pixel(src, item, p.channels, r, c, dst);
}

template <bool kCubic>
void launch(const CropBatchParams& p, const CropResampleParams* items, const uint8_t* src,
            uint8_t* out, cudaStream_t stream) {
  P3D_CHECK(p.batch >= 0 && p.batch <= 65535 && p.crop_w > 0 && p.crop_h > 0 && p.channels > 0 &&
                p.channels <= kCropMaxChannels,
            "crop_resample: bad sizes (batch ", p.batch, ", crop ", p.crop_w, "x", p.crop_h,
            ", channels ", p.channels, ")");
  if (p.batch == 0) return;
  const int64_t pixels = static_cast<int64_t>(p.crop_w) * p.crop_h;
  const dim3 grid(static_cast<unsigned int>((pixels + kCropBlock - 1) / kCropBlock),
                  static_cast<unsigned int>(p.batch));
  crop_resample_kernel<kCubic><<<grid, kCropBlock, 0, stream>>>(p, items, src, out);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void crop_resample_cubic(const CropBatchParams& p, const CropResampleParams* items,
                         const uint8_t* src, uint8_t* out, cudaStream_t stream) {
  launch<true>(p, items, src, out, stream);
}

void crop_resample_nearest(const CropBatchParams& p, const CropResampleParams* items,
                           const uint8_t* src, uint8_t* out, cudaStream_t stream) {
  launch<false>(p, items, src, out, stream);
}

}  // namespace p3d::cuda
