// p3d::cpu::head_mask_split and dilation_ring: row loops around the P3D_HD pixel functions of
// kernels/head_masks.h, split over the rows of the whole batch with the shared thread pool
// (a 256x256 portrait is 256 rows, so even a batch of 1 spreads over the workers).
#include "kernels/cpu/head_masks.h"

#include <cstdint>

#include "kernels/error.h"

namespace p3d {

void check_head_mask_params(const HeadMaskParams& p) {
  P3D_CHECK(p.batch >= 0, "head masks: batch ", p.batch, " is negative");
  P3D_CHECK(p.height >= 1 && p.width >= 1, "head masks: image size ", p.width, "x", p.height,
            " must be at least 1x1");
  const double pixels = static_cast<double>(p.batch) * p.height * p.width;
  P3D_CHECK(pixels < 2147483647.0, "head masks: ", p.batch, " images of ", p.width, "x", p.height,
            " exceed 2^31 pixels");
}

namespace cpu {
namespace {
constexpr int64_t kRowGrain = 16;
}  // namespace

void head_mask_split(ThreadPool& pool, const HeadMaskParams& p, const HeadMaskInputs& in,
                     const HeadMaskOutputs& out) {
  check_head_mask_params(p);
  if (p.batch == 0) return;
  P3D_CHECK(in.labels != nullptr && in.coverage != nullptr, "head_mask_split: missing input");
  P3D_CHECK(out.hair_ear != nullptr && out.stitch != nullptr && out.face_without_hair != nullptr,
            "head_mask_split: missing output");
  const int64_t rows = static_cast<int64_t>(p.batch) * p.height;
  pool.parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin * p.width; i < end * p.width; ++i) {
      const HeadMaskPixel px = head_mask_pixel(in.labels[i], in.coverage[i]);
      out.hair_ear[i] = px.hair_ear;
      out.stitch[i] = px.stitch;
      out.face_without_hair[i] = px.face_without_hair;
    }
  });
}

void dilation_ring(ThreadPool& pool, const HeadMaskParams& p, const uint8_t* mask, uint8_t* ring) {
  check_head_mask_params(p);
  if (p.batch == 0) return;
  P3D_CHECK(mask != nullptr && ring != nullptr, "dilation_ring: missing buffer");
  P3D_CHECK(mask != ring, "dilation_ring: the ring cannot be written over its mask");
  const int64_t image = static_cast<int64_t>(p.height) * p.width;
  const int64_t rows = static_cast<int64_t>(p.batch) * p.height;
  pool.parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / p.height;
      const int32_t y = static_cast<int32_t>(row % p.height);
      const uint8_t* m = mask + n * image;
      uint8_t* r = ring + n * image + static_cast<int64_t>(y) * p.width;
      for (int32_t x = 0; x < p.width; ++x) r[x] = dilation_ring_pixel(m, p.height, p.width, y, x);
    }
  });
}

}  // namespace cpu
}  // namespace p3d
