// CUDA kernel of the face alignment: one thread per output pixel (all channels), a 2-D grid
// of pixels x batch items, over the per-pixel functions of kernels/alignment.h (the CPU loop
// calls the same ones, so both backends produce identical values).
#include "kernels/cpu/alignment.h"
#include "kernels/cuda/alignment.h"
#include "kernels/cuda/check.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kAlignBlock = 128;  // threads per block: 224·224 / 128 = 392 blocks per item
// Pillow windows up to this many taps keep their horizontal weights in registers; wider
// ones (photos shrunk more than ~3.5x) recompute them per row.
constexpr int kPillowCachedTaps = 8;

// One launch per resampler: a thread whose item uses the other one returns at once, so a
// batch may mix both and each kernel keeps only its own path's registers.
template <AlignResampler kResampler>
__global__ void align_faces_kernel(AlignBatchParams p, const AlignItemParams* __restrict__ items,
                                   const uint8_t* __restrict__ src, float* __restrict__ out) {
  const int32_t b = blockIdx.y;
  if (items[b].resampler != kResampler) return;
  const int64_t pixel = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (pixel >= static_cast<int64_t>(p.crop) * p.crop) return;
  const int32_t r = static_cast<int32_t>(pixel / p.crop);
  const int32_t c = static_cast<int32_t>(pixel % p.crop);
  const AlignItemParams item = items[b];
  float* dst = out + (static_cast<int64_t>(b) * p.crop * p.crop + pixel) * p.channels;
  if (kResampler == AlignResampler::kPillow)
    align_pillow_pixel<kPillowCachedTaps>(src, item, p.channels, r, c, dst);
  else
    align_opencv_pixel(src, item, p.channels, r, c, dst);
}

}  // namespace

void align_faces(const AlignBatchParams& p, const AlignItemParams* host_items,
                 const AlignItemParams* items, const uint8_t* src, float* out,
                 cudaStream_t stream) {
  if (host_items) cpu::check_align_params(p, host_items);
  P3D_CHECK(p.batch >= 0 && p.batch <= 65535 && p.crop > 0 && p.channels >= 1 && p.channels <= 4,
            "align_faces: bad sizes (batch ", p.batch, ", crop ", p.crop, ", channels ", p.channels,
            ")");
  if (p.batch == 0) return;
  const int64_t pixels = static_cast<int64_t>(p.crop) * p.crop;
  const dim3 grid(static_cast<unsigned int>((pixels + kAlignBlock - 1) / kAlignBlock),
                  static_cast<unsigned int>(p.batch));
  align_faces_kernel<AlignResampler::kOpenCv><<<grid, kAlignBlock, 0, stream>>>(p, items, src, out);
  P3D_CUDA_CHECK_LAUNCH();
  align_faces_kernel<AlignResampler::kPillow><<<grid, kAlignBlock, 0, stream>>>(p, items, src, out);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
