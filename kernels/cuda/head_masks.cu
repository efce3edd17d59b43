// CUDA kernels of the step-2 / step-4 per-pixel masks (kernels/cuda/head_masks.h): one
// grid-stride thread per pixel over the whole batch, each calling the same P3D_HD function
// as the CPU loop, so the outputs are identical. Both passes are memory-bound byte maps;
// the ring's 3x3 reads hit the same cache lines as its neighbours' and need no tiling at
// 256x256.
#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/head_masks.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kBlock = 256;

static __global__ void head_mask_split_kernel(HeadMaskInputs in, HeadMaskOutputs out,
                                              int64_t count) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    const HeadMaskPixel px = head_mask_pixel(in.labels[i], in.coverage[i]);
    out.hair_ear[i] = px.hair_ear;
    out.stitch[i] = px.stitch;
    out.face_without_hair[i] = px.face_without_hair;
  }
}

static __global__ void dilation_ring_kernel(HeadMaskParams p, const uint8_t* __restrict__ mask,
                                            uint8_t* __restrict__ ring, int64_t count) {
  const int64_t image = static_cast<int64_t>(p.height) * p.width;
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    const int64_t n = i / image;
    const int64_t local = i - n * image;
    const int32_t y = static_cast<int32_t>(local / p.width);
    const int32_t x = static_cast<int32_t>(local % p.width);
    ring[i] = dilation_ring_pixel(mask + n * image, p.height, p.width, y, x);
  }
}

}  // namespace

void head_mask_split(const HeadMaskParams& p, const HeadMaskInputs& in, const HeadMaskOutputs& out,
                     cudaStream_t stream) {
  check_head_mask_params(p);
  if (p.batch == 0) return;
  P3D_CHECK(in.labels != nullptr && in.coverage != nullptr, "head_mask_split: missing input");
  P3D_CHECK(out.hair_ear != nullptr && out.stitch != nullptr && out.face_without_hair != nullptr,
            "head_mask_split: missing output");
  const int64_t count = static_cast<int64_t>(p.batch) * p.height * p.width;
  head_mask_split_kernel<<<detail::grid_blocks(count, kBlock), kBlock, 0, stream>>>(in, out, count);
  P3D_CUDA_CHECK_LAUNCH();
}

void dilation_ring(const HeadMaskParams& p, const uint8_t* mask, uint8_t* ring,
                   cudaStream_t stream) {
  check_head_mask_params(p);
  if (p.batch == 0) return;
  P3D_CHECK(mask != nullptr && ring != nullptr, "dilation_ring: missing buffer");
  P3D_CHECK(mask != ring, "dilation_ring: the ring cannot be written over its mask");
  const int64_t count = static_cast<int64_t>(p.batch) * p.height * p.width;
  dilation_ring_kernel<<<detail::grid_blocks(count, kBlock), kBlock, 0, stream>>>(p, mask, ring,
                                                                                  count);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
